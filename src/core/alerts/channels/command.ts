/**
 * The command channel: a program run without a shell (argv from opsdeck.yaml), in the stack
 * folder, the alert payload as JSON on its stdin. Exit code 0 is success.
 */
import { execFile } from 'node:child_process';
import { OpsError } from '../../errors';

export function runCommandChannel(channel: string, argv: readonly string[], input: unknown, cwd: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(argv[0]!, argv.slice(1), { cwd, timeout: timeoutMs, shell: false, maxBuffer: 1024 * 1024 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `${argv[0]} was not found` : `${err.message.split('\n')[0]}${stderr ? `: ${String(stderr).trim().slice(0, 300)}` : ''}`;
      reject(new OpsError('ALERT_CHANNEL_FAILED', `channel ${channel}: the command failed: ${why}`, 'run it by hand with the alert JSON on stdin to see why'));
    });
    child.stdin?.on('error', () => undefined); // a program that does not read its stdin
    child.stdin?.end(JSON.stringify(input) + '\n');
  });
}
