/**
 * supervisord (Debian's `supervisor` package: `apt-get install supervisor`) as a bench's anchor:
 * whether it is installed, and one supervisord with its own config, socket, logs and pid file in
 * a folder of the bench's, started on some programs, asked with `supervisorctl`, and shut down.
 * Nothing of the system's supervisord (/etc/supervisor) is used or touched.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, sleep, waitGone, type CommandResult } from './common';

export interface SupervisedProgram {
  command: string[];
  env?: Record<string, string>;
}

export interface Supervisord {
  /** Its config file (`supervisorctl -c CONF …`). */
  readonly conf: string;
  readonly pid: number;
  /** `supervisorctl -c CONF …args`. */
  ctl(args: string[], timeoutMs?: number): Promise<CommandResult>;
  /** `supervisorctl shutdown`, then wait for it to exit (its programs stopped). */
  stop(): Promise<void>;
}

/** supervisord's version, or undefined when `supervisord` / `supervisorctl` are not on PATH. */
export function supervisordVersion(): string | undefined {
  const d = spawnSync('supervisord', ['--version'], { encoding: 'utf8' });
  const c = spawnSync('supervisorctl', ['version'], { encoding: 'utf8' });
  return d.status === 0 && !c.error ? d.stdout.trim() : undefined;
}

const quote = (s: string) => `"${s.replace(/(["\\])/g, '\\$1')}"`;

/** Starts a supervisord in `dir` running `programs`, and waits until `supervisorctl status` shows them all RUNNING. */
export async function startSupervisord(dir: string, programs: Record<string, SupervisedProgram>, env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<Supervisord> {
  const conf = join(dir, 'supervisord.conf');
  const pidfile = join(dir, 'supervisord.pid');
  const lines = [
    '[unix_http_server]',
    `file=${join(dir, 'supervisor.sock')}`,
    'chmod=0700',
    '[supervisord]',
    `logfile=${join(dir, 'supervisord.log')}`,
    `pidfile=${pidfile}`,
    `childlogdir=${dir}`,
    '[rpcinterface:supervisor]',
    'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
    '[supervisorctl]',
    `serverurl=unix://${join(dir, 'supervisor.sock')}`,
  ];
  for (const [name, p] of Object.entries(programs)) {
    lines.push(`[program:${name}]`, `command=${p.command.map(quote).join(' ')}`, 'autorestart=true', 'startsecs=1');
    if (p.env && Object.keys(p.env).length) lines.push(`environment=${Object.entries(p.env).map(([k, v]) => `${k}=${quote(v)}`).join(',')}`);
  }
  writeFileSync(conf, lines.join('\n') + '\n');
  const ctl = (args: string[], ms = 30_000) => run('supervisorctl', ['-c', conf, ...args], { env, timeoutMs: ms });
  const started = await run('supervisord', ['-c', conf], { env, timeoutMs: 30_000 });
  if (started.code !== 0) throw new Error(`supervisord -c ${conf} failed (exit ${started.code}): ${started.stderr.trim()}`);
  // It forks into the background: its pid file appears a moment after the command above returns.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await ctl(['status']);
    const states = s.stdout.trim().split('\n').map((l) => l.split(/\s+/)[1]);
    if (s.code === 0 && states.length === Object.keys(programs).length && states.every((x) => x === 'RUNNING') && existsSync(pidfile)) break;
    if (Date.now() > deadline) throw new Error(`supervisord's programs not all RUNNING after ${timeoutMs / 1000} s:\n${s.stdout}${s.stderr}`);
    await sleep(200);
  }
  const pid = Number(readFileSync(pidfile, 'utf8').trim());
  return {
    conf,
    pid,
    ctl,
    stop: async () => {
      await ctl(['shutdown']).catch(() => undefined);
      const left = await waitGone([pid], 15_000);
      if (left.length) throw new Error(`supervisord (pid ${pid}) did not exit after \`supervisorctl shutdown\``);
    },
  };
}
