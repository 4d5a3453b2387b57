/**
 * Owner-only files and folders: what holds service output or events under `.opsdeck/` (logs,
 * the memory journal, memory.db) is created 0600 in 0700 folders, and a file or folder an older
 * version left readable by others is narrowed when it is opened again. Modes are a no-op on
 * Windows, where the user's profile folder protects them.
 */
import { chmodSync, fchmodSync, fstatSync, mkdirSync, openSync, statSync } from 'node:fs';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

const POSIX = process.platform !== 'win32';

/** Create `dir` (and missing parents) owner-only, or make an existing one so. */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  narrow(dir, PRIVATE_DIR_MODE);
}

/** openSync(`path`, `flags`) creating the file 0600; an existing file is made 0600 too. */
export function openPrivate(path: string, flags: string): number {
  const fd = openSync(path, flags, PRIVATE_FILE_MODE);
  try {
    if (POSIX && (fstatSync(fd).mode & 0o777) !== PRIVATE_FILE_MODE) fchmodSync(fd, PRIVATE_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err; // another user's file we may write: left as it is
  }
  return fd;
}

/** Make an existing file owner-only (no error when it is gone). */
export function privateFile(path: string): void {
  narrow(path, PRIVATE_FILE_MODE);
}

function narrow(path: string, mode: number): void {
  if (!POSIX) return;
  try {
    if ((statSync(path).mode & 0o777) !== mode) chmodSync(path, mode);
  } catch (err) {
    // Gone, or not ours to change (another user's file): nothing this process can narrow.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EPERM') throw err;
  }
}
