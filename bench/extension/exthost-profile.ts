/**
 * Where an idle extension host's CPU goes: a V8 CPU profile of one running Node process, taken
 * from outside through its inspector, summarised by who is on the stack. Used by
 * bench/extension/extension.ts after its measured windows (never during one: profiling costs
 * CPU too); it needs Node's WebSocket client, so it runs as
 *
 *   node --experimental-websocket --import tsx bench/extension/exthost-profile.ts PID SECONDS OUT.cpuprofile
 *
 * SIGUSR1 opens the process's inspector on 127.0.0.1:9229 (the port must be free before: this
 * is how the target is known to be that process); the profile is taken with the Profiler domain
 * (200 µs sampling), then the inspector is closed again (`process._debugEnd()`). Prints one JSON
 * object: profiled and busy ms, and busy ms by category. The profile is written to OUT (open it in
 * Chrome DevTools, Performance tab).
 */
import { readFileSync, writeFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [pidText, secondsText, out] = process.argv.slice(2);
const pid = Number(pidText);
const seconds = Number(secondsText);
if (!Number.isInteger(pid) || !(seconds > 0) || !out) {
  console.error('usage: exthost-profile.ts PID SECONDS OUT.cpuprofile');
  process.exit(2);
}
const PORT = 9229;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function targets(): Promise<{ webSocketDebuggerUrl: string; url: string }[] | undefined> {
  try {
    return (await (await fetch(`http://127.0.0.1:${PORT}/json/list`, { signal: AbortSignal.timeout(1000) })).json()) as { webSocketDebuggerUrl: string; url: string }[];
  } catch {
    return undefined;
  }
}

/** Who a sample belongs to, from the frames on its stack (root first). */
function category(stack: CallFrame[], leaf: string): string {
  if (leaf === '(garbage collector)') return 'V8: garbage collection';
  if (leaf === '(program)') return 'V8: (program), native work outside JS';
  const urls = stack.map((f) => f.url);
  if (urls.some((u) => u.includes('/dist/extension.js'))) {
    if (urls.some((u) => u.includes('@vscode/proxy-agent') || u.includes('/agent-base/'))) return "Opsdeck bundle, inside VS Code's proxy agent (http requests)";
    return 'Opsdeck bundle (engine and extension code)';
  }
  if (urls.some((u) => u.includes('@vscode/proxy-agent') || u.includes('/agent-base/'))) return "VS Code's proxy agent (http requests)";
  if (urls.some((u) => u.includes('extensionHostProcess.js'))) return 'VS Code extension host';
  if (urls.some((u) => u.startsWith('node:'))) return 'Node.js internals (sockets, timers, streams) with no extension frame';
  return 'other';
}

async function main(): Promise<void> {
  if (await targets()) throw new Error(`port ${PORT} already has an inspector: cannot tell it is pid ${pid}'s`);
  const comm = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  process.kill(pid, 'SIGUSR1');
  let list: { webSocketDebuggerUrl: string; url: string }[] | undefined;
  for (let i = 0; i < 50 && !list?.length; i++) {
    await sleep(100);
    list = await targets();
  }
  if (!list?.length) throw new Error(`pid ${pid} did not open an inspector on port ${PORT} after SIGUSR1 (${comm.split('\0').slice(0, 3).join(' ')})`);
  const ws = new WebSocket(list[0]!.webSocketDebuggerUrl);
  await new Promise((ok, fail) => {
    ws.onopen = ok;
    ws.onerror = fail;
  });
  let id = 0;
  const pending = new Map<number, (r: { result?: unknown; error?: unknown }) => void>();
  ws.onmessage = (m) => {
    const d = JSON.parse(String(m.data)) as { id?: number; result?: unknown; error?: unknown };
    if (d.id !== undefined) pending.get(d.id)?.(d);
  };
  const call = <T>(method: string, params: object = {}) =>
    new Promise<T>((ok, fail) => {
      const i = ++id;
      pending.set(i, (r) => (r.error ? fail(new Error(`${method}: ${JSON.stringify(r.error)}`)) : ok(r.result as T)));
      ws.send(JSON.stringify({ id: i, method, params }));
    });
  let profile: Profile;
  try {
      await call('Profiler.enable');
    await call('Profiler.setSamplingInterval', { interval: 200 });
    await call('Profiler.start');
    await sleep(seconds * 1000);
    profile = (await call<{ profile: Profile }>('Profiler.stop')).profile;
    await call('Profiler.disable');
  } finally {
    // Close the inspector again, so the process goes back to how it was (no answer comes: the
    // inspector closes first).
    void call('Runtime.evaluate', { expression: 'process._debugEnd && process._debugEnd()' }).catch(() => undefined);
    await sleep(300);
    ws.close();
  }
  writeFileSync(out!, JSON.stringify(profile));

  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byCategory: Record<string, number> = {};
  let total = 0;
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const d = profile.timeDeltas[i]! / 1000;
    total += d;
    const leaf = nodes.get(profile.samples[i]!)!.callFrame.functionName;
    if (leaf === '(idle)') continue;
    busy += d;
    const stack: CallFrame[] = [];
    for (let n: number | undefined = profile.samples[i]; n !== undefined; n = parent.get(n)) stack.unshift(nodes.get(n)!.callFrame);
    const c = category(stack, leaf);
    byCategory[c] = (byCategory[c] ?? 0) + d;
  }
  const r = (x: number) => Math.round(x * 10) / 10;
  console.log(
    JSON.stringify({
      pid,
      profiledMs: r(total),
      busyMs: r(busy),
      busyPercent: Math.round((busy / total) * 10_000) / 100,
      byCategoryMs: Object.fromEntries(Object.entries(byCategory).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, r(v)])),
    }),
  );
}

// Node 20's (experimental) WebSocket does not keep the process alive while it waits for an answer.
const keepAlive = setInterval(() => undefined, 1000);
main().then(
  () => clearInterval(keepAlive),
  (e: Error) => {
    console.error(`error: ${e.message}`);
    process.exit(1);
  },
);
