/**
 * A cron line set of a stack, for machines with neither systemd nor launchd: `@reboot` lines
 * that start the engine (engine mode) or each service through `opsdeck exec` (native mode: it
 * waits for dependencies and the delay; nothing restarts a crashed service), and the backup
 * schedules. System scope: a file for /etc/cron.d (with the user field); user scope: a block
 * that `install` puts into the user's crontab.
 */
import path from 'node:path';
import type { LoadedStack } from '../config/load';
import { parseCron } from './calendar';
import { hashHeader, type Header } from './header';
import type { GenerateOptions, UnitSet } from './model';
import { unitPrefix } from './names';
import { servicePlans, waitFors } from './service-plan';
import { wrapCommand } from './wrapper-args';

/** One word for /bin/sh: single-quoted unless plain; `%` escaped (cron turns it into a newline). */
export function shellWord(s: string): string {
  const q = /^[A-Za-z0-9_./:=,+@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
  return q.replace(/%/g, '\\%');
}
const line = (argv: string[]) => argv.map(shellWord).join(' ');

/** The cron file's name: /etc/cron.d ignores names with a dot. */
export const cronFileName = (stack: string, scope: 'user' | 'system') => (scope === 'system' ? unitPrefix(stack) : `${unitPrefix(stack)}.crontab`);

export function cronLines(stack: LoadedStack, header: Header, opts: GenerateOptions): Pick<UnitSet, 'files' | 'activate' | 'notes'> {
  const boot = stack.config.boot;
  const user = opts.scope === 'system' ? `${boot.user ?? 'root'} ` : '';
  const searchPath = opts.path ?? process.env.PATH ?? '/usr/bin:/bin';
  const log = (name: string) => `>> ${shellWord(path.join(stack.dir, '.opsdeck', 'logs', `${name}.log`))} 2>&1`;
  const cli = [...opts.launcher.cli, '--stack', stack.dir];
  const wrap = (argv: string[], name?: string, waitFor?: string[]) =>
    wrapCommand(opts.launcher, stack.dir, { ...(name ? { name } : {}), ...(waitFor ? { waitFor } : {}), delayMs: boot.delay, timeoutMs: boot.wait_timeout }, argv);
  const lines: string[] = [`PATH=${searchPath}`];
  let secret = false;
  if (opts.mode === 'engine') {
    const env = Object.entries(opts.launcher.daemonEnv).map(([k, v]) => `${k}=${v}`);
    const run = [...(env.length ? ['env', ...env] : []), ...wrap([...opts.launcher.daemon, '--stack', stack.dir])];
    lines.push(`@reboot ${user}cd ${shellWord(stack.dir)} && ${line(run)} ${log('engine')}`);
  } else {
    for (const p of servicePlans(stack, searchPath)) {
      const env = Object.entries({ ...p.env, ...p.secrets }).map(([k, v]) => `${k}=${v}`);
      if (Object.keys(p.secrets).length) secret = true;
      const run = ['env', ...env, ...wrap(p.argv, p.name, waitFors(p, stack.config.services, true))];
      lines.push(`@reboot ${user}cd ${shellWord(p.cwd)} && ${line(run)} ${log(p.name)}`);
    }
    const b = stack.config.backup;
    const when = (expr: string) => {
      parseCron(expr); // refuse what a 5-field crontab cannot say
      return expr.trim();
    };
    if (b.schedule) lines.push(`${when(b.schedule)} ${user}${line([...cli, 'backup', '--no-progress'])} ${log('backup')}`);
    if (b.verify_schedule) lines.push(`${when(b.verify_schedule)} ${user}${line([...cli, 'backups', 'verify', '--read-data-subset', b.verify_subset])} ${log('verify')}`);
  }
  const name = cronFileName(stack.config.name, opts.scope);
  const notes = ['cron does not restart a crashed process, orders nothing and enforces no limit: use engine mode with cron'];
  return { files: [{ name, text: `${hashHeader(header)}${lines.join('\n')}\n`, mode: secret || opts.scope === 'user' ? 0o600 : 0o644, role: 'crontab' }], activate: [name], notes };
}
