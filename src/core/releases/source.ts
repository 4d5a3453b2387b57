/**
 * Where releases come from: a git repository (a tag per version), a folder (one sub-folder per
 * version, or a working copy holding opsdeck.yaml itself: a single release), a .tar.gz per
 * version, or an npm package. Lists the versions a source offers and fetches one into a folder.
 * Only local tools run (git, tar, npm); nothing here talks to a network unless the source is one.
 */
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_FILE } from '../config/config-file';
import type { ReleaseConfig } from '../config/schema';
import { OpsError } from '../errors';
import { sortVersions } from './versions';

export type SourceSpec =
  | { kind: 'git'; url: string; ref: string }
  | { kind: 'folder'; path: string }
  | { kind: 'tarball'; pattern: string }
  | { kind: 'npm'; package: string };

/** What run-time state a copied folder never takes along. */
const NOT_COPIED = new Set(['.git', '.opsdeck', 'node_modules', 'data', 'releases', 'current', 'shared']);

/** The source of opsdeck.yaml's `release.source`, paths relative to `baseDir`. */
export function sourceFromConfig(source: NonNullable<ReleaseConfig['source']>, baseDir: string): SourceSpec {
  const abs = (p: string) => (/^[a-z+]+:\/\//i.test(p) || p.includes('@') ? p : path.resolve(baseDir, p));
  if (source.git) return { kind: 'git', url: abs(source.git.url), ref: source.git.ref };
  if (source.folder) return { kind: 'folder', path: path.resolve(baseDir, source.folder) };
  if (source.tarball) return { kind: 'tarball', pattern: source.tarball.startsWith('file://') ? source.tarball.slice(7) : path.resolve(baseDir, source.tarball) };
  return { kind: 'npm', package: source.npm! };
}

/** A `--from` value: `npm:<package>`, a .tgz pattern with {version}, a git repository, or a folder. */
export function sourceFromArg(from: string, cwd: string): SourceSpec {
  if (from.startsWith('npm:')) return { kind: 'npm', package: from.slice(4) };
  if (from.includes('{version}')) return { kind: 'tarball', pattern: path.resolve(cwd, from) };
  if (/^(?:[a-z+]+:\/\/|git@)/i.test(from) || from.endsWith('.git')) return { kind: 'git', url: from, ref: 'v{version}' };
  const abs = path.resolve(cwd, from);
  if (existsSync(path.join(abs, '.git'))) return { kind: 'git', url: abs, ref: 'v{version}' };
  if (existsSync(abs) && statSync(abs).isDirectory()) return { kind: 'folder', path: abs };
  throw new OpsError('RELEASE_SOURCE_FAILED', `--from ${from}: not a git repository, a folder, a .tgz pattern with {version} or npm:<package>`, 'e.g. --from ../app.git, --from ./dist/app-{version}.tgz or --from npm:my-stack');
}

export const describeSource = (s: SourceSpec): string =>
  s.kind === 'git' ? `git ${s.url} (${s.ref})` : s.kind === 'folder' ? `folder ${s.path}` : s.kind === 'tarball' ? `tarball ${s.pattern}` : `npm ${s.package}`;

/** The string a ledger keeps to find the source again (what `--from` accepts). */
export const sourceArg = (s: SourceSpec): string => (s.kind === 'git' ? s.url : s.kind === 'folder' ? s.path : s.kind === 'tarball' ? s.pattern : `npm:${s.package}`);

const fail = (s: SourceSpec, what: string, hint: string) => new OpsError('RELEASE_SOURCE_FAILED', `${describeSource(s)}: ${what}`, hint);

async function tool(s: SourceSpec, file: string, args: string[], cwd?: string): Promise<string> {
  const r = await execa(file, args, { reject: false, ...(cwd ? { cwd } : {}), env: { GIT_TERMINAL_PROMPT: '0' } });
  if (r.exitCode !== 0) throw fail(s, `${file} ${args[0]} failed: ${String(r.stderr || r.stdout || r.shortMessage).trim().split('\n').at(-1)}`, `run \`${file} ${args.join(' ')}\` by hand to see why`);
  return String(r.stdout);
}

/** A single-release folder: its version from a VERSION file, when it has one. */
const folderVersion = (dir: string): string | undefined => {
  try {
    return readFileSync(path.join(dir, 'VERSION'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
};

/** The versions the source offers, oldest first. */
export async function listVersions(s: SourceSpec): Promise<string[]> {
  switch (s.kind) {
    case 'git': {
      const [before, after] = s.ref.split('{version}') as [string, string | undefined];
      const out = await tool(s, 'git', ['ls-remote', '--tags', '--refs', s.url]);
      const tags = out.split('\n').map((l) => l.split('\trefs/tags/')[1]).filter((t): t is string => !!t);
      return sortVersions(tags.filter((t) => t.startsWith(before) && t.endsWith(after ?? '') && t.length > before.length + (after?.length ?? 0)).map((t) => t.slice(before.length, t.length - (after?.length ?? 0))));
    }
    case 'folder': {
      if (!existsSync(s.path)) throw fail(s, 'does not exist', 'check release.source.folder (or --from)');
      if (existsSync(path.join(s.path, CONFIG_FILE))) {
        const v = folderVersion(s.path);
        return v ? [v] : [];
      }
      return sortVersions(readdirSync(s.path).filter((n) => existsSync(path.join(s.path, n, CONFIG_FILE))));
    }
    case 'tarball': {
      const dir = path.dirname(s.pattern);
      const [before, after] = path.basename(s.pattern).split('{version}') as [string, string];
      if (!existsSync(dir)) return [];
      return sortVersions(readdirSync(dir).filter((n) => n.startsWith(before) && n.endsWith(after) && n.length > before.length + after.length).map((n) => n.slice(before.length, n.length - after.length)));
    }
    case 'npm': {
      const out = await tool(s, 'npm', ['view', s.package, 'versions', '--json']);
      const v = JSON.parse(out) as string | string[];
      return sortVersions(Array.isArray(v) ? v : [v]);
    }
  }
}

/** Put `version` of the source into `dest` (an empty folder); returns the source's commit or a digest. */
export async function fetchVersion(s: SourceSpec, version: string, dest: string): Promise<string> {
  mkdirSync(dest, { recursive: true });
  switch (s.kind) {
    case 'git': {
      const ref = s.ref.replace('{version}', version);
      await tool(s, 'git', ['clone', '--quiet', '--depth', '1', '--branch', ref, s.url, dest]);
      const commit = (await tool(s, 'git', ['rev-parse', 'HEAD'], dest)).trim();
      return commit;
    }
    case 'folder': {
      const from = existsSync(path.join(s.path, CONFIG_FILE)) ? s.path : path.join(s.path, version);
      if (!existsSync(path.join(from, CONFIG_FILE))) throw fail(s, `has no version ${version} (no ${path.join(version, CONFIG_FILE)})`, 'list the versions with `opsdeck releases`');
      cpSync(from, dest, { recursive: true, filter: (p) => p === from || !NOT_COPIED.has(path.relative(from, p).split(path.sep)[0]!) });
      return digestOfTree(dest);
    }
    case 'tarball': {
      const file = s.pattern.replace('{version}', version);
      if (!existsSync(file)) throw fail(s, `has no ${path.basename(file)}`, 'list the versions with `opsdeck releases`');
      return untar(s, file, dest);
    }
    case 'npm': {
      const out = await tool(s, 'npm', ['pack', `${s.package}@${version}`, '--silent', '--pack-destination', dest]);
      const file = path.join(dest, out.trim().split('\n').at(-1)!);
      return untar(s, file, dest);
    }
  }
}

/** Extract a .tar.gz (npm's `package/` folder, or any single top folder, is stripped). */
async function untar(s: SourceSpec, file: string, dest: string): Promise<string> {
  const list = (await tool(s, 'tar', ['-tzf', file])).split('\n').filter(Boolean);
  const tops = new Set(list.map((l) => l.replace(/^\.\//, '').split('/')[0]).filter(Boolean));
  const strip = tops.size === 1 && list.some((l) => l.replace(/^\.\//, '').includes('/')) ? ['--strip-components', '1'] : [];
  await tool(s, 'tar', ['-xzf', file, '-C', dest, ...strip]);
  if (!existsSync(path.join(dest, CONFIG_FILE))) throw fail(s, `${path.basename(file)} holds no ${CONFIG_FILE} at its top`, 'pack the stack folder itself');
  return createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
}

/** A digest of a folder's files (paths and contents), for a release that has no commit. */
function digestOfTree(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      h.update(path.relative(dir, p));
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) h.update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex').slice(0, 16);
}
