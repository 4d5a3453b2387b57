/**
 * Boot-test harness: puts Node, Opsdeck and a stack into a machine's root file system (before it
 * boots), laid out as a user would install them:
 *
 *   /usr/local/bin/node      a copy of the Node that runs the tests (same version; glibc-linked)
 *   /opt/opsdeck/            package.json, dist/ (the built bundles: `npm run build`) and the
 *                            production node_modules (package.json's dependencies and theirs)
 *   /usr/local/bin/opsdeck   -> /opt/opsdeck/dist/cli.js (`#!/usr/bin/env -S node …`)
 *   /srv/<stack>/            a copy of the stack folder, with node_modules -> /opt/opsdeck/node_modules
 *                            (examples/default's storage loads node-sqlite3-wasm from there)
 *
 * Nothing is downloaded: everything comes from this checkout and this machine.
 */
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../../..');

/** Where Opsdeck goes inside the machine. */
export const OPSDECK_DIR = '/opt/opsdeck';

/** The folder of package `name` as Node resolves it from `fromDir` (nested node_modules first, then upward). */
function resolvePackage(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === REPO || dir === dirname(dir)) return undefined;
  }
}

/**
 * The folders (relative to the repository) of the production dependencies: package.json's
 * `dependencies`, and theirs (`dependencies`, installed `optionalDependencies`), transitively.
 */
export function productionPackages(): string[] {
  const seen = new Set<string>();
  const visit = (pkgDir: string, optional: boolean) => {
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    const deps = [...Object.keys(pkg.dependencies ?? {}).map((n) => [n, false] as const), ...Object.keys(pkg.optionalDependencies ?? {}).map((n) => [n, true] as const)];
    for (const [name, isOptional] of deps) {
      const dir = resolvePackage(name, pkgDir);
      if (!dir) {
        if (isOptional || optional) continue;
        throw new Error(`production dependency ${name} (of ${relative(REPO, pkgDir) || 'opsdeck'}) is not installed: run npm ci`);
      }
      const rel = relative(REPO, dir);
      if (seen.has(rel)) continue;
      seen.add(rel);
      visit(dir, isOptional);
    }
  };
  visit(REPO, false);
  return [...seen].sort();
}

/** Node, Opsdeck (dist/ must be built) and its production dependencies, into `root`. */
export function installOpsdeck(root: string): void {
  if (!existsSync(join(REPO, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: npm run build first');
  const bin = join(root, 'usr/local/bin');
  mkdirSync(bin, { recursive: true });
  copyFileSync(process.execPath, join(bin, 'node'));
  chmodSync(join(bin, 'node'), 0o755);
  const target = join(root, OPSDECK_DIR.slice(1));
  mkdirSync(target, { recursive: true });
  copyFileSync(join(REPO, 'package.json'), join(target, 'package.json'));
  cpSync(join(REPO, 'dist'), join(target, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.map') });
  for (const rel of productionPackages()) {
    // dereference: this checkout's node_modules may be a link to another's.
    cpSync(join(REPO, rel), join(target, rel), { recursive: true, dereference: true });
  }
  symlinkSync(`${OPSDECK_DIR}/dist/cli.js`, join(bin, 'opsdeck'));
}

/**
 * A copy of the stack folder `src` at `/srv/NAME` inside `root` (without its run-time state:
 * .opsdeck/, data/, node_modules), with node_modules linked to Opsdeck's. Returns the path
 * inside the machine.
 */
export function installStack(root: string, src: string, name: string): string {
  const inside = `/srv/${name}`;
  const dest = join(root, inside.slice(1));
  const skip = new Set(['.opsdeck', 'data', 'node_modules'].map((d) => join(src, d)));
  cpSync(src, dest, { recursive: true, filter: (p) => !skip.has(p) });
  symlinkSync(`${OPSDECK_DIR}/node_modules`, join(dest, 'node_modules'));
  return inside;
}
