/**
 * Bench: CLI status latency. How long does `opsdeck status --json` take against a running
 * engine (a stack of 3 HTTP services brought up with `opsdeck up --detach` in a temporary
 * folder), next to `node -e 0`, the least any Node CLI can cost on this machine, plus one round
 * trip to the engine; next to another build of Opsdeck (`--base`, e.g. the one before a change);
 * and next to `supervisorctl status` of a supervisord running the same 3 services (when Debian's
 * `supervisor` is installed: `apt-get install supervisor`; the bench does not install it).
 *
 *   npx tsx bench/cli-status.ts [--runs 20] [--warmup 2] [--base DIR/dist/cli.js] [--no-supervisord] [--no-save]
 *
 * Measures the built CLI (dist/cli.js: run `npm run build` first), wall time from spawn to exit
 * with its output read. Each round runs every measured command once, in a rotating order, so that
 * load drifting during the bench hits all alike, and times one GET /v1/status on the engine's
 * socket from the bench's own (warm) process: the round trip. `opsdeck --version` is answered by
 * the commander program (dist/cli-program.js), as every command but the quick path's
 * (`status`, `health`, `profile list` of a running engine: src/cli/quick-path.ts). The stack is
 * stopped with `opsdeck down`, supervisord with `supervisorctl shutdown`, and the folders removed
 * at the end, also on error and on Ctrl-C. Results go to bench/results/cli-status.{json,md}.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { ReadClient } from '../src/core/client/read-client';
import {
  CLI, HTTP_SERVICE, NODE, REPO, RESULTS, cliBuild, freePorts, gitRevision, intArg, killMarked, machine, r2, requireBuiltCli, requireLinux, run, sleep, stats, waitGone,
  type Stats,
} from './lib/common';
import { startSupervisord, supervisordVersion, type Supervisord } from './lib/supervisord';

const SERVICES = 3;
const PAUSE_MS = 50; // between two measured commands

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '2' },
    base: { type: 'string' },
    'no-supervisord': { type: 'boolean', default: false },
    'no-save': { type: 'boolean', default: false },
  },
});
const RUNS = intArg(args.runs, '--runs');
const WARMUP = intArg(args.warmup, '--warmup', 0);
const BASE = args.base === undefined ? undefined : resolve(args.base);
if (BASE && !existsSync(BASE)) {
  console.error(`error: --base ${args.base}: no such file\nhint: give another build's dist/cli.js (see bench/README.md)`);
  process.exit(2);
}
/** A path as the reproduce line shows it: relative to the repository when inside it. */
const shown = (file: string) => (relative(REPO, file).startsWith('..') ? file : relative(REPO, file));
const SUPERVISORD = args['no-supervisord'] ? undefined : supervisordVersion();
const command = [
  'npx tsx bench/cli-status.ts',
  RUNS !== 20 ? `--runs ${RUNS}` : '',
  WARMUP !== 2 ? `--warmup ${WARMUP}` : '',
  BASE ? `--base ${shown(BASE)}` : '',
  args['no-supervisord'] ? '--no-supervisord' : '',
].filter(Boolean).join(' ');

requireLinux('cli-status');
requireBuiltCli();
const BUILD = cliBuild();

// Everything this bench starts (CLI, engine daemon, services, supervisord) carries this in its environment.
const MARKER = `OPSDECK_BENCH_RUN=cli-status-${process.pid}-${randomBytes(4).toString('hex')}`;
const env = { ...process.env, [MARKER.split('=')[0]!]: MARKER.split('=')[1]!, NO_COLOR: '1' };

// ---------------------------------------------------------------- cleanup (also on error and ^C)

let stackDir: string | undefined;
let daemonPid: number | undefined;
let supervisorDir: string | undefined;
let supervisord: Supervisord | undefined;

