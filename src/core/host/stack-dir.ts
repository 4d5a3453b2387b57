/**
 * Which stack a command means: the folder given (a folder, or its opsdeck.yaml), else the nearest
 * folder upward from the working directory that holds an opsdeck.yaml. The CLI's `--stack` and
 * the daemon's use it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_FILE } from '../config/config-file';
import { OpsError } from '../errors';

/** The stack folder for a `--stack` value (a folder or its opsdeck.yaml), or the nearest one upward without. */
export function findStackDir(given: string | undefined): string {
  if (given) {
    const abs = path.resolve(given);
    return path.basename(abs) === CONFIG_FILE ? path.dirname(abs) : abs;
  }
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, CONFIG_FILE))) return dir;
    if (path.dirname(dir) === dir) break;
  }
  throw new OpsError(
    'CONFIG_NOT_FOUND',
    `no ${CONFIG_FILE} in ${process.cwd()} or any folder above it`,
    'run the command inside a stack folder, pass --stack DIR, or create one with `opsdeck init`',
  );
}
