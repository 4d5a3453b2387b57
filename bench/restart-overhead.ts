/**
 * Bench: restart overhead. How much longer does a crashed service take to be ready again under
 * Opsdeck (SIGKILL → exit detected → restart with 0 backoff → spawn → readiness probe passes)
 * than the same service takes to start and answer its health URL when spawned bare and polled
 * every millisecond? Target: under 50 ms more at the median.
 *
 *   npm run bench:restart -- --runs 30 [--warmup 3] [--interval 1s] [--ready-delay 0] [--no-save]
 *
 * --interval is the readiness probe interval; --ready-delay (ms) makes the service wait that long
 * before listening, to see how the overhead grows with a slower-starting service.
 *
 * Baseline and Opsdeck runs are interleaved (one of each per round) so that machine load
 * drifting during the bench affects both alike. Results go to bench/results/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { parseConfig } from '../src/core/config/load';
import { EventBus } from '../src/core/events';
import { freePort } from '../src/core/net/free-port';
import { Supervisor } from '../src/core/supervisor/supervisor';
import type { EngineEvent } from '../src/core/contract/events';

const TARGET_MS = 50;
const SERVICE = 'web';
const NODE = process.execPath;
const SERVER = resolve(import.meta.dirname, 'fixtures/http-service.cjs');
const RESULTS = resolve(import.meta.dirname, 'results');
const SETTLE_MS = 50; // pause after each ready, before the next kill / spawn
const RUN_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------- arguments

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '3' },
    interval: { type: 'string', default: '1s' },
    'ready-delay': { type: 'string', default: '0' },
    'no-save': { type: 'boolean', default: false },
  },
});
const RUNS = positiveInt(args.runs, '--runs');
const WARMUP = positiveInt(args.warmup, '--warmup', true);
const INTERVAL = args.interval;
const READY_DELAY = positiveInt(args['ready-delay'], '--ready-delay', true);

function positiveInt(text: string, flag: string, zeroOk = false): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < (zeroOk ? 0 : 1)) {
    console.error(`error: ${flag} must be a whole number${zeroOk ? '' : ' above 0'}, got "${text}"`);
    process.exit(2);
  }
  return n;
}

const command = [
  'npm run bench:restart --',
  `--runs ${RUNS}`,
  WARMUP !== 3 ? `--warmup ${WARMUP}` : '',
  INTERVAL !== '1s' ? `--interval ${INTERVAL}` : '',
  READY_DELAY ? `--ready-delay ${READY_DELAY}` : '',
].filter(Boolean).join(' ');

// ---------------------------------------------------------------- cleanup (also on error and ^C)

const bareChildren = new Set<ChildProcess>();
let supervisor: Supervisor | undefined;
let stackDir: string | undefined;

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Synchronous last resort: nothing the bench started may outlive it. */
function cleanupSync(): void {
  for (const c of bareChildren) killGroup(c.pid);
  bareChildren.clear();
  const pid = supervisor?.service(SERVICE).pid;
  killGroup(pid);
  if (stackDir) rmSync(stackDir, { recursive: true, force: true });
  stackDir = undefined;
}

async function cleanup(): Promise<void> {
  for (const c of bareChildren) killGroup(c.pid);
  bareChildren.clear();
  const sup = supervisor;
  if (sup) {
    await Promise.race([sup.dispose(), sleep(5000)]).catch(() => undefined);
    killGroup(sup.service(SERVICE).pid);
    supervisor = undefined;
  }
  cleanupSync();
}

