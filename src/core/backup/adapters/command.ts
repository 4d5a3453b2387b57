/**
 * A custom command whose stdout is the backup (`backup.command: { exec, file }`), run from the
 * service's folder with the service's environment; a non-zero exit fails the backup with the
 * end of its stderr. `restore` (optional) takes the stored file back on stdin after an in-place
 * restore, with the service running.
 */
import { createReadStream, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { OpsError } from '../../errors';
import { dumpPath, type AdapterContext, type BackupItem } from './types';

export interface CommandTarget {
  exec: string[];
  file: string;
  restore?: string[];
  timeout: number;
}

const lastLines = (text: string, n = 5) => text.trim().split('\n').slice(-n).join('\n');

export async function collectCommand(ctx: AdapterContext, cfg: CommandTarget): Promise<BackupItem[]> {
  const dest = path.join(ctx.staging, 'command', cfg.file);
  mkdirSync(path.dirname(dest), { recursive: true });
  const r = await execa(cfg.exec[0]!, cfg.exec.slice(1), {
    cwd: ctx.serviceDir,
    env: ctx.env,
    stdout: { file: dest },
    stdin: 'ignore',
    reject: false,
    timeout: cfg.timeout,
    cancelSignal: ctx.signal,
  });
  if (r.exitCode !== 0) {
    const how = r.timedOut ? `did not finish within ${cfg.timeout / 1000}s` : r.exitCode === undefined ? String(r.shortMessage) : `exited with code ${r.exitCode}`;
    throw new OpsError(
      'BACKUP_SOURCE_FAILED',
      `backup command of ${ctx.service} (${cfg.exec.join(' ')}) ${how}${r.stderr ? `: ${lastLines(String(r.stderr))}` : ''}`,
      'run the command by hand from the service\'s folder; it must write the backup on stdout and exit 0',
    );
  }
  const st = statSync(dest);
  return [{ service: ctx.service, kind: 'command', path: dumpPath('command', cfg.file), source: dest, live: false, size: st.size, mtimeMs: st.mtimeMs, mode: 0o600, note: cfg.exec.join(' ') }];
}

export async function restoreCommand(file: string, cfg: CommandTarget, opts: { cwd: string; env: Record<string, string> }): Promise<void> {
  if (!cfg.restore) return;
  const r = await execa(cfg.restore[0]!, cfg.restore.slice(1), { cwd: opts.cwd, env: opts.env, stdin: createReadStream(file), reject: false, timeout: cfg.timeout });
  if (r.exitCode !== 0) {
    throw new OpsError('BACKUP_RESTORE_FAILED', `restore command ${cfg.restore.join(' ')} failed (exit ${r.exitCode ?? r.signal})${r.stderr ? `: ${lastLines(String(r.stderr))}` : ''}`, 'run it by hand with the file on stdin to see why');
  }
}
