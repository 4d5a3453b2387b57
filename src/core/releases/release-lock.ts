/**
 * One release operation at a time per stack: `.opsdeck/releases.lock` holds the pid of the
 * process running one, created exclusively; a lock whose process is gone (a kill -9) is taken over.
 */
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { OpsError } from '../errors';
import { removeIfEmpty } from './layout';
import { isAlive } from '../os/process-info';

export async function withReleaseLock<T>(stackDir: string, fn: () => Promise<T>): Promise<T> {
  // A folder that does not exist yet (the dry run of a first deploy) is not created for a lock.
  if (!existsSync(stackDir)) return fn();
  const dir = path.join(stackDir, '.opsdeck');
  const created = !existsSync(dir);
  if (created) mkdirSync(dir, { mode: 0o700 });
  const file = path.join(dir, 'releases.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw lockError(file, e);
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new OpsError('RELEASE_FAILED', `another release operation runs (pid ${pid})`, 'wait for it to finish (opsdeck releases shows it)');
      }
      rmSync(file, { force: true });
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
    if (created) removeIfEmpty(dir);
  }
}

const lockError = (file: string, e: unknown) =>
  e instanceof OpsError ? e : new OpsError('RELEASE_FAILED', `cannot take ${file}: ${(e as Error).message}`, 'check the permissions of .opsdeck/');
