/**
 * A channel's secret, from where opsdeck.yaml says it is: a variable of the engine's environment
 * (`*_env`) or a file (`*_file`, relative to the stack folder) that only its owner may read
 * (mode 0600 or narrower). Read when the channel sends, so a fixed secret needs no reload.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { OpsError } from '../../errors';

export interface SecretRef {
  env?: string | undefined;
  file?: string | undefined;
}

export function readSecret(channel: string, what: string, ref: SecretRef, stackDir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (ref.env !== undefined) {
    const v = env[ref.env];
    if (!v) throw new OpsError('ALERT_SECRET_INVALID', `channel ${channel}: the ${what} variable ${ref.env} is not set in the engine's environment`, `export ${ref.env}=… before starting the engine (opsdeck up / the daemon), or use a file of mode 0600`);
    return v;
  }
  if (ref.file !== undefined) {
    const path = isAbsolute(ref.file) ? ref.file : join(stackDir, ref.file);
    let mode: number;
    try {
      mode = statSync(path).mode;
    } catch (e) {
      throw new OpsError('ALERT_SECRET_INVALID', `channel ${channel}: cannot read the ${what} file ${ref.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, `write the ${what} into ${ref.file} and run chmod 600 ${ref.file}`);
    }
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new OpsError('ALERT_SECRET_INVALID', `channel ${channel}: the ${what} file ${ref.file} can be read by others (mode ${(mode & 0o777).toString(8).padStart(4, '0')})`, `run chmod 600 ${ref.file}`);
    }
    const v = readFileSync(path, 'utf8').trim();
    if (!v) throw new OpsError('ALERT_SECRET_INVALID', `channel ${channel}: the ${what} file ${ref.file} is empty`, `write the ${what} into it`);
    return v;
  }
  return undefined;
}