/** Synchronous last resort: nothing the bench started may outlive it. */
function cleanupSync(): void {
  killMarked(MARKER);
  for (const dir of [stackDir, supervisorDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  stackDir = supervisorDir = undefined;
}

async function cleanup(): Promise<void> {
  const dir = stackDir;
  if (dir) {
    const down = await run(NODE, [CLI, '-C', dir, 'down'], { env, timeoutMs: 30_000 }).catch((e: Error) => e);
    if (down instanceof Error || down.code !== 0) console.error(`warning: opsdeck down failed: ${down instanceof Error ? down.message : down.stderr.trim()}`);
    if (daemonPid !== undefined) {
      const left = await waitGone([daemonPid], 10_000);
      if (left.length) console.error(`warning: the engine daemon (pid ${daemonPid}) did not exit after \`down\`: killing it`);
    }
  }
  const sd = supervisord;
  supervisord = undefined;
  await sd?.stop().catch((e: Error) => console.error(`warning: ${e.message}: killing it`));
  const killed = killMarked(MARKER);
  for (const p of killed) console.error(`warning: killed leftover pid ${p.pid}: ${p.cmd}`);
  cleanupSync();
}

process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------- the measured commands

type Kind = 'node' | 'version' | 'status' | 'baseVersion' | 'baseStatus' | 'supervisorctl';
const LABEL: Record<Kind, string> = {
  node: 'node -e 0',
  version: 'opsdeck --version',
  status: 'opsdeck status --json',
  baseVersion: 'base: opsdeck --version',
  baseStatus: 'base: opsdeck status --json',
  supervisorctl: 'supervisorctl status',
};
const KINDS: Kind[] = ['node', 'version', 'status', ...(BASE ? (['baseVersion', 'baseStatus'] as const) : []), ...(SUPERVISORD ? (['supervisorctl'] as const) : [])];

async function measure(kind: Kind, dir: string): Promise<number> {
  if (kind === 'supervisorctl') {
    const r = await supervisord!.ctl(['status']);
    if (r.code !== 0 || r.stdout.trim().split('\n').length !== SERVICES) throw new Error(`supervisorctl status exited with ${r.code ?? r.signal}: ${r.stdout}${r.stderr}`);
    return r.ms;
  }
  const cli = kind === 'baseVersion' || kind === 'baseStatus' ? BASE! : CLI;
  const argv = kind === 'node' ? ['-e', '0'] : kind === 'version' || kind === 'baseVersion' ? [cli, '--version'] : [cli, '-C', dir, 'status', '--json'];
  const r = await run(NODE, argv, { env, timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`${LABEL[kind]} exited with ${r.code ?? r.signal}: ${r.stderr.trim()}`);
  if (kind === 'status' || kind === 'baseStatus') {
    // It must really have talked to the running engine, not printed the "not running" shape.
    const s = JSON.parse(r.stdout) as { running: boolean; services: { state: string }[] };
    if (!s.running || s.services.length !== SERVICES || s.services.some((x) => x.state !== 'ready')) {
      throw new Error(`${LABEL[kind]} did not show ${SERVICES} ready services of a running engine: ${r.stdout.slice(0, 300)}`);
    }
  }
  return r.ms;
}

/** One GET /v1/status on the engine's socket from this (warm) process: the round trip a CLI cannot avoid. */
async function roundTrip(client: ReadClient): Promise<number> {
  const t0 = performance.now();
  await client.status();
  return performance.now() - t0;
}

function parseJson<T>(text: string | undefined): T | undefined {
  try {
    return text ? (JSON.parse(text) as T) : undefined;
  } catch {
    return undefined;
  }
}

function readIfThere(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const ports = await freePorts(SERVICES);
  stackDir = mkdtempSync(join(os.tmpdir(), 'opsdeck-bench-status-'));
  const dir = stackDir;
  const services = Object.fromEntries(
    ports.map((port, i) => [
      `web${i + 1}`,
      {
        command: [NODE, HTTP_SERVICE],
        env: { PORT: String(port) },
        health: {
          readiness: { http: { url: `http://127.0.0.1:${port}/health` } },
          liveness: { http: { url: `http://127.0.0.1:${port}/health` } },
        },
      },
    ]),
  );
  writeFileSync(join(dir, 'opsdeck.yaml'), stringify({ version: 1, name: 'bench-status', services }));

  const up = await run(NODE, [CLI, '-C', dir, 'up', '--detach', '--json', '--timeout', '60s'], { env, timeoutMs: 90_000 });
  const upResult = parseJson<{ ok?: boolean; status?: { engine: { pid: number } } }>(up.stdout) ?? {};
  const lock = parseJson<{ pid: number; socket: string }>(readIfThere(join(dir, '.opsdeck/run/engine.lock')));
  daemonPid = upResult.status?.engine.pid ?? lock?.pid;
  if (up.code !== 0 || !upResult.ok || !lock?.socket) throw new Error(`opsdeck up --detach failed (exit ${up.code}): ${up.stdout.slice(0, 500)} ${up.stderr.trim()}`);
  const client = new ReadClient(lock.socket);

  if (SUPERVISORD) {
    // The same services on other ports, so that both can run at once (neither is probed by the other).
    const sdPorts = await freePorts(SERVICES);
    supervisorDir = mkdtempSync(join(os.tmpdir(), 'opsdeck-bench-supervisord-'));
    const programs = Object.fromEntries(sdPorts.map((port, i) => [`web${i + 1}`, { command: [NODE, HTTP_SERVICE], env: { PORT: String(port) } }]));
    supervisord = await startSupervisord(supervisorDir, programs, env);
  }

  console.log(
    `cli status: ${RUNS} rounds (+${WARMUP} warm-up) of ${KINDS.map((k) => LABEL[k]).join(', ')}; ` +
      `engine pid ${daemonPid} with ${SERVICES} services${SUPERVISORD ? `; supervisord ${SUPERVISORD} pid ${supervisord!.pid} with ${SERVICES} programs` : '; supervisord: not measured (not installed, or --no-supervisord)'}` +
      `${BASE ? `; base: ${BASE}` : ''}; node ${process.version}, ${os.cpus().length} cores`,
  );
  const samples = Object.fromEntries(KINDS.map((k) => [k, [] as number[]])) as Record<Kind, number[]>;
  const trips: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const order = KINDS.map((_, j) => KINDS[(i + j) % KINDS.length]!);
    const round: Partial<Record<Kind, number>> = {};
    for (const kind of order) {
      await sleep(PAUSE_MS);
      round[kind] = await measure(kind, dir);
    }
    await sleep(PAUSE_MS);
    const trip = await roundTrip(client);
    const warm = i < WARMUP;
    if (!warm) {
      for (const k of KINDS) samples[k].push(round[k]!);
      trips.push(trip);
    }
    console.log(
      `${warm ? 'warm-up' : `run ${String(i - WARMUP + 1).padStart(3)}`}: ` +
        KINDS.map((k) => `${LABEL[k]} ${round[k]!.toFixed(1).padStart(6)} ms`).join(', ') +
        `, round trip ${trip.toFixed(1)} ms`,
    );
  }
  await cleanup();
  const rebuilt = cliBuild().sha256 !== BUILD.sha256;
  if (rebuilt) console.error('warning: dist/cli.js changed during the run (rebuilt by someone): the figures mix two builds');

  // ------------------------------------------------------------ report
  const s = Object.fromEntries(KINDS.map((k) => [k, stats(samples[k])])) as Record<Kind, Stats>;
  const trip = stats(trips);
  const ratio = r2(s.status.median / s.node.median);
  const ratioP90 = r2(s.status.p90 / s.node.p90);
  const overheadMs = r2(s.status.median - s.node.median);
  const floorMs = r2(s.node.median + trip.median);
  const ownMs = r2(s.status.median - floorMs);
  const vsBase = BASE ? r2(s.status.median / s.baseStatus.median) : undefined;
  const vsSupervisorctl = SUPERVISORD ? r2(s.status.median / s.supervisorctl.median) : undefined;

  const row = (name: string, x: Stats) =>
    `| ${name.padEnd(28)} | ${x.median.toFixed(1).padStart(8)} | ${x.p90.toFixed(1).padStart(8)} | ${x.min.toFixed(1).padStart(8)} | ${x.max.toFixed(1).padStart(8)} | ${(x.median / s.node.median).toFixed(2).padStart(6)}× |`;
  const table = [
    `| ${'ms'.padEnd(28)} | ${'median'.padStart(8)} | ${'p90'.padStart(8)} | ${'min'.padStart(8)} | ${'max'.padStart(8)} | ${'ratio'.padStart(7)} |`,
    `| ${'-'.repeat(28)} | ${'-'.repeat(7)}: | ${'-'.repeat(7)}: | ${'-'.repeat(7)}: | ${'-'.repeat(7)}: | ${'-'.repeat(6)}: |`,
    ...KINDS.map((k) => row(LABEL[k], s[k])),
    row('round trip (in-process)', trip),
  ].join('\n');
  const verdicts = [
    `opsdeck status --json: ${s.status.median.toFixed(1)} ms median, ${s.status.p90.toFixed(1)} ms p90; ` +
      `node -e 0: ${s.node.median.toFixed(1)} ms median; ratio ${ratio.toFixed(2)}× at the median (${ratioP90.toFixed(2)}× at p90), ${overheadMs.toFixed(1)} ms more`,
    `the floor, node -e 0 + one round trip to the engine: ${floorMs.toFixed(1)} ms; status costs ${ownMs.toFixed(1)} ms more than that ` +
      `(loading dist/cli.js and node:http, connecting, printing)`,
    ...(BASE ? [`base build (${BASE}): status --json ${s.baseStatus.median.toFixed(1)} ms median: this build takes ${vsBase!.toFixed(2)}× its time (${(s.baseStatus.median / s.status.median).toFixed(2)}× faster)`] : []),
    ...(SUPERVISORD
      ? [`supervisorctl status: ${s.supervisorctl.median.toFixed(1)} ms median: opsdeck status / supervisorctl status = ${vsSupervisorctl!.toFixed(2)}× — target ≤ 1: ${vsSupervisorctl! <= 1 ? 'PASS' : 'FAIL'}`]
      : ['supervisorctl status: not measured (supervisord not installed: `apt-get install supervisor`)']),
  ];
  console.log(`\n${table}\n\n${verdicts.join('\n')}\n\nreproduce: ${command}`);

  if (args['no-save']) return;
  const date = new Date().toISOString();
  const m = machine();
  mkdirSync(RESULTS, { recursive: true });
  const figures = Object.fromEntries(KINDS.map((k) => [k === 'node' ? 'nodeE0' : k, { label: LABEL[k], ...s[k], samples: samples[k].map(r2) }]));
  const json = {
    bench: 'cli-status',
    date,
    command,
    node: process.version,
    revision: gitRevision(),
    cliBuild: { ...BUILD, changedDuringRun: rebuilt },
    base: BASE ?? null,
    supervisord: SUPERVISORD ?? null,
    machine: m,
    setup: { runs: RUNS, warmup: WARMUP, services: SERVICES, pauseMs: PAUSE_MS, service: 'bench/fixtures/http-service.cjs', cli: 'dist/cli.js' },
    ...figures,
    roundTrip: { ...trip, samples: trips.map(r2) },
    ratio,
    ratioP90,
    overheadMs,
    floorMs,
    ownMs,
    vsBase: vsBase ?? null,
    vsSupervisorctl: vsSupervisorctl ?? null,
  };
  writeFileSync(join(RESULTS, 'cli-status.json'), `${JSON.stringify(json, null, 2)}\n`);
  const md = [
    `# CLI status latency`,
    '',
    `Wall time of \`opsdeck status --json\` (the built \`dist/cli.js\`) against a running engine that supervises`,
    `${SERVICES} HTTP services (\`up --detach\`), next to \`node -e 0\`, \`opsdeck --version\` (the commander program)` +
      `${BASE ? ', the same two of the base build' : ''}${SUPERVISORD ? ` and \`supervisorctl status\` of a supervisord running the same ${SERVICES} services` : ''}`,
    `on the same machine in the same run: ${RUNS} rounds of them in rotating order, ${WARMUP} warm-up round${WARMUP === 1 ? '' : 's'} dropped. Spawn → exit, output read.`,
    `The round trip is one GET /v1/status on the engine's socket from the bench's own process, each round.`,
    '',
    `- command: \`${command}\``,
    `- date: ${date}`,
    `- node: ${process.version}, ${m.platform} ${m.arch}`,
    `- machine: ${m.cores} cores, ${m.cpu}`,
    `- opsdeck: work tree at ${json.revision}; dist/cli.js built ${BUILD.builtAt} (sha256 ${BUILD.sha256}${rebuilt ? ', REBUILT DURING THE RUN' : ''})`,
    ...(BASE ? [`- base: ${shown(BASE)}`] : []),
    `- supervisord: ${SUPERVISORD ?? 'not measured'}`,
    '',
    table,
    '',
    ...verdicts.map((v, i) => (i === 0 ? `**${v}**` : `- ${v}`)),
    '',
  ].join('\n');
  writeFileSync(join(RESULTS, 'cli-status.md'), md);
  console.log(`\nwrote bench/results/cli-status.json and bench/results/cli-status.md`);
}

main().then(
  () => process.exit(0),
  async (e: Error) => {
    console.error(`error: ${e.stack ?? e.message}`);
    await cleanup();
    process.exit(1);
  },
);
