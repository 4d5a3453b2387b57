/**
 * `npm test`'s `cycles` step: fails when files under src/ import each other in a circle, type-only
 * imports included (esbuild erases those, so its metafile cannot see them). Reads every .ts file's
 * imports with TypeScript's own pre-processor, resolves them as tsconfig.json does, and prints
 * each circle (strongly connected component) with the imports that close it.
 *
 *   npx tsx scripts/check-import-cycles.ts          exit 1 and list the circles, or say there are none
 *   npx tsx scripts/check-import-cycles.ts --json   the circles as JSON
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');

export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Each file's imports (static, dynamic, type-only and re-exports) that resolve to a file under src/. */
export function importGraph(files: readonly string[]): Map<string, string[]> {
  const options: ts.CompilerOptions = { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, allowImportingTsExtensions: true };
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = new Set<string>();
    for (const ref of info.importedFiles) {
      const resolved = ts.resolveModuleName(ref.fileName, file, options, ts.sys).resolvedModule?.resolvedFileName;
      if (resolved && known.has(resolved) && resolved !== file) targets.add(resolved);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** The strongly connected components with more than one file (Tarjan's algorithm, iterative). */
export function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: { node: string; edge: number }[] = [{ node: start, edge: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const top = work[work.length - 1]!;
      const edges = graph.get(top.node) ?? [];
      if (top.edge < edges.length) {
        const to = edges[top.edge++]!;
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, edge: 0 });
        } else if (onStack.has(to)) {
          low.set(top.node, Math.min(low.get(top.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(top.node)!));
      if (low.get(top.node) === index.get(top.node)) {
        const component: string[] = [];
        for (let n = stack.pop()!; ; n = stack.pop()!) {
          onStack.delete(n);
          component.push(n);
          if (n === top.node) break;
        }
        if (component.length > 1) found.push(component.sort());
      }
    }
  }
  return found;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const files = sourceFiles(SRC);
  const graph = importGraph(files);
  const found = circles(graph);
  const rel = (f: string) => path.relative(ROOT, f);
  if (process.argv.includes('--json')) {
    process.stdout.write(JSON.stringify(found.map((c) => c.map(rel)), null, 2) + '\n');
  } else if (!found.length) {
    process.stdout.write(`no import circle among ${files.length} files under src/\n`);
  } else {
    for (const [i, c] of found.entries()) {
      const members = new Set(c);
      process.stdout.write(`circle ${i + 1} (${c.length} files):\n`);
      for (const f of c) for (const to of graph.get(f) ?? []) if (members.has(to)) process.stdout.write(`  ${rel(f)} -> ${rel(to)}\n`);
    }
    process.stderr.write(`error: ${found.length} import circle${found.length === 1 ? '' : 's'} under src/\nhint: move the shared part down (a type into src/core/contract, a helper into its own file) so the arrows run one way\n`);
  }
  process.exitCode = found.length ? 1 : 0;
}
