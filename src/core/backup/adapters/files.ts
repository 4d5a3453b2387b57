/**
 * Files and folders of a service, chosen by globs (`backup.files`) minus `backup.exclude`,
 * read where they are. Never taken as plain files: the stack's own `.opsdeck` folder (the
 * repository lives there), the SQLite databases the service declares (the SQLite adapter takes a
 * consistent copy of those) and their journals and lock folders. Symbolic links are not
 * followed; they are reported as skipped.
 */
import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { OpsError } from '../../errors';
import { compileGlobs, normalize } from '../../glob';
import type { AdapterContext, BackupItem } from './types';

export interface FilesResult {
  items: BackupItem[];
  /** Paths (stack-relative) that matched but were not taken, with why. */
  skipped: { path: string; reason: string }[];
}

/** SQLite's own companions of a database file, which are never backed up on their own. */
export const SQLITE_SIDECARS = ['-journal', '-wal', '-shm', '.lock'];

export async function collectFiles(
  ctx: AdapterContext,
  patterns: readonly string[],
  excludes: readonly string[],
  /** Stack-relative paths handled by another adapter (the declared SQLite databases). */
  reserved: readonly string[] = [],
): Promise<FilesResult> {
  const include = compileGlobs(patterns, `backup.files of ${ctx.service}`);
  const exclude = compileGlobs(excludes, `backup.exclude of ${ctx.service}`);
  const reservedSet = new Set(reserved.map(normalize));
  const isReserved = (origin: string) =>
    reservedSet.has(origin) || [...reservedSet].some((r) => SQLITE_SIDECARS.some((s) => origin === r + s || origin.startsWith(`${r}${s}/`)));
  const relToService = relativeFrom(ctx.serviceDir);
  const toOrigin = relativeFrom(ctx.stackDir);

  const found = new Map<string, BackupItem>();
  const skipped: FilesResult['skipped'] = [];
  /** An entry to visit: its paths (from the stack and from the service folder) and what lstat says of it. */
  interface Entry {
    abs: string;
    origin: string;
    rel: string;
    st: Stats;
  }
  /** The entry at `abs`, or undefined when it is gone or not walked (.opsdeck, excluded). */
  const entryAt = async (abs: string): Promise<Entry | undefined> => {
    const origin = toOrigin(abs);
    if (origin.startsWith('..') || path.isAbsolute(origin)) {
      throw new OpsError('BAD_REQUEST', `backup.files of ${ctx.service} reaches ${abs}, outside the stack folder`, 'backups take files inside the stack folder only');
    }
    if (origin === '.opsdeck' || origin.startsWith('.opsdeck/')) return undefined;
    const rel = relToService(abs);
    if (rel !== '' && exclude.matches(rel)) return undefined;
    try {
      return { abs, origin, rel, st: await lstat(abs) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  };
  const visit = async (entry: Entry | undefined): Promise<void> => {
    if (!entry) return;
    const { abs, origin, rel, st } = entry;
    if (st.isSymbolicLink()) {
      if (include.matches(rel)) skipped.push({ path: origin, reason: 'symbolic link (not followed)' });
      return;
    }
    if (st.isDirectory()) {
      const names = await readdir(abs).catch(() => [] as string[]);
      // a folder's entries looked at all at once (each lstat is a trip to the thread pool), then visited in order
      const entries = await Promise.all(names.sort().map((name) => entryAt(path.join(abs, name))));
      for (const child of entries) await visit(child);
      return;
    }
    if (!st.isFile()) return;
    if (!include.matches(rel)) return;
    if (isReserved(origin)) {
      skipped.push({ path: origin, reason: 'SQLite database (taken by the SQLite adapter)' });
      return;
    }
    found.set(origin, {
      service: ctx.service,
      kind: 'file',
      path: origin,
      source: abs,
      live: true,
      size: st.size,
      mtimeMs: st.mtimeMs,
      mode: st.mode & 0o7777,
    });
  };

  for (const g of include.globs) await visit(await entryAt(path.join(ctx.serviceDir, g.base)));
  // by code unit, as the repository sorts a snapshot's entries (localeCompare cost ~20 µs an item)
  return { items: [...found.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), skipped };
}

/**
 * A path (made by path.join, so normalized) relative to `dir`, with `/`. One under `dir` is cut off
 * as a string where that is the same thing (POSIX, `dir` absolute and normalized): path.relative
 * costs ~10× as much, for every entry walked.
 */
function relativeFrom(dir: string): (abs: string) => string {
  const slow = (abs: string) => normalize(path.relative(dir, abs).split(path.sep).join('/'));
  if (path.sep !== '/' || !path.isAbsolute(dir) || dir !== path.normalize(dir) || dir.endsWith('/')) return slow;
  return (abs) => (abs.length > dir.length + 1 && abs.startsWith(dir) && abs[dir.length] === '/' ? normalize(abs.slice(dir.length + 1)) : slow(abs));
}
