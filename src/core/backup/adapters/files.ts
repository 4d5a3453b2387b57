/**
 * Files and folders of a service, chosen by globs (`backup.files`) minus `backup.exclude`,
 * read where they are. Never taken as plain files: the stack's own `.opsdeck` folder (the
 * repository lives there), the SQLite databases the service declares (the SQLite adapter takes a
 * consistent copy of those) and their journals and lock folders. Symbolic links are not
 * followed; they are reported as skipped.
 */
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
  const relToService = (abs: string) => normalize(path.relative(ctx.serviceDir, abs).split(path.sep).join('/'));
  const toOrigin = (abs: string) => normalize(path.relative(ctx.stackDir, abs).split(path.sep).join('/'));

  const found = new Map<string, BackupItem>();
  const skipped: FilesResult['skipped'] = [];
  const visit = async (abs: string): Promise<void> => {
    const origin = toOrigin(abs);
    if (origin.startsWith('..') || path.isAbsolute(origin)) {
      throw new OpsError('BAD_REQUEST', `backup.files of ${ctx.service} reaches ${abs}, outside the stack folder`, 'backups take files inside the stack folder only');
    }
    if (origin === '.opsdeck' || origin.startsWith('.opsdeck/')) return;
    const rel = relToService(abs);
    if (rel !== '' && exclude.matches(rel)) return;
    let st;
    try {
      st = await lstat(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    if (st.isSymbolicLink()) {
      if (include.matches(rel)) skipped.push({ path: origin, reason: 'symbolic link (not followed)' });
      return;
    }
    if (st.isDirectory()) {
      const names = await readdir(abs).catch(() => [] as string[]);
      for (const name of names.sort()) await visit(path.join(abs, name));
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

  for (const g of include.globs) await visit(path.join(ctx.serviceDir, g.base));
  return { items: [...found.values()].sort((a, b) => a.path.localeCompare(b.path)), skipped };
}
