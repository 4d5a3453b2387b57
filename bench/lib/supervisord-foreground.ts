/**
 * supervisord (Debian's `supervisor` package) for the benches: find it (or say how to install it),
 * write a configuration with one program per service into a temporary folder (its socket, logs
 * and pid file there too, nothing in /etc), run it in the foreground as the bench's child, wait for
 * every program to be RUNNING, and shut it down (which stops its programs' process groups).
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from './common';
import { supervisordCall, xmlRpcMember } from './pid-listers';

export const SUPERVISORD = '/usr/bin/supervisord';

/** supervisord's version, or an error that says how to install it (Debian: `apt-get install supervisor`). */
export function supervisordVersion(): string {
  const r = spawnSync(SUPERVISORD, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      `supervisord not found at ${SUPERVISORD}: install Debian's package (as root: apt-get update && apt-get install -y supervisor), ` +
        'or leave it out with --only opsdeck,pm2',
    );
  }
  return r.stdout.trim();
}

export interface SupervisordProgram {
  name: string;
  command: string[];
  env: Record<string, string>;
}

export interface SupervisordRun {
  pid: number;
  socket: string;
  dir: string;
}

/** `%` starts an expansion in supervisord's configuration; values with spaces are quoted. */
const confValue = (s: string) => s.replace(/%/g, '%%');
const confArg = (s: string) => (/[\s"']/.test(s) ? `"${s.replace(/"/g, '\\"')}"` : s).replace(/%/g, '%%');

/**
 * Write `<dir>/supervisord.conf` and start supervisord in the foreground (`-n`), with `env` (the
 * bench's marker reaches the programs through it). Each program restarts on any exit, as PM2's
 * apps and Opsdeck's services (`on-failure`) do after a kill, and is stopped with its group.
 */
export function startSupervisord(dir: string, programs: SupervisordProgram[], env: NodeJS.ProcessEnv): SupervisordRun {
  const socket = join(dir, 'supervisor.sock');
  const conf = [
    '[unix_http_server]',
    `file=${confValue(socket)}`,
    '',
    '[supervisord]',
    `logfile=${confValue(join(dir, 'supervisord.log'))}`,
    `pidfile=${confValue(join(dir, 'supervisord.pid'))}`,
    `childlogdir=${confValue(dir)}`,
    'nodaemon=true',
    '',
    '[rpcinterface:supervisor]',
    'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
    '',
    '[supervisorctl]',
    `serverurl=unix://${confValue(socket)}`,
    '',
    ...programs.flatMap((p) => [
      `[program:${p.name}]`,
      `command=${p.command.map(confArg).join(' ')}`,
      `environment=${Object.entries(p.env).map(([k, v]) => `${k}="${confValue(v)}"`).join(',')}`,
      'autostart=true',
      'autorestart=true',
      'stopasgroup=true',
      'killasgroup=true',
      'redirect_stderr=true',
      `stdout_logfile=${confValue(join(dir, `${p.name}.log`))}`,
      '',
    ]),
  ].join('\n');
  const confFile = join(dir, 'supervisord.conf');
  writeFileSync(confFile, conf);
  const child = spawn(SUPERVISORD, ['-n', '-c', confFile], { env, stdio: 'ignore', detached: true });
  child.unref();
  if (child.pid === undefined) throw new Error('supervisord could not be started');
  return { pid: child.pid, socket, dir };
}

/** Wait until supervisord answers and every program is RUNNING. */
export async function waitSupervisordRunning(run: SupervisordRun, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const xml = await supervisordCall(run.socket, 'supervisor.getAllProcessInfo');
      const states = xml.split('<struct>').slice(1).map((s) => xmlRpcMember(s, 'statename'));
      const running = states.filter((s) => s === 'RUNNING').length;
      if (states.length === count && running === count) return;
      last = `${running}/${count} RUNNING`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`supervisord: programs not all RUNNING within ${timeoutMs / 1000} s (${last})`);
}

/** Ask supervisord to shut down (it stops its programs first); SIGTERM if it does not answer. */
export async function stopSupervisord(run: SupervisordRun): Promise<void> {
  try {
    await supervisordCall(run.socket, 'supervisor.shutdown');
  } catch {
    try {
      process.kill(run.pid, 'SIGTERM');
    } catch {
      // gone already
    }
  }
}
