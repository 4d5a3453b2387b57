/**
 * A V8 CPU profile of a running Node process, through the inspector protocol: SIGUSR1 opens the
 * process's inspector (Node's documented way to start it after the fact), the port it opened is
 * found among the process's listening sockets (so another inspector on 9229 is never mistaken for
 * it), `/json/list` there gives the WebSocket of its target, and Profiler.start / Profiler.stop
 * take the profile, written as a `.cpuprofile` that VS Code opens. The inspector this opened is
 * closed again afterwards.
 */
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ProfiledFunction } from '../../contract/doctor';
import { OpsError } from '../../errors';
import { listeningPortsOf } from '../port-owners';
import { openWebSocket, type InspectorSocket } from './inspector-socket';

/** Whether `pid` runs Node (its executable or its argv[0] is `node`). */
export function isNodeProcess(pid: number): boolean {
  const isNode = (path: string) => /^node(js)?(\d+(\.\d+)*)?$/.test(basename(path));
  try {
    if (isNode(readlinkSync(`/proc/${pid}/exe`))) return true;
  } catch {
    // not ours to read: try the command line
  }
  try {
    return isNode(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '');
  } catch {
    return false;
  }
}

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** The functions with the most self time, aggregated by name and place (idle time is not a function). */
export function topFunctions(profile: CpuProfile, n = 10): ProfiledFunction[] {
  const hits = profile.nodes.reduce((s, x) => s + (x.hitCount ?? 0), 0);
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const perHit = hits ? totalMs / hits : 0;
  const byFn = new Map<string, ProfiledFunction>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    if (!node.hitCount || functionName === '(root)' || functionName === '(idle)') continue;
    const key = `${functionName}\0${url}\0${lineNumber}`;
    const f = byFn.get(key) ?? { name: functionName || '(anonymous)', url, line: lineNumber + 1, selfMs: 0, selfPercent: 0 };
    f.selfMs += node.hitCount * perHit;
    byFn.set(key, f);
  }
  return [...byFn.values()]
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, n)
    .map((f) => ({ ...f, selfMs: Math.round(f.selfMs * 10) / 10, selfPercent: totalMs ? Math.round((f.selfMs / totalMs) * 1000) / 10 : 0 }));
}

/** The inspector's WebSocket of `pid`: the target listed by a port it listens on. */
async function inspectorUrl(pid: number, before: readonly number[], timeoutMs: number): Promise<{ url: string; opened: boolean }> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ports = listeningPortsOf(pid);
    // A port opened by the signal first, then any (an inspector already open: --inspect).
    for (const port of [...ports.filter((p) => !before.includes(p)), ...ports.filter((p) => before.includes(p))]) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(1000) });
        const list = (await res.json()) as { webSocketDebuggerUrl?: string }[];
        const url = list.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
        if (url) return { url, opened: !before.includes(port) };
      } catch {
        // not the inspector (another server of the service), or not answering yet
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new OpsError('NOT_AVAILABLE', `pid ${pid} opened no inspector within ${timeoutMs}ms of SIGUSR1`, 'the service may handle SIGUSR1 itself, or run with --disable-sigusr1');
}

/** Requests over one inspector connection, answered by id. */
function session(ws: InspectorSocket) {
  let next = 1;
  const waiting = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  ws.onMessage((text) => {
    const msg = JSON.parse(text) as { id?: number; result?: unknown; error?: { message: string } };
    const w = msg.id === undefined ? undefined : waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id!);
    if (msg.error) w.fail(new Error(msg.error.message));
    else w.ok(msg.result);
  });
  ws.onClose((why) => {
    for (const w of waiting.values()) w.fail(new Error(`the inspector connection ended: ${why}`));
    waiting.clear();
  });
  return <T>(method: string, params: object = {}): Promise<T> =>
    new Promise<T>((ok, fail) => {
      const id = next++;
      waiting.set(id, { ok: ok as (v: unknown) => void, fail });
      ws.send(JSON.stringify({ id, method, params }));
    });
}

export interface CpuProfileResult {
  file: string;
  topFunctions: ProfiledFunction[];
}

/** Profile Node process `pid` for `durationMs`, write the profile to `file`. */
export async function takeCpuProfile(pid: number, durationMs: number, file: string): Promise<CpuProfileResult> {
  const before = listeningPortsOf(pid);
  process.kill(pid, 'SIGUSR1');
  const { url, opened } = await inspectorUrl(pid, before, 5000);
  const ws = await openWebSocket(url);
  const send = session(ws);
  try {
    await send('Profiler.enable');
    await send('Profiler.setSamplingInterval', { interval: 500 });
    await send('Profiler.start');
    await new Promise((r) => setTimeout(r, durationMs));
    const { profile } = await send<{ profile: CpuProfile }>('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile), { mode: 0o600 });
    await send('Profiler.disable').catch(() => undefined);
    // Close the inspector this opened: the process goes back to listening on nothing new.
    if (opened) ws.send(JSON.stringify({ id: 999_999, method: 'Runtime.evaluate', params: { expression: 'process._debugEnd && process._debugEnd()' } }));
    return { file, topFunctions: topFunctions(profile) };
  } finally {
    setTimeout(() => ws.close(), 50).unref();
  }
}
