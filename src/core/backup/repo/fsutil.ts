/**
 * File-system primitives with the durability the repository's guarantees rest on: a file is
 * written to a temporary name, fsynced, renamed into place, and its directory fsynced, so after a
 * crash it is either absent or complete. Write failures become OpsErrors (ENOSPC with a hint).
 */
import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import fs from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { OpsError } from '../../errors';

export const TMP_DIR = 'tmp';

export async function fsyncDir(dir: string): Promise<void> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
    await fh.sync();
  } catch (e) {
    // Some file systems refuse fsync on directories (EINVAL); the data is still synced.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR') throw writeError(e, dir);
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** A unique temporary path inside the repository's tmp/ folder (same file system as the target). */
export function tmpPath(repoDir: string, what: string): string {
  return join(repoDir, TMP_DIR, `${what}-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Write `parts` to `finalPath` atomically and durably: tmp file, fsync, rename, fsync the
 * directory (unless `syncDir` is false: the caller syncs the directories it touched itself).
 * `tmpName` starts the temporary file's name (what it becomes: `pack`; default `w`).
 */
export async function writeFileDurable(
  repoDir: string,
  finalPath: string,
  parts: readonly Uint8Array[],
  options: { syncDir?: boolean; exclusive?: boolean; tmpName?: string } = {},
): Promise<void> {
  const tmp = tmpPath(repoDir, options.tmpName ?? 'w');
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(tmp, 'wx', 0o600);
    await writeAll(fh, parts);
    await fh.sync();
    await fh.close();
    fh = undefined;
    if (options.exclusive) {
      // link() fails if the name exists: never replace a file that is already there
      await fs.link(tmp, finalPath);
      await fs.unlink(tmp);
    } else {
      await fs.rename(tmp, finalPath);
    }
    if (options.syncDir !== false) await fsyncDir(dirname(finalPath));
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw writeError(e, finalPath);
  }
}

export async function writeAll(fh: fs.FileHandle, parts: readonly Uint8Array[]): Promise<void> {
  // writev in batches (IOV_MAX is 1024 on Linux)
  for (let i = 0; i < parts.length; i += 512) {
    const batch = parts.slice(i, i + 512);
    let total = 0;
    for (const b of batch) total += b.length;
    let { bytesWritten } = await fh.writev(batch as Uint8Array[]);
    if (bytesWritten === total) continue;
    // short write: finish piece by piece
    for (const b of batch) {
      if (bytesWritten >= b.length) {
        bytesWritten -= b.length;
        continue;
      }
      let off = bytesWritten;
      bytesWritten = 0;
      while (off < b.length) {
        const r = await fh.write(b, off, b.length - off);
        off += r.bytesWritten;
      }
    }
  }
}

export function isNoSpace(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG';
}

/** The OpsError for a failed write into the repository (passes OpsErrors through). */
export function writeError(e: unknown, path: string): OpsError {
  if (e instanceof OpsError) return e;
  const err = e as NodeJS.ErrnoException;
  if (isNoSpace(e)) {
    return new OpsError(
      'BACKUP_NO_SPACE',
      `no space left writing ${path} (${err.code})`,
      'free space on the repository disk (or run `opsdeck backups forget` and `opsdeck backups prune`), then run the backup again; snapshots already in the repository are intact',
      { path, code: err.code },
    );
  }
  return new OpsError(
    'BACKUP_WRITE_FAILED',
    `cannot write ${path}: ${err?.message ?? String(e)}`,
    'check that the repository folder is writable and its disk healthy; snapshots already in the repository are intact',
    { path, code: err?.code },
  );
}

export async function exists(path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Names in a directory, [] when it does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** Unlink, tolerating a file already gone. */
export async function removeFile(path: string): Promise<void> {
  try {
    await fs.unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw writeError(e, path);
  }
}