process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------- helpers

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One GET on a fresh connection: the status, or undefined when the connection failed. */
function getStatus(port: number): Promise<number | undefined> {
  return new Promise((ok) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
      res.resume();
      ok(res.statusCode);
    });
    req.once('error', () => ok(undefined));
    req.setTimeout(1000, () => req.destroy());
  });
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what} did not happen within ${RUN_TIMEOUT_MS}ms`)), RUN_TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

interface Stats {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
  mean: number;
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
  const p90 = s[Math.min(n - 1, Math.ceil(0.9 * n) - 1)]!; // nearest rank
  const mean = s.reduce((a, b) => a + b, 0) / n;
  return { n, median: r2(median), p90: r2(p90), min: r2(s[0]!), max: r2(s[n - 1]!), mean: r2(mean) };
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const med = (xs: number[]) => stats(xs).median;

// ---------------------------------------------------------------- baseline: bare spawn, 1 ms polling

interface BaselineRun {
  /** spawn → first 200 */
  totalMs: number;
  /** spawn → the service printed "listening" */
  listeningMs: number | undefined;
  attempts: number;
}

async function baselineOnce(port: number, env: Record<string, string>): Promise<BaselineRun> {
  const t0 = performance.now();
  // Same conditions as Opsdeck's spawn: own process group, stdout/stderr piped, same env.
  const child = spawn(NODE, [SERVER], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  bareChildren.add(child);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let listeningAt: number | undefined;
  child.stdout!.on('data', (b: Buffer) => {
    if (listeningAt === undefined && b.toString().includes('listening')) listeningAt = performance.now();
  });
  child.stderr!.resume();
  try {
    let attempts = 0;
    const poll = async (): Promise<number> => {
      for (;;) {
        attempts++;
        const status = await getStatus(port);
        if (status === 200) return performance.now();
        if (child.exitCode !== null) throw new Error(`baseline service exited with code ${child.exitCode}`);
        await sleep(1);
      }
    };
    const t1 = await withTimeout(poll(), 'baseline service answering 200');
    return { totalMs: t1 - t0, listeningMs: listeningAt === undefined ? undefined : listeningAt - t0, attempts };
  } finally {
    killGroup(child.pid);
    await exited;
    bareChildren.delete(child);
  }
}

// ---------------------------------------------------------------- Opsdeck: SIGKILL → ready again

interface OpsdeckRun {
  /** kill → state ready of the new process */
  totalMs: number;
  /** kill → exit event */
  exitMs: number;
  /** exit event → spawn event (restart scheduling with 0 backoff) */
  respawnMs: number;
  /** spawn event → the service printed "listening" */
  listeningMs: number | undefined;
  /** "listening" → ready (waiting for the next readiness probe) */
  probeWaitMs: number | undefined;
  /** readiness probes from spawn to ready, the passing one included */
  probes: number;
}

async function opsdeckOnce(sup: Supervisor, bus: EventBus): Promise<OpsdeckRun> {
  const oldPid = sup.service(SERVICE).pid;
  if (oldPid === undefined) throw new Error('the supervised service is not running');
  const marks: { exit?: number; spawn?: number; listening?: number; probes: number } = { probes: 0 };
  let sub: { dispose(): void } | undefined;
  const ready = new Promise<number>((ok) => {
    sub = bus.onAny((e: EngineEvent) => {
      const now = performance.now();
      if (e.service !== SERVICE) return;
      if (e.type === 'exit' && e.pid === oldPid) marks.exit ??= now;
      else if (e.type === 'spawn' && e.pid !== oldPid) marks.spawn ??= now;
      else if (marks.spawn === undefined) return;
      else if (e.type === 'log' && e.line.startsWith('listening')) marks.listening ??= now;
      else if (e.type === 'probe' && e.probe === 'readiness') marks.probes++;
      else if (e.type === 'state' && e.to === 'ready') ok(now);
    });
  });
  const t0 = performance.now();
  process.kill(oldPid, 'SIGKILL');
  try {
    const t1 = await withTimeout(ready, `${SERVICE} ready again after SIGKILL`);
    if (marks.exit === undefined || marks.spawn === undefined) throw new Error('ready without an exit and a spawn event');
    return {
      totalMs: t1 - t0,
      exitMs: marks.exit - t0,
      respawnMs: marks.spawn - marks.exit,
      listeningMs: marks.listening === undefined ? undefined : marks.listening - marks.spawn,
      probeWaitMs: marks.listening === undefined ? undefined : t1 - marks.listening,
      probes: marks.probes,
    };
  } finally {
    sub?.dispose();
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const [opsPort, barePort] = [await freePort(), await freePort()];
  stackDir = mkdtempSync(join(os.tmpdir(), 'opsdeck-bench-'));
  const config = {
    version: 1,
    name: 'bench-restart',
    services: {
      [SERVICE]: {
        tier: 'server',
        command: [NODE, SERVER],
        env: { PORT: String(opsPort), READY_DELAY_MS: String(READY_DELAY) },
        health: { readiness: { http: { url: `http://127.0.0.1:${opsPort}/health` }, interval: INTERVAL, timeout: '500ms' } },
        restart: {
          policy: 'on-failure',
          backoff: { initial: '0s', factor: 2, max: '1s', jitter: 0 },
          max_retries: RUNS + WARMUP + 10,
          window: '1h',
        },
        stop_grace: '2s',
      },
    },
  };
  const text = stringify(config);
  const file = join(stackDir, 'opsdeck.yaml');
  writeFileSync(file, text);
  const stack = parseConfig(text, file);

  // The bare service gets the environment Opsdeck gives its services.
  const bareEnv = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  Object.assign(bareEnv, { OPSDECK_SERVICE: SERVICE, OPSDECK_STACK_DIR: stackDir, READY_DELAY_MS: String(READY_DELAY) });

  const bus = new EventBus();
  supervisor = new Supervisor(stack, { bus });
  supervisor.up();
  await supervisor.waitFor(SERVICE, 'ready', RUN_TIMEOUT_MS);

  const baseline: BaselineRun[] = [];
  const opsdeck: OpsdeckRun[] = [];
  const total = WARMUP + RUNS;
  console.log(`restart overhead: ${RUNS} runs (+${WARMUP} warm-up), readiness interval ${INTERVAL}, ready delay ${READY_DELAY} ms, node ${process.version}, ${os.cpus().length} cores`);
  for (let i = 0; i < total; i++) {
    await sleep(SETTLE_MS);
    const b = await baselineOnce(barePort, bareEnv);
    await sleep(SETTLE_MS);
    const o = await opsdeckOnce(supervisor, bus);
    const warm = i < WARMUP;
    if (!warm) {
      baseline.push(b);
      opsdeck.push(o);
    }
    process.stdout.write(
      `${warm ? 'warm-up' : `run ${String(i - WARMUP + 1).padStart(3)}`}: baseline ${b.totalMs.toFixed(1).padStart(6)} ms, ` +
        `opsdeck ${o.totalMs.toFixed(1).padStart(6)} ms (${o.probes} probe${o.probes === 1 ? '' : 's'})\n`,
    );
  }
  await cleanup();

  // ------------------------------------------------------------ report
  const b = stats(baseline.map((r) => r.totalMs));
  const o = stats(opsdeck.map((r) => r.totalMs));
  const overheadMs = r2(o.median - b.median);
  const ratio = r2(o.median / b.median);
  const pass = overheadMs < TARGET_MS;
  const defined = (xs: (number | undefined)[]) => xs.filter((x): x is number => x !== undefined);
  const breakdown = {
    opsdeck: {
      killToExitMs: med(opsdeck.map((r) => r.exitMs)),
      exitToSpawnMs: med(opsdeck.map((r) => r.respawnMs)),
      spawnToListeningMs: med(defined(opsdeck.map((r) => r.listeningMs))),
      listeningToReadyMs: med(defined(opsdeck.map((r) => r.probeWaitMs))),
      probesPerRestart: med(opsdeck.map((r) => r.probes)),
    },
    baseline: {
      spawnToListeningMs: med(defined(baseline.map((r) => r.listeningMs))),
      listeningTo200Ms: med(defined(baseline.map((r) => (r.listeningMs === undefined ? undefined : r.totalMs - r.listeningMs)))),
      pollsPerStart: med(baseline.map((r) => r.attempts)),
    },
  };

  const row = (name: string, s: Stats) =>
    `| ${name.padEnd(32)} | ${s.median.toFixed(1).padStart(8)} | ${s.p90.toFixed(1).padStart(8)} | ${s.min.toFixed(1).padStart(8)} | ${s.max.toFixed(1).padStart(8)} |`;
  const table = [
    `| ${'ms'.padEnd(32)} | ${'median'.padStart(8)} | ${'p90'.padStart(8)} | ${'min'.padStart(8)} | ${'max'.padStart(8)} |`,
    `| ${'-'.repeat(32)} | ${'-'.repeat(7)}: | ${'-'.repeat(7)}: | ${'-'.repeat(7)}: | ${'-'.repeat(7)}: |`,
    row('baseline: spawn → first 200', b),
    row('opsdeck: SIGKILL → ready again', o),
  ].join('\n');
  const verdict = `overhead ${overheadMs.toFixed(1)} ms at the median (ratio ${ratio.toFixed(2)}×), target < ${TARGET_MS} ms: ${pass ? 'PASS' : 'FAIL'}`;
  const bo = breakdown.opsdeck;
  const bb = breakdown.baseline;
  const breakdownText = [
    `| median ms                 | baseline | opsdeck |`,
    `| ------------------------- | -------: | ------: |`,
    `| SIGKILL → exit event      |          | ${bo.killToExitMs.toFixed(1)} |`,
    `| exit event → spawn event  |          | ${bo.exitToSpawnMs.toFixed(1)} |`,
    `| spawn → "listening"       | ${bb.spawnToListeningMs.toFixed(1)} | ${bo.spawnToListeningMs.toFixed(1)} |`,
    `| "listening" → ready / 200 | ${bb.listeningTo200Ms.toFixed(1)} | ${bo.listeningToReadyMs.toFixed(1)} |`,
    `| probes / polls per start  | ${bb.pollsPerStart} | ${bo.probesPerRestart} |`,
  ].join('\n');
  // A restart is caught by whichever readiness probe first follows the moment the service listens:
  // runs group by probe count, and each extra probe is a step in the restart time.
  const byProbes = new Map<number, number[]>();
  for (const r of opsdeck) byProbes.set(r.probes, [...(byProbes.get(r.probes) ?? []), r.totalMs]);
  const probeGroups = [...byProbes.entries()]
    .sort(([a], [b]) => a - b)
    .map(([probes, xs]) => ({ probes, runs: xs.length, medianMs: med(xs) }));
  const groupsText = probeGroups.map((g) => `${g.runs} run${g.runs === 1 ? '' : 's'} ready at probe ${g.probes} (median ${g.medianMs.toFixed(1)} ms)`).join('; ');

  console.log(`\n${table}\n\n${verdict}\n\n${breakdownText}\n\nopsdeck restarts by readiness probe: ${groupsText}\n\nreproduce: ${command}`);

  if (args['no-save']) return;
  const date = new Date().toISOString();
  const machine = { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', platform: `${os.platform()} ${os.release()}`, arch: os.arch() };
  const setup = {
    runs: RUNS,
    warmup: WARMUP,
    readinessInterval: INTERVAL,
    readinessTimeout: '500ms',
    readyDelayMs: READY_DELAY,
    backoff: config.services[SERVICE].restart.backoff,
    baselinePollMs: 1,
    settleMs: SETTLE_MS,
    service: 'bench/fixtures/http-service.cjs',
  };
  mkdirSync(RESULTS, { recursive: true });
  const json = {
    bench: 'restart-overhead',
    date,
    command,
    node: process.version,
    machine,
    setup,
    targetMs: TARGET_MS,
    baseline: { ...b, samples: baseline.map((r) => r2(r.totalMs)) },
    opsdeck: { ...o, samples: opsdeck.map((r) => r2(r.totalMs)), probes: opsdeck.map((r) => r.probes) },
    overheadMs,
    ratio,
    pass,
    breakdown,
    probeGroups,
  };
  writeFileSync(join(RESULTS, 'restart-overhead.json'), `${JSON.stringify(json, null, 2)}\n`);
  const md = [
    `# Restart overhead`,
    '',
    `Time from SIGKILL of a supervised service to its \`ready\` state event (initial backoff 0, jitter 0,`,
    `http readiness probe every ${INTERVAL}${READY_DELAY ? `, service listens after an extra ${READY_DELAY} ms` : ''}) against the time the same service takes to start and answer`,
    `its health URL when spawned bare and polled every 1 ms. Runs interleaved, ${WARMUP} warm-up rounds dropped.`,
    '',
    `- command: \`${command}\``,
    `- date: ${date}`,
    `- node: ${process.version}, ${machine.platform} ${machine.arch}`,
    `- machine: ${machine.cores} cores, ${machine.cpu}`,
    '',
    table,
    '',
    `**${verdict}**`,
    '',
    `Where the time goes:`,
    '',
    breakdownText,
    '',
    `Opsdeck restarts by the readiness probe that first passed: ${groupsText}.`,
    '',
  ].join('\n');
  writeFileSync(join(RESULTS, 'restart-overhead.md'), md);
  console.log(`\nwrote bench/results/restart-overhead.json and bench/results/restart-overhead.md`);
}

main().then(
  () => process.exit(0),
  async (e: Error) => {
    console.error(`error: ${e.stack ?? e.message}`);
    await cleanup();
    process.exit(1);
  },
);
