/**
 * OOM kills from the kernel log, where it is readable (`dmesg`; containers and hardened kernels
 * often refuse it): which pids the kernel killed for want of memory.
 */
import { runCommand } from '../health/run-command';

export interface OomKills {
  readable: boolean;
  /** pid → the kernel's line about it. */
  killed: Map<number, string>;
  error?: string;
}

const OOM_LINE = /(?:Out of memory: Killed process|oom-kill:.*?\bpid=|Killed process) ?(\d+)/;

export function parseOomKills(text: string): Map<number, string> {
  const killed = new Map<number, string>();
  for (const line of text.split('\n')) {
    const m = OOM_LINE.exec(line);
    if (m) killed.set(Number(m[1]), line.trim());
  }
  return killed;
}

export async function readOomKills(): Promise<OomKills> {
  if (process.platform !== 'linux') return { readable: false, killed: new Map(), error: 'not Linux' };
  const r = await runCommand(['dmesg'], { cwd: '/', env: process.env as Record<string, string>, timeoutMs: 3000 });
  if (r.exitCode !== 0) return { readable: false, killed: new Map(), error: (r.startError ?? r.output).trim().split('\n')[0] ?? 'dmesg failed' };
  return { readable: true, killed: parseOomKills(r.output) };
}
