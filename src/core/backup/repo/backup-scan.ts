/**
 * Backup stage 1, scan: the sources (folders walked, listed paths, single files, streams) become
 * a sorted list of items, each with its type, mode, mtime and size. Entries that vanish or cannot
 * be read while walking are skipped with a warning; a bad source fails the backup at once
 * (BACKUP_SOURCE_FAILED), before anything is written.
 */
import fs from 'node:fs/promises';
import { basename, isAbsolute, join, sep } from 'node:path';
import { OpsError } from '../../errors';
import type { BackupSource, EntryType } from './model';
import { checkEntryPath, checkServiceName } from './paths';

/** One thing to back up: a file, folder or symlink (read from `abs`, or from what `copy` makes), or a stream. */
export interface Item {
  service: string;
  path: string;
  type: EntryType;
  mode: number;
  mtime: number;
  size: number;
  abs?: string;
  stream?: () => AsyncIterable<Uint8Array>;
  /** Makes the file to read, when the parent snapshot does not have it already (BackupFile). */
  copy?: () => Promise<string>;
  linkTarget?: string;
}

/** Listed paths looked at together (lstat on the thread pool). */
const STAT_AT_ONCE = 128;

export function sourceError(message: string, e?: unknown): OpsError {
  return new OpsError(
    'BACKUP_SOURCE_FAILED',
    e ? `${message}: ${(e as Error).message}` : message,
    'check the paths the backup configuration names; the repository was not changed',
  );
}

export function toPosixRel(p: string): string {
  let r = sep === '/' ? p : p.split(sep).join('/');
  while (r.startsWith('./')) r = r.slice(2);
  return r.replace(/\/+$/, '');
}

function checkedRel(service: string, p: string): string {
  const r = toPosixRel(p);
  try {
    checkEntryPath(r);
  } catch {
    throw sourceError(`service ${service}: ${JSON.stringify(p)} is not a relative path inside its root`);
  }
  return r;
}

async function statItem(service: string, path: string, abs: string, warnings: string[]): Promise<Item | undefined> {
  let st;
  try {
    st = await fs.lstat(abs);
  } catch (e) {
    warnings.push(`${service}/${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (skipped)`);
    return undefined;
  }
  const base = { service, path, mode: st.mode & 0o7777, mtime: st.mtimeMs, abs };
  if (st.isFile()) return { ...base, type: 'file', size: st.size };
  if (st.isDirectory()) return { ...base, type: 'dir', size: 0 };
  if (st.isSymbolicLink()) {
    try {
      return { ...base, type: 'symlink', size: 0, linkTarget: await fs.readlink(abs) };
    } catch (e) {
      warnings.push(`${service}/${path}: ${(e as Error).message} (skipped)`);
      return undefined;
    }
  }
  warnings.push(`${service}/${path}: not a regular file, folder or symlink (skipped)`);
  return undefined;
}

async function walk(service: string, root: string, rel: string, out: Item[], warnings: string[]): Promise<void> {
  let names: string[];
  try {
    names = (await fs.readdir(rel ? join(root, rel) : root)).sort();
  } catch (e) {
    if (!rel) throw sourceError(`cannot read ${root}`, e);
    warnings.push(`${service}/${rel}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (contents skipped)`);
    return;
  }
  const items = await Promise.all(names.map((n) => statItem(service, rel ? `${rel}/${n}` : n, join(root, rel, n), warnings)));
  for (const it of items) {
    if (!it) continue;
    out.push(it);
    if (it.type === 'dir') await walk(service, root, it.path, out, warnings);
  }
}

/** The items of all sources, sorted by service and path; a path listed twice fails. */
export async function scan(sources: BackupSource[], warnings: string[]): Promise<Item[]> {
  const items: Item[] = [];
  for (const src of sources) {
    try {
      checkServiceName(src.service);
    } catch {
      throw sourceError(`${JSON.stringify(src.service)} is not a usable service name`);
    }
    if (src.root !== undefined) {
      if (!isAbsolute(src.root)) throw sourceError(`service ${src.service}: root ${src.root} is not an absolute path`);
      let st;
      try {
        st = await fs.stat(src.root);
      } catch (e) {
        throw sourceError(`service ${src.service}: cannot read ${src.root}`, e);
      }
      if (st.isDirectory()) {
        if (src.paths) {
          // STAT_AT_ONCE paths at a time: each lstat is a trip to the thread pool
          const root = src.root;
          const rels = src.paths.map((p) => checkedRel(src.service, p));
          for (let i = 0; i < rels.length; i += STAT_AT_ONCE) {
            const batch = rels.slice(i, i + STAT_AT_ONCE);
            for (const it of await Promise.all(batch.map((rel) => statItem(src.service, rel, join(root, ...rel.split('/')), warnings)))) if (it) items.push(it);
          }
        } else {
          await walk(src.service, src.root, '', items, warnings);
        }
      } else if (st.isFile()) {
        if (src.paths?.length) throw sourceError(`service ${src.service}: root ${src.root} is a file, paths make no sense`);
        items.push({ service: src.service, path: basename(src.root), type: 'file', mode: st.mode & 0o7777, mtime: st.mtimeMs, size: st.size, abs: src.root });
      } else {
        throw sourceError(`service ${src.service}: ${src.root} is not a file or folder`);
      }
    }
    for (const f of src.files ?? []) {
      const rel = checkedRel(src.service, f.path);
      if ('source' in f) {
        let st;
        try {
          st = await fs.stat(f.source);
        } catch (e) {
          throw sourceError(`service ${src.service}: cannot read ${f.source}`, e);
        }
        if (!st.isFile()) throw sourceError(`service ${src.service}: ${f.source} is not a regular file`);
        items.push({ service: src.service, path: rel, type: 'file', mode: st.mode & 0o7777, mtime: st.mtimeMs, size: st.size, abs: f.source });
      } else if ('copy' in f) {
        items.push({ service: src.service, path: rel, type: 'file', mode: f.mode, mtime: f.mtime, size: f.size, copy: f.copy });
      } else {
        items.push({ service: src.service, path: rel, type: 'file', mode: f.mode ?? 0o644, mtime: f.mtime ?? Date.now(), size: 0, stream: f.stream });
      }
    }
  }
  const seen = new Set<string>();
  for (const it of items) {
    const k = `${it.service}\0${it.path}`;
    if (seen.has(k)) throw sourceError(`service ${it.service}: ${it.path} is listed twice`);
    seen.add(k);
  }
  items.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return items;
}
