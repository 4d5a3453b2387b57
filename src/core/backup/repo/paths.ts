/**
 * Path safety for manifests. A manifest comes from disk and may have been tampered with, so
 * before restore writes anything every entry is checked: paths are relative posix paths without
 * empty, `.` or `..` segments; service names are single safe segments; symlink targets, resolved
 * the way the kernel will resolve them in the restored tree (following the manifest's own
 * symlinks), never leave the service's folder.
 */
import { isAbsolute, join, relative, sep } from 'node:path';
import { OpsError } from '../../errors';
import type { SnapshotEntry } from './model';

function unsafe(what: string, why: string): OpsError {
  return new OpsError(
    'BACKUP_MANIFEST_UNSAFE',
    `refusing snapshot entry ${JSON.stringify(what)}: ${why}`,
    'the snapshot manifest was altered or written by something else; nothing was restored. Restore another snapshot, and check who can write to the repository',
    { entry: what, reason: why },
  );
}

/** Throws BACKUP_MANIFEST_UNSAFE unless `path` is a safe relative posix path. */
export function checkEntryPath(path: string, label = path): void {
  if (typeof path !== 'string' || path.length === 0) throw unsafe(label, 'empty path');
  if (path.includes('\0')) throw unsafe(label, 'NUL byte in path');
  if (path.startsWith('/') || isAbsolute(path) || /^[A-Za-z]:/.test(path)) throw unsafe(label, 'absolute path');
  for (const seg of path.split('/')) {
    if (seg === '..') throw unsafe(label, '`..` escapes the restore folder');
    if (seg === '' || seg === '.') throw unsafe(label, 'empty or `.` path segment');
  }
}

export function checkServiceName(service: string): void {
  if (typeof service !== 'string' || !service || service === '.' || service === '..' || /[/\\\0]/.test(service)) {
    throw unsafe(String(service), 'service name is not a plain folder name');
  }
}

/** `root` joined with a checked relative posix path; throws if the result is not inside root. */
export function resolveInside(root: string, rel: string): string {
  checkEntryPath(rel);
  const out = join(root, ...rel.split('/'));
  const r = relative(root, out);
  if (r === '' || r.startsWith('..' + sep) || r === '..' || isAbsolute(r)) throw unsafe(rel, 'resolves outside the restore folder');
  return out;
}

const MAX_LINKS = 40;

/**
 * Check every entry of one service: paths safe and unique, no entry below a symlink, and every
 * symlink's target resolving inside the service's folder when the tree is restored.
 */
export function checkServiceEntries(service: string, entries: SnapshotEntry[]): void {
  checkServiceName(service);
  const byPath = new Map<string, SnapshotEntry>();
  for (const e of entries) {
    const label = `${service}/${e.path}`;
    checkEntryPath(e.path, label);
    if (e.type !== 'file' && e.type !== 'dir' && e.type !== 'symlink') throw unsafe(label, `unknown type ${String(e.type)}`);
    if (byPath.has(e.path)) throw unsafe(label, 'listed twice');
    byPath.set(e.path, e);
  }
  for (const e of entries) {
    // no entry may live below a symlink (restore would otherwise write through it)
    const segs = e.path.split('/');
    for (let i = 1; i < segs.length; i++) {
      const parent = byPath.get(segs.slice(0, i).join('/'));
      if (parent && parent.type !== 'dir') throw unsafe(`${service}/${e.path}`, `its parent ${parent.path} is a ${parent.type}`);
    }
    if (e.type === 'symlink') {
      const target = e.linkTarget;
      const label = `${service}/${e.path}`;
      if (typeof target !== 'string' || target === '') throw unsafe(label, 'symlink without a target');
      if (target.includes('\0')) throw unsafe(label, 'NUL byte in symlink target');
      if (target.startsWith('/') || isAbsolute(target)) throw unsafe(label, `symlink to the absolute path ${target} points outside the restore folder`);
      const escapes = resolveVirtual(byPath, segs.slice(0, -1), target, 0);
      if (escapes) throw unsafe(label, `symlink target ${target} points outside the restore folder`);
    }
  }
}

/**
 * Resolve `target` from directory `dir` (segments) in the tree the manifest describes, following
 * its symlinks like the kernel does. True when resolution leaves the root (or loops).
 */
function resolveVirtual(byPath: Map<string, SnapshotEntry>, dir: string[], target: string, depth: number): boolean {
  return resolveTo(byPath, dir, target, depth) === undefined;
}

/** The segments `target` resolves to from `dir`; undefined when resolution escapes the root or loops. */
function resolveTo(byPath: Map<string, SnapshotEntry>, dir: string[], target: string, depth: number): string[] | undefined {
  if (depth > MAX_LINKS || target.startsWith('/')) return undefined;
  const stack = [...dir];
  for (const seg of target.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (stack.length === 0) return undefined;
      stack.pop();
      continue;
    }
    stack.push(seg);
    const e = byPath.get(stack.join('/'));
    if (e?.type === 'symlink') {
      const r = resolveTo(byPath, stack.slice(0, -1), e.linkTarget ?? '', depth + 1);
      if (r === undefined) return undefined;
      stack.length = 0;
      stack.push(...r);
    }
  }
  return stack;
}
