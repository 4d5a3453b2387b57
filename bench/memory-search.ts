/**
 * Bench: memory search latency. Records 100 000 realistic events (six services, mostly log lines,
 * plus probes, state changes, restarts, exits, spawns, checks, limits) spread over a week into a
 * fresh memory.db through MemoryStore.record() (batched as in the engine), then runs ~200 varied
 * searches (words, prefixes, phrases, OR / NOT, with and without service / kind / time filters,
 * latest-by-filter, around a hit) and reports p50 / p95 / max latency. Target: p95 < 20 ms.
 *
 *   npx tsx bench/memory-search.ts [--events 100000] [--queries 200] [--seed 1] [--no-save]
 *
 * Event generation is seeded, so runs see the same data. Results go to bench/results/.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MemoryStore } from '../src/core/memory/memory-store';
import type { EngineEvent, ServiceState } from '../src/core/contract/events';
import type { MemoryQuery } from '../src/core/contract/memory';

const TARGET_P95_MS = 20;
const RESULTS = resolve(import.meta.dirname, 'results');

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    'no-save': { type: 'boolean', default: false },
  },
});
const EVENTS = wholeNumber(args.events, '--events');
const QUERIES = wholeNumber(args.queries, '--queries');
const SEED = wholeNumber(args.seed, '--seed');
const command = ['npx tsx bench/memory-search.ts', ...process.argv.slice(2)].join(' ');

function wholeNumber(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`error: ${flag} must be a whole number above 0, got "${text}"`);
    process.exit(2);
  }
  return n;
}

// ---------------------------------------------------------------- realistic events

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = prng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[int(0, 15)]).join('');

const SERVICES = ['storage', 'messaging', 'api', 'worker', 'web', 'auth'] as const;
const PORTS: Record<string, number> = { storage: 7101, messaging: 7102, api: 7103, worker: 7104, web: 7105, auth: 7106 };
const ROUTES = ['/api/orders', '/api/users', '/api/cart', '/health', '/api/search', '/login', '/api/invoices'];
const TOPICS = ['orders', 'payments', 'emails', 'audit'];
const TABLES = ['orders', 'users', 'sessions', 'invoices', 'events'];

const LOG_LINES: Record<string, (() => string)[]> = {
  storage: [
    () => `checkpoint complete: wrote ${int(10, 900)} buffers (${(rnd() * 10).toFixed(1)}%)`,
    () => `LOG:  connection received: host=127.0.0.1 port=${int(40000, 60000)}`,
    () => `LOG:  duration: ${int(1, 900)}.${int(100, 999)} ms  statement: SELECT * FROM ${pick(TABLES)} WHERE id = ${int(1, 99999)}`,
    () => `WARNING:  slow query ${int(200, 3000)}ms on ${pick(TABLES)}`,
    () => `ERROR:  deadlock detected on relation ${pick(TABLES)}`,
    () => `autovacuum: processing table ${pick(TABLES)}`,
    () => `FATAL:  could not open file "base/16384/${int(1000, 9999)}": No such file or directory`,
    () => `PANIC:  crash recovery failed: invalid page in block ${int(1, 5000)}`,
  ],
  messaging: [
    () => `[INF] client ${int(1, 400)} connected from 127.0.0.1:${int(40000, 60000)}`,
    () => `[INF] published ${int(1, 500)} messages to ${pick(TOPICS)}`,
    () => `[WRN] slow consumer detected on ${pick(TOPICS)}: lag ${int(100, 50000)} messages`,
    () => `[ERR] connection to storage refused: ECONNREFUSED 127.0.0.1:${PORTS.storage}`,
    () => `[INF] stream ${pick(TOPICS)} snapshot saved in ${int(1, 300)}ms`,
  ],
  api: [
    () => `${pick(['GET', 'POST', 'PUT', 'DELETE'])} ${pick(ROUTES)}/${int(1, 9999)} ${pick([200, 200, 200, 201, 204, 304, 400, 404, 500, 502])} ${int(1, 900)}ms req=${hex(12)}`,
    () => `upstream timeout after ${pick([1000, 2000, 5000])}ms calling storage at 127.0.0.1:${PORTS.storage}`,
    () => `Error: connect ECONNREFUSED 127.0.0.1:${pick([PORTS.storage, PORTS.messaging])}`,
    () => `TypeError: Cannot read properties of undefined (reading '${pick(['id', 'user', 'items', 'total'])}')`,
    () => `    at ${pick(['OrderService.create', 'CartController.get', 'Router.handle', 'processTicksAndRejections'])} (/app/src/${pick(['orders', 'cart', 'router'])}.js:${int(1, 400)}:${int(1, 80)})`,
    () => `cache ${pick(['hit', 'miss'])} for ${pick(TABLES)}:${int(1, 9999)}`,
    () => `listening on http://127.0.0.1:${PORTS.api}`,
  ],
  worker: [
    () => `job ${hex(8)} ${pick(['started', 'completed', 'completed', 'completed', 'failed', 'retrying'])} (${pick(['send-email', 'render-invoice', 'sync-inventory', 'cleanup'])})`,
    () => `processed batch of ${int(1, 200)} ${pick(TOPICS)} in ${int(5, 4000)}ms`,
    () => `unhandled rejection: Error: timeout waiting for messaging after ${int(1, 30)}s`,
    () => `heap used ${int(50, 900)} MB`,
  ],
  web: [
    () => `[vite] hmr update /src/${pick(['App', 'Cart', 'Orders', 'Login'])}.tsx`,
    () => `[vite] page reload src/main.ts`,
    () => `proxy error: could not proxy request ${pick(ROUTES)} to http://127.0.0.1:${PORTS.api} (ECONNREFUSED)`,
    () => `ready in ${int(200, 2000)} ms`,
  ],
  auth: [
    () => `user ${int(1, 9999)} logged in from 10.0.${int(0, 255)}.${int(1, 254)}`,
    () => `login failed for user ${int(1, 9999)}: bad credentials`,
    () => `issued session ${hex(16)} expires in 3600s`,
    () => `refreshing signing keys (kid ${hex(8)})`,
  ],
};

function makeEvent(at: number): EngineEvent {
  const service = pick(SERVICES);
  const r = rnd();
  if (r < 0.86) return { type: 'log', service, at, stream: rnd() < 0.8 ? 'stdout' : 'stderr', line: pick(LOG_LINES[service]!)() };
  if (r < 0.94) {
    const ok = rnd() < 0.85;
    return {
      type: 'probe', service, at, probe: pick(['readiness', 'liveness'] as const), ok, latencyMs: int(1, ok ? 80 : 1000),
      ...(ok ? {} : { error: pick([`connect ECONNREFUSED 127.0.0.1:${PORTS[service]}`, 'timeout after 1000ms', 'HTTP 503']) }), failures: ok ? 0 : int(1, 3), threshold: 3,
    };
  }
  if (r < 0.965) {
    const states: ServiceState[] = ['starting', 'ready', 'degraded', 'backoff', 'stopping', 'stopped', 'failed'];
    return { type: 'state', service, at, from: pick(states), to: pick(states), reason: pick(['readiness passed (http, 4ms)', 'upstream: storage', 'recovered', 'stopped on request', 'waiting for readiness: timeout after 500ms']) };
  }
  if (r < 0.975) return { type: 'restart', service, at, attempt: int(1, 5), delayMs: pick([500, 1000, 2000, 4000]), cause: pick(['crash', 'hang', 'memory limit'] as const), detail: pick(['exit code 1', 'killed by SIGSEGV', 'exit code 137']) };
  if (r < 0.985) return { type: 'exit', service, at, pid: int(1000, 60000), code: pick([0, 1, 137, null]), signal: pick([null, null, 'SIGKILL', 'SIGTERM']), expected: rnd() < 0.3 };
  if (r < 0.992) return { type: 'spawn', service, at, pid: int(1000, 60000), command: ['node', `services/${service}.js`, '--port', String(PORTS[service])] };
  if (r < 0.997) return { type: 'check', service, at, ok: rnd() < 0.8, durationMs: int(20, 900), output: pick(['wrote key bench-1, read it back', 'publish/consume round trip ok', 'error: write failed: disk I/O error']) };
  if (r < 0.999) return { type: 'limit', service, at, limit: 'memory', valueMb: int(513, 900), maxMb: 512 };
  if (r < 0.9995) return { type: 'gave-up', service, at, restarts: 5, windowMs: 600_000 };
  return { type: 'retry-reset', service, at, after: 60_000 };
}

// ---------------------------------------------------------------- queries

interface Case {
  name: string;
  group: string;
  run: (store: MemoryStore) => number; // hits
}

function cases(store: MemoryStore, end: number): Case[] {
  const hour = 3_600_000;
  const day = 24 * hour;
  const s = (q: MemoryQuery) => (st: MemoryStore) => st.search(q).length;
  const crash = store.search({ text: 'crash*', kind: 'restart', limit: 1 })[0];
  const base: Case[] = [
    { group: 'word', name: 'timeout', run: s({ text: 'timeout' }) },
    { group: 'word', name: 'ECONNREFUSED', run: s({ text: 'ECONNREFUSED' }) },
    { group: 'word', name: 'deadlock', run: s({ text: 'deadlock' }) },
    { group: 'word', name: 'storage', run: s({ text: 'storage' }) },
    { group: 'word', name: 'orders', run: s({ text: 'orders' }) },
    { group: 'word', name: 'error', run: s({ text: 'error' }) },
    { group: 'word', name: 'exit code 1', run: s({ text: 'exit code 1' }) },
    { group: 'word', name: 'storage crash', run: s({ text: 'storage crash' }) },
    { group: 'word', name: 'rare id', run: s({ text: 'kid' }) },
    { group: 'word', name: 'odd chars', run: s({ text: 'connect() failed: "127.0.0.1:7101' }) },
    { group: 'prefix', name: 'crash*', run: s({ text: 'crash*' }) },
    { group: 'prefix', name: 'conn*', run: s({ text: 'conn*' }) },
    { group: 'prefix', name: 'time*', run: s({ text: 'time*' }) },
    { group: 'prefix', name: 'degrad*', run: s({ text: 'degrad*' }) },
    { group: 'prefix', name: 'e*', run: s({ text: 'e*' }) },
    { group: 'phrase', name: '"slow query"', run: s({ text: '"slow query"' }) },
    { group: 'phrase', name: '"127.0.0.1:7101"', run: s({ text: '"127.0.0.1:7101"' }) },
    { group: 'phrase', name: '"upstream: storage"', run: s({ text: '"upstream: storage"' }) },
    { group: 'boolean', name: 'timeout OR ECONNREFUSED', run: s({ text: 'timeout OR ECONNREFUSED' }) },
    { group: 'boolean', name: 'error NOT storage', run: s({ text: 'error NOT storage' }) },
    { group: 'boolean', name: '(deadlock OR panic) storage', run: s({ text: '(deadlock OR panic) storage' }) },
    { group: 'filtered', name: 'error, service storage', run: s({ text: 'error', service: 'storage' }) },
    { group: 'filtered', name: 'crash*, kind restart', run: s({ text: 'crash*', kind: 'restart' }) },
    { group: 'filtered', name: 'timeout, last hour', run: s({ text: 'timeout', since: end - hour }) },
    { group: 'filtered', name: 'conn*, api+web, last day', run: s({ text: 'conn*', service: ['api', 'web'], since: end - day }) },
    { group: 'filtered', name: 'GET, api logs, day 3', run: s({ text: 'GET', service: 'api', kind: 'log', since: end - 3 * day, until: end - 2 * day }) },
    { group: 'filtered', name: 'probe failed, kind probe', run: s({ text: 'failed', kind: 'probe', limit: 100 }) },
    { group: 'filtered', name: 'storage, limit 500', run: s({ text: 'storage', limit: 500 }) },
    { group: 'latest', name: 'latest restarts', run: (st) => st.latest({ kind: 'restart' }).length },
    { group: 'latest', name: 'latest storage, 50', run: (st) => st.latest({ service: 'storage', limit: 50 }).length },
    { group: 'latest', name: 'latest gave-up', run: (st) => st.latest({ kind: 'gave-up' }).length },
    { group: 'latest', name: 'no text, kind state, last day', run: s({ kind: 'state', since: end - day }) },
    { group: 'around', name: 'storage logs before a crash', run: (st) => (crash ? st.around(crash.id, { service: crash.service, kind: 'log', before: 20, after: 0 }).length : 0) },
    { group: 'around', name: 'everything around a crash', run: (st) => (crash ? st.around(crash.id, { before: 10, after: 10 }).length : 0) },
  ];
  // Vary the words so the ~200 queries are not the same few repeated: every service, table, topic.
  const varied: Case[] = [];
  for (const svc of SERVICES) {
    varied.push({ group: 'filtered', name: `error*, service ${svc}`, run: s({ text: 'error*', service: svc }) });
    varied.push({ group: 'word', name: `${svc} refused`, run: s({ text: `${svc} refused` }) });
  }
  for (const t of [...TABLES, ...TOPICS]) {
    varied.push({ group: 'word', name: t, run: s({ text: t }) });
    varied.push({ group: 'prefix', name: `${t.slice(0, 3)}*`, run: s({ text: `${t.slice(0, 3)}*` }) });
  }
  const all = [...base, ...varied];
  const out: Case[] = [];
  for (let i = 0; out.length < QUERIES; i++) out.push(all[i % all.length]!);
  return out;
}

// ---------------------------------------------------------------- run

interface Stats {
  n: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}
const r2 = (x: number) => Math.round(x * 100) / 100;
function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  return { n: s.length, p50: r2(q(0.5)), p95: r2(q(0.95)), max: r2(s.at(-1)!), mean: r2(s.reduce((a, b) => a + b, 0) / s.length) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), 'opsdeck-bench-memory-'));
  const file = join(dir, '.opsdeck', 'memory.db');
  try {
    const end = Date.now();
    const start = end - 7 * 24 * 3_600_000;
    const step = (end - start) / EVENTS;
    const events = Array.from({ length: EVENTS }, (_, i) => makeEvent(Math.round(start + i * step)));
    console.log(`memory search: ${EVENTS} events, ${QUERIES} queries, node ${process.version}, ${os.cpus().length} cores`);

    // Insert the way the engine does: record() buffers, a full batch (500) is written in one transaction.
    const store = MemoryStore.open(file);
    const flushes: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < events.length; i++) {
      const before = performance.now();
      store.record(events[i]!);
      if (store.pendingRows === 0) flushes.push(performance.now() - before); // this call wrote a batch
    }
    store.flush();
    const insertMs = performance.now() - t0;
    const count = store.count();
    const fileBytes = statSync(file).size;
    console.log(`inserted ${count} rows in ${(insertMs / 1000).toFixed(2)} s (${Math.round(count / (insertMs / 1000))} rows/s), file ${(fileBytes / 1e6).toFixed(1)} MB`);

    const loadBefore = os.loadavg()[0]!;
    const list = cases(store, end);
    for (const c of list.slice(0, 20)) c.run(store); // warm-up: statement caches, pages in the cache
    const byGroup = new Map<string, number[]>();
    const samples: { name: string; group: string; ms: number; hits: number }[] = [];
    for (const c of list) {
      const before = performance.now();
      const hits = c.run(store);
      const ms = performance.now() - before;
      samples.push({ name: c.name, group: c.group, ms: r2(ms), hits });
      byGroup.set(c.group, [...(byGroup.get(c.group) ?? []), ms]);
    }
    store.close();
    const load = { before: r2(loadBefore), after: r2(os.loadavg()[0]!) }; // 1-minute load average: other work on the machine shows in latencies

    const all = stats(samples.map((s) => s.ms));
    const groups = Object.fromEntries([...byGroup].map(([g, xs]) => [g, stats(xs)]));
    const slowest = [...samples].sort((a, b) => b.ms - a.ms).slice(0, 5);
    const flushStats = flushes.length ? stats(flushes) : undefined;
    const pass = all.p95 < TARGET_P95_MS;
    const row = (name: string, s: Stats) =>
      `| ${name.padEnd(10)} | ${String(s.n).padStart(4)} | ${s.p50.toFixed(2).padStart(7)} | ${s.p95.toFixed(2).padStart(7)} | ${s.max.toFixed(2).padStart(7)} |`;
    const table = [
      `| ${'queries'.padEnd(10)} | ${'n'.padStart(4)} | ${'p50 ms'.padStart(7)} | ${'p95 ms'.padStart(7)} | ${'max ms'.padStart(7)} |`,
      `| ${'-'.repeat(10)} | ---: | ------: | ------: | ------: |`,
      row('all', all),
      ...Object.entries(groups).map(([g, s]) => row(g, s)),
    ].join('\n');
    const verdict = `p95 ${all.p95.toFixed(2)} ms over ${all.n} queries, target < ${TARGET_P95_MS} ms: ${pass ? 'PASS' : 'FAIL'}`;
    const insertLine =
      `insert: ${count} rows in ${(insertMs / 1000).toFixed(2)} s (${Math.round(count / (insertMs / 1000))} rows/s); ` +
      (flushStats ? `a batch write (500 rows, one transaction) blocks the caller p50 ${flushStats.p50} ms, p95 ${flushStats.p95} ms, max ${flushStats.max} ms; ` : '') +
      `file ${(fileBytes / 1e6).toFixed(1)} MB`;
    const slowText = slowest.map((s) => `${s.name} (${s.group}) ${s.ms.toFixed(2)} ms, ${s.hits} hits`).join('; ');
    console.log(`\n${table}\n\n${verdict}\n\n${insertLine}\nslowest: ${slowText}\nload average (1 min): ${load.before} → ${load.after}\n\nreproduce: ${command}`);

    if (args['no-save']) return;
    const date = new Date().toISOString();
    const machine = { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', platform: `${os.platform()} ${os.release()}`, arch: os.arch() };
    mkdirSync(RESULTS, { recursive: true });
    const json = {
      bench: 'memory-search',
      date,
      command,
      node: process.version,
      machine,
      loadAverage1m: load,
      setup: { events: EVENTS, queries: QUERIES, seed: SEED, services: SERVICES.length, spanDays: 7, batchRows: 500 },
      targetP95Ms: TARGET_P95_MS,
      insert: { rows: count, ms: r2(insertMs), rowsPerSecond: Math.round(count / (insertMs / 1000)), batchWriteMs: flushStats, fileBytes },
      queries: all,
      groups,
      pass,
      samples,
    };
    writeFileSync(join(RESULTS, 'memory-search.json'), `${JSON.stringify(json, null, 2)}\n`);
    const md = [
      `# Memory search`,
      '',
      `${EVENTS} realistic events (six services; 86% log lines, the rest probes, state changes, restarts, exits, spawns,`,
      `checks, limits) over seven days, recorded through \`MemoryStore.record()\` into a fresh memory.db, then ${all.n} searches:`,
      `words, prefixes, phrases, OR / NOT, with and without service / kind / time filters, latest-by-filter and around a hit.`,
      `Each latency is one \`search()\` / \`latest()\` / \`around()\` call, hits materialized (default limit 20 unless noted).`,
      '',
      `- command: \`${command}\``,
      `- date: ${date}`,
      `- node: ${process.version}, ${machine.platform} ${machine.arch}`,
      `- machine: ${machine.cores} cores, ${machine.cpu}; 1-minute load average ${load.before} before the queries, ${load.after} after`,
      '',
      table,
      '',
      `**${verdict}**`,
      '',
      `- ${insertLine}`,
      `- slowest: ${slowText}`,
      '',
    ].join('\n');
    writeFileSync(join(RESULTS, 'memory-search.md'), md);
    console.log(`\nwrote bench/results/memory-search.json and .md`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
