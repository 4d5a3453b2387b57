/**
 * One running service process: spawned from argv (a shell only when asked) with Node's
 * child_process, as the leader of its own process group, with its output split into lines.
 * Stopping signals the whole group, waits for the grace period, then SIGKILLs every process of
 * the tree that is left. (Not execa: its wrapping cost ~0.6 ms of a restart's spawn, and a
 * service needs none of it.)
 */
import { spawn, type ChildProcess as NodeChildProcess } from 'node:child_process';
import { sleep } from '../clock';
import { splitLines } from './line-splitter';
import { isAlive } from '../os/process-info';
import { processTree, readProcessTable } from './process-table';

export interface SpawnSpec {
  command: string[] | string;
  shell: boolean;
  cwd: string;
  env: Record<string, string>;
  /** Soft limit on open files for the child (RLIMIT_NOFILE). */
  openFiles?: number;
}

import type { ExitInfo } from '../contract/status';

export type LineSink = (stream: 'stdout' | 'stderr', line: string) => void;

/** The argv actually executed: the service's, wrapped to set the open-files limit if one is set. */
export function commandLine(spec: SpawnSpec): { file: string; args: string[] } {
  const script = typeof spec.command === 'string' ? spec.command : undefined;
  if (spec.shell) {
    const body = script ?? (spec.command as string[]).join(' ');
    const withLimit = spec.openFiles ? `ulimit -n ${spec.openFiles} && ${body}` : body;
    return { file: '/bin/sh', args: ['-c', withLimit] };
  }
  const argv = spec.command as string[];
  if (spec.openFiles) {
    // `exec "$@"` replaces the shell: the service keeps the pid and gets its argv untouched.
    return { file: '/bin/sh', args: ['-c', 'ulimit -n "$0" && exec "$@"', String(spec.openFiles), ...argv] };
  }
  return { file: argv[0]!, args: argv.slice(1) };
}

export class ChildProcess {
  readonly pid: number | undefined;
  readonly exited: Promise<ExitInfo>;
  private done = false;

  constructor(spec: SpawnSpec, onLine: LineSink) {
    const { file, args } = commandLine(spec);
    let sub: NodeChildProcess | undefined;
    let failure: Error | undefined;
    try {
      sub = spawn(file, args, {
        cwd: spec.cwd,
        env: spec.env,
        detached: true, // own session and process group: the group can be signalled as one
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (e) {
      failure = e as Error; // arguments Node refuses before spawning (a NUL byte in argv or env)
    }
    this.pid = sub?.pid;
    for (const stream of ['stdout', 'stderr'] as const) {
      const s = sub?.[stream];
      if (s) splitLines(s, (l) => onLine(stream, l));
    }
    // The exit event, not the close event: that one also waits for stdout/stderr to close,
    // which a grandchild still holding them can delay forever. A process that could not be
    // started (no such file, no permission) reports an error and no exit.
    this.exited = new Promise<ExitInfo>((resolveExit) => {
      const failed = (e: Error) => resolveExit({ code: null, signal: null, error: firstLine(e.message) });
      if (!sub) return failed(failure!);
      sub.once('exit', (code, signal) => resolveExit({ code, signal }));
      sub.on('error', (e: Error) => {
        if (this.pid === undefined) failed(e);
      });
    }).finally(() => {
      this.done = true;
    });
  }

  get running(): boolean {
    return !this.done;
  }

  /** Send a signal to the whole process group (falling back to the process alone). */
  signalGroup(signal: NodeJS.Signals): void {
    if (this.pid === undefined) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      try {
        process.kill(this.pid, signal);
      } catch {
        // already gone
      }
    }
  }

  /** After the leader exited on its own: kill what is left of its group (no orphans). */
  killLeftovers(): void {
    if (this.pid === undefined) return;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // nothing left
    }
  }

  /**
   * Stop the process and everything it started: `signal` to the group (plus SIGCONT so a
   * stopped process can act on it), wait up to `graceMs` for the whole tree, then SIGKILL
   * the group and every remaining descendant, including those that left the group.
   */
  async stop(signal: NodeJS.Signals, graceMs: number): Promise<ExitInfo> {
    if (this.pid === undefined) return this.exited;
    const table = await readProcessTable().catch(() => []);
    const tree = new Set([this.pid, ...processTree(table, this.pid).map((p) => p.pid)]);
    this.signalGroup(signal);
    this.signalGroup('SIGCONT');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (!this.running && ![...tree].some(isAlive)) break;
      await sleep(Math.min(25, Math.max(1, deadline - Date.now())));
    }
    this.signalGroup('SIGKILL');
    for (const pid of tree) {
      if (pid !== this.pid && isAlive(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
    for (let i = 0; i < 40 && [...tree].some(isAlive); i++) await sleep(25);
    return this.exited;
  }
}

const firstLine = (s: string) => s.split('\n')[0]!.trim();
