/**
 * Bench: supervising 50 services. What does the Opsdeck engine daemon cost at idle while it
 * supervises 50 small HTTP services, each with an http readiness and liveness probe at the
 * default intervals, next to PM2's daemon ("God") supervising the same 50 services? Measured for
 * each daemon process only (not its children): RSS from /proc/<pid>/status (VmRSS, sampled) and
 * CPU from /proc/<pid>/stat (utime + stime) over the idle window. Targets: Opsdeck's daemon uses
 * less memory than PM2's, and under 1 % of one core at idle.
 *
 *   npx tsx bench/supervise-50.ts [--services 50] [--idle 60] [--settle 10] [--sample 5]
 *                                 [--only opsdeck|pm2] [--probes both|readiness|liveness|none]
 *                                 [--pm2 7] [--no-save]
 *
 * The two run one after the other, never at once, with the same service script
 * (bench/fixtures/http-service.cjs), each on its own loopback port. Opsdeck is the built CLI
 * (`dist/cli.js up --detach`: run `npm run build` first). PM2 comes from npm, installed on
 * demand into <tmpdir>/opsdeck-bench-pm2 (never into the project), and runs with a private
 * PM2_HOME in a temporary folder, from an ecosystem file written there. Both are stopped
 * (`opsdeck down`, `pm2 kill`) and their folders removed at the end, also on error and on Ctrl-C;
 * anything the bench started that still runs then is killed and reported.
 *
 * Only a run with the default --services, --idle and --settle writes bench/results/supervise-50.*.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import {
  CLI, HTTP_SERVICE, NODE, RESULTS, cliBuild, alive, clockTicks, cpuTicks, freePorts, gitRevision, intArg, killMarked, machine, markedProcesses, memoryStatus, r2,
  requireBuiltCli, requireLinux, run, sleep, waitAllHealthy, waitGone,
} from './lib/common';

const CPU_TARGET_PERCENT = 1;
const READY_TIMEOUT_MS = 180_000;

// ---------------------------------------------------------------- arguments

const { values: args } = parseArgs({
  options: {
    services: { type: 'string', default: '50' },
    idle: { type: 'string', default: '60' },
    settle: { type: 'string', default: '10' },
    sample: { type: 'string', default: '5' },
    only: { type: 'string' },
    probes: { type: 'string', default: 'both' },
    pm2: { type: 'string', default: '7' },
    'no-save': { type: 'boolean', default: false },
  },
});
const N = intArg(args.services, '--services');
const IDLE_S = intArg(args.idle, '--idle');
const SETTLE_S = intArg(args.settle, '--settle', 0);
const SAMPLE_S = intArg(args.sample, '--sample');
const PM2_VERSION = args.pm2;
const ONLY = args.only;
if (ONLY !== undefined && ONLY !== 'opsdeck' && ONLY !== 'pm2') {
  console.error(`error: --only must be opsdeck or pm2, got "${ONLY}"`);
  process.exit(2);
}
const PROBES = args.probes;
if (!['both', 'readiness', 'liveness', 'none'].includes(PROBES)) {
  console.error(`error: --probes must be both, readiness, liveness or none, got "${PROBES}"`);
  process.exit(2);
}
const DEFAULTS = N === 50 && IDLE_S === 60 && SETTLE_S === 10 && SAMPLE_S === 5 && ONLY === undefined && PROBES === 'both';
const command = [
  'npx tsx bench/supervise-50.ts',
  N !== 50 ? `--services ${N}` : '',
  IDLE_S !== 60 ? `--idle ${IDLE_S}` : '',
  SETTLE_S !== 10 ? `--settle ${SETTLE_S}` : '',
  SAMPLE_S !== 5 ? `--sample ${SAMPLE_S}` : '',
  ONLY ? `--only ${ONLY}` : '',
  PROBES !== 'both' ? `--probes ${PROBES}` : '',
  PM2_VERSION !== '7' ? `--pm2 ${PM2_VERSION}` : '',
].filter(Boolean).join(' ');

requireLinux('supervise-50');
if (ONLY !== 'pm2') requireBuiltCli();
const BUILD = ONLY === 'pm2' ? undefined : cliBuild();

// Everything this bench starts (CLI, daemons, services) carries this in its environment.
const MARKER_KEY = 'OPSDECK_BENCH_RUN';
const MARKER_VALUE = `supervise-${process.pid}-${randomBytes(4).toString('hex')}`;
const MARKER = `${MARKER_KEY}=${MARKER_VALUE}`;
const env = { ...process.env, [MARKER_KEY]: MARKER_VALUE, NO_COLOR: '1' };

const PM2_CACHE = join(os.tmpdir(), 'opsdeck-bench-pm2');
const PM2_BIN = join(PM2_CACHE, 'node_modules', 'pm2', 'bin', 'pm2');

// ---------------------------------------------------------------- cleanup (also on error and ^C)

const tempDirs = new Set<string>();
let opsdeckStack: { dir: string; daemonPid?: number } | undefined;
let pm2Home: string | undefined;
const leftovers: { pid: number; cmd: string }[] = [];

function pm2Env(home: string): NodeJS.ProcessEnv {
  return { ...env, PM2_HOME: home };
}

/** Synchronous last resort: nothing the bench started may outlive it. */
function cleanupSync(): void {
  if (pm2Home && existsSync(PM2_BIN)) spawnSync(NODE, [PM2_BIN, 'kill'], { env: pm2Env(pm2Home), stdio: 'ignore', timeout: 15_000 });
  pm2Home = undefined;
  killMarked(MARKER);
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

async function stopOpsdeck(): Promise<void> {
  const stack = opsdeckStack;
  if (!stack) return;
  opsdeckStack = undefined;
  const down = await run(NODE, [CLI, '-C', stack.dir, 'down'], { env, timeoutMs: 60_000 }).catch((e: Error) => e);
  if (down instanceof Error || down.code !== 0) console.error(`warning: opsdeck down failed: ${down instanceof Error ? down.message : down.stderr.trim()}`);
  if (stack.daemonPid !== undefined && (await waitGone([stack.daemonPid], 15_000)).length) {
    console.error(`warning: the engine daemon (pid ${stack.daemonPid}) did not exit after \`down\``);
  }
  await reapLeftovers('opsdeck');
}

async function stopPm2(): Promise<void> {
  const home = pm2Home;
  if (!home) return;
  pm2Home = undefined;
  const godPid = readPid(join(home, 'pm2.pid'));
  const kill = await run(NODE, [PM2_BIN, 'kill'], { env: pm2Env(home), timeoutMs: 60_000 }).catch((e: Error) => e);
  if (kill instanceof Error || kill.code !== 0) console.error(`warning: pm2 kill failed: ${kill instanceof Error ? kill.message : kill.stderr.trim()}`);
  if (godPid !== undefined && (await waitGone([godPid], 15_000)).length) console.error(`warning: PM2's daemon (pid ${godPid}) did not exit after \`pm2 kill\``);
  await reapLeftovers('pm2');
}

/** After a stop: wait briefly for the marked processes to go, kill and remember any that stay. */
async function reapLeftovers(phase: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (markedProcesses(MARKER).length && Date.now() < deadline) await sleep(100);
  for (const p of killMarked(MARKER)) {
    console.error(`warning: ${phase}: pid ${p.pid} was still running after the stop, killed: ${p.cmd}`);
    leftovers.push(p);
  }
}

async function cleanup(): Promise<void> {
  await stopOpsdeck().catch(() => undefined);
  await stopPm2().catch(() => undefined);
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

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(os.tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}

const log = (text: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${text}`);

interface RssSample {
  /** seconds into the idle window */
  t: number;
  rssMb: number;
}

interface IdleMeasure {
  daemonPid: number;
  idleSeconds: number;
  /** CPU of the daemon process over the window, 100 = one core */
  cpuPercent: number;
  cpuMs: number;
  /** CPU % of each sampling slice, to see whether it is steady or bursty */
  cpuSlicesPercent: number[];
  rssMaxMb: number;
  rssMeanMb: number;
  rssMinMb: number;
  rssSamples: RssSample[];
  /** At the end of the window: anonymous and file-backed resident memory, peak RSS so far, threads */
  end: { anonMb: number; fileMb: number; hwmMb: number; threads: number };
}

const mb = (kb: number) => r2(kb / 1024);

/**
 * Watch one daemon process for `IDLE_S` seconds, reading only /proc (no request to the daemon):
 * utime + stime at the start, every `SAMPLE_S` seconds and at the end; VmRSS at the same moments.
 */
async function measureIdle(pid: number, name: string): Promise<IdleMeasure> {
  const hz = clockTicks();
  const rssSamples: RssSample[] = [];
  const slices: number[] = [];
  const t0 = performance.now();
  const ticks0 = cpuTicks(pid);
  let lastTicks = ticks0;
  let lastT = t0;
  rssSamples.push({ t: 0, rssMb: mb(memoryStatus(pid).rssKb) });
  const end = t0 + IDLE_S * 1000;
  while (performance.now() < end - 1) {
    await sleep(Math.min(SAMPLE_S * 1000, end - performance.now()));
    if (!alive(pid)) throw new Error(`${name}'s daemon (pid ${pid}) exited during the idle window`);
    const now = performance.now();
    const ticks = cpuTicks(pid);
    slices.push(r2(((ticks - lastTicks) / hz / ((now - lastT) / 1000)) * 100));
    lastTicks = ticks;
    lastT = now;
    rssSamples.push({ t: r2((now - t0) / 1000), rssMb: mb(memoryStatus(pid).rssKb) });
    process.stdout.write(`  ${name}: ${((now - t0) / 1000).toFixed(0).padStart(3)} s  rss ${rssSamples.at(-1)!.rssMb.toFixed(1)} MB  cpu ${slices.at(-1)!.toFixed(2)} %\n`);
  }
  const seconds = (lastT - t0) / 1000;
  const cpuSeconds = (lastTicks - ticks0) / hz;
  const rss = rssSamples.map((s) => s.rssMb);
  const m = memoryStatus(pid);
  return {
    daemonPid: pid,
    idleSeconds: r2(seconds),
    cpuPercent: r2((cpuSeconds / seconds) * 100),
    cpuMs: r2(cpuSeconds * 1000),
    cpuSlicesPercent: slices,
    rssMaxMb: Math.max(...rss),
    rssMeanMb: r2(rss.reduce((a, b) => a + b, 0) / rss.length),
    rssMinMb: Math.min(...rss),
    rssSamples,
    end: { anonMb: mb(m.anonKb), fileMb: mb(m.fileKb), hwmMb: mb(m.hwmKb), threads: m.threads },
  };
}

interface PhaseResult extends IdleMeasure {
  tool: string;
  version: string;
  services: number;
  /** spawn of the start command → every service answering 200 */
  startSeconds: number;
  /** service processes alive after the window (of those running before it), and restarts during it */
  servicesAliveAfter: number;
  restartsDuringIdle: number;
}

// ---------------------------------------------------------------- Opsdeck

interface OpsdeckStatus {
  running: boolean;
  services: { name: string; state: string; pid?: number; restarts: number }[];
  engine: { pid: number };
}

async function opsdeckStatus(dir: string): Promise<OpsdeckStatus> {
  const r = await run(NODE, [CLI, '-C', dir, 'status', '--json'], { env, timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`opsdeck status failed: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as OpsdeckStatus;
}

async function runOpsdeck(ports: number[]): Promise<PhaseResult> {
  const dir = tempDir('opsdeck-bench-supervise-');
  opsdeckStack = { dir };
  const services = Object.fromEntries(
    ports.map((port, i) => [
      `s${String(i + 1).padStart(2, '0')}`,
      {
        command: [NODE, HTTP_SERVICE],
        env: { PORT: String(port) },
        // Default intervals, timeouts and thresholds (readiness every 5 s, liveness every 10 s).
        health: {
          ...(PROBES === 'both' || PROBES === 'readiness' ? { readiness: { http: { url: `http://127.0.0.1:${port}/health` } } } : {}),
          ...(PROBES === 'both' || PROBES === 'liveness' ? { liveness: { http: { url: `http://127.0.0.1:${port}/health` } } } : {}),
        },
      },
    ]),
  );
  writeFileSync(join(dir, 'opsdeck.yaml'), stringify({ version: 1, name: 'bench-supervise', services }));

  log(`opsdeck: up --detach with ${N} services`);
  const t0 = performance.now();
  const up = await run(NODE, [CLI, '-C', dir, 'up', '--detach', '--json', '--timeout', `${READY_TIMEOUT_MS / 1000}s`], { env, timeoutMs: READY_TIMEOUT_MS + 30_000 });
  opsdeckStack.daemonPid = lockPid(dir);
  if (up.code !== 0) throw new Error(`opsdeck up --detach failed (exit ${up.code}): ${up.stderr.trim() || up.stdout.slice(0, 500)}`);
  await waitAllHealthy(ports, READY_TIMEOUT_MS);
  const startSeconds = r2((performance.now() - t0) / 1000);
  const before = await opsdeckStatus(dir);
  const daemonPid = before.engine.pid;
  opsdeckStack.daemonPid = daemonPid;
  const notReady = before.services.filter((s) => s.state !== 'ready');
  if (notReady.length) throw new Error(`opsdeck: ${notReady.length} services not ready: ${notReady.map((s) => `${s.name} ${s.state}`).join(', ')}`);
  log(`opsdeck: ${N} ready in ${startSeconds} s, engine daemon pid ${daemonPid}; settling ${SETTLE_S} s, then ${IDLE_S} s idle`);
  await sleep(SETTLE_S * 1000);

  const idle = await measureIdle(daemonPid, 'opsdeck');

  const after = await opsdeckStatus(dir);
  const pidsBefore = before.services.map((s) => s.pid).filter((p): p is number => p !== undefined);
  const restarts = after.services.reduce((a, s) => a + s.restarts, 0) - before.services.reduce((a, s) => a + s.restarts, 0);
  const result: PhaseResult = {
    tool: 'opsdeck',
    version: readVersion(join(import.meta.dirname, '..', 'package.json')),
    services: N,
    startSeconds,
    servicesAliveAfter: pidsBefore.filter(alive).length,
    restartsDuringIdle: restarts,
    ...idle,
  };
  await stopOpsdeck();
  return result;
}

function lockPid(dir: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, '.opsdeck', 'run', 'engine.lock'), 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
}

function readVersion(packageJson: string): string {
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

// ---------------------------------------------------------------- PM2

/** PM2 from npm, into a cache folder outside the project (never a project dependency). */
async function ensurePm2(): Promise<string> {
  const pkg = join(PM2_CACHE, 'node_modules', 'pm2', 'package.json');
  const have = existsSync(pkg) ? readVersion(pkg) : undefined;
  const wanted = PM2_VERSION.replace(/^v/, '');
  if (have && (have === wanted || have.split('.')[0] === wanted)) return have;
  log(`pm2: installing pm2@${wanted} into ${PM2_CACHE} (${have ? `found ${have}` : 'not there yet'})`);
  mkdirSync(PM2_CACHE, { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = await run(npm, ['install', '--prefix', PM2_CACHE, '--no-audit', '--no-fund', '--loglevel=error', `pm2@${wanted}`], { timeoutMs: 300_000, cwd: PM2_CACHE });
  if (r.code !== 0 || !existsSync(pkg)) throw new Error(`could not install pm2@${wanted}: ${r.stderr.trim()}`);
  return readVersion(pkg);
}

interface Pm2App {
  name: string;
  pid: number;
  pm2_env: { status: string; restart_time: number };
}

async function pm2List(home: string): Promise<Pm2App[]> {
  const r = await run(NODE, [PM2_BIN, 'jlist'], { env: pm2Env(home), timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`pm2 jlist failed: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as Pm2App[];
}

async function runPm2(ports: number[]): Promise<PhaseResult> {
  const version = await ensurePm2();
  const dir = tempDir('opsdeck-bench-pm2-');
  const home = join(dir, 'pm2-home');
  mkdirSync(home);
  pm2Home = home;
  // The same script, port and interpreter as under Opsdeck; PM2 restarts on exit (its default).
  const apps = ports.map((port, i) => ({
    name: `s${String(i + 1).padStart(2, '0')}`,
    script: HTTP_SERVICE,
    interpreter: NODE,
    exec_mode: 'fork',
    instances: 1,
    autorestart: true,
    env: { PORT: String(port) },
  }));
  const ecosystem = join(dir, 'ecosystem.config.cjs');
  writeFileSync(ecosystem, `module.exports = ${JSON.stringify({ apps }, null, 2)};\n`);

  log(`pm2 ${version}: start ${N} apps from an ecosystem file (PM2_HOME in a temporary folder)`);
  const t0 = performance.now();
  const start = await run(NODE, [PM2_BIN, 'start', ecosystem], { env: pm2Env(home), cwd: dir, timeoutMs: READY_TIMEOUT_MS });
  if (start.code !== 0) throw new Error(`pm2 start failed (exit ${start.code}): ${start.stderr.trim() || start.stdout.slice(-500)}`);
  await waitAllHealthy(ports, READY_TIMEOUT_MS);
  const startSeconds = r2((performance.now() - t0) / 1000);
  const godPid = readPid(join(home, 'pm2.pid'));
  if (godPid === undefined || !alive(godPid)) throw new Error(`no running PM2 daemon (pid file ${join(home, 'pm2.pid')})`);
  const before = await pm2List(home);
  const offline = before.filter((a) => a.pm2_env.status !== 'online');
  if (before.length !== N || offline.length) throw new Error(`pm2: ${before.length} apps, ${offline.length} not online`);
  log(`pm2: ${N} online and answering in ${startSeconds} s, God daemon pid ${godPid}; settling ${SETTLE_S} s, then ${IDLE_S} s idle`);
  await sleep(SETTLE_S * 1000);

  const idle = await measureIdle(godPid, 'pm2');

  const after = await pm2List(home);
  const restarts = after.reduce((a, s) => a + s.pm2_env.restart_time, 0) - before.reduce((a, s) => a + s.pm2_env.restart_time, 0);
  const result: PhaseResult = {
    tool: 'pm2',
    version,
    services: N,
    startSeconds,
    servicesAliveAfter: before.map((a) => a.pid).filter(alive).length,
    restartsDuringIdle: restarts,
    ...idle,
  };
  await stopPm2();
  return result;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const m = machine();
  console.log(
    `supervise ${N}: ${ONLY ?? 'opsdeck, then pm2'}${PROBES !== 'both' ? ` (opsdeck probes: ${PROBES})` : ''}; settle ${SETTLE_S} s, idle ${IDLE_S} s, sample every ${SAMPLE_S} s; ` +
      `node ${process.version}, ${m.cores} cores, CLK_TCK ${clockTicks()}`,
  );
  const ports = await freePorts(N);
  const results: PhaseResult[] = [];
  if (ONLY !== 'pm2') results.push(await runOpsdeck(ports));
  if (ONLY !== 'opsdeck') {
    if (results.length) await sleep(2000); // let the first run's exits and closes settle
    results.push(await runPm2(ports));
  }
  await cleanup();
  const rebuilt = BUILD !== undefined && cliBuild().sha256 !== BUILD.sha256;
  if (rebuilt) console.error('warning: dist/cli.js changed during the run (rebuilt by someone): the Opsdeck figures may mix two builds');
  const stillRunning = markedProcesses(MARKER);
  for (const p of killMarked(MARKER)) console.error(`warning: pid ${p.pid} still running at the end, killed: ${p.cmd}`);
  leftovers.push(...stillRunning);

  // ------------------------------------------------------------ report
  const ops = results.find((r) => r.tool === 'opsdeck');
  const pm2 = results.find((r) => r.tool === 'pm2');
  const W = 13;
  const cell = (r: PhaseResult | undefined, f: (r: PhaseResult) => string) => (r ? f(r) : '–').padStart(W);
  const rows: [string, (r: PhaseResult) => string][] = [
    ['daemon RSS, max (MB)', (r) => r.rssMaxMb.toFixed(1)],
    ['daemon RSS, mean (MB)', (r) => r.rssMeanMb.toFixed(1)],
    ['daemon RSS, min (MB)', (r) => r.rssMinMb.toFixed(1)],
    ['  anon / file at end (MB)', (r) => `${r.end.anonMb.toFixed(0)} / ${r.end.fileMb.toFixed(0)}`],
    ['  peak RSS since start (MB)', (r) => r.end.hwmMb.toFixed(1)],
    ['daemon CPU, idle (% of a core)', (r) => r.cpuPercent.toFixed(2)],
    ['  CPU time over the window (ms)', (r) => r.cpuMs.toFixed(0)],
    [`  busiest ${SAMPLE_S} s slice (%)`, (r) => Math.max(...r.cpuSlicesPercent).toFixed(2)],
    ['  threads', (r) => String(r.end.threads)],
    ['start → all answering (s)', (r) => r.startSeconds.toFixed(1)],
    ['services alive after / restarts', (r) => `${r.servicesAliveAfter}/${r.services} / ${r.restartsDuringIdle}`],
  ];
  const table = [
    `| ${''.padEnd(32)} | ${`opsdeck ${ops?.version ?? ''}`.trim().padStart(W)} | ${`pm2 ${pm2?.version ?? ''}`.trim().padStart(W)} |`,
    `| ${'-'.repeat(32)} | ${'-'.repeat(W - 1)}: | ${'-'.repeat(W - 1)}: |`,
    ...rows.map(([name, f]) => `| ${name.padEnd(32)} | ${cell(ops, f)} | ${cell(pm2, f)} |`),
  ].join('\n');

  const rssRatio = ops && pm2 ? r2(ops.rssMaxMb / pm2.rssMaxMb) : undefined;
  const rssMeanRatio = ops && pm2 ? r2(ops.rssMeanMb / pm2.rssMeanMb) : undefined;
  const cpuRatio = ops && pm2 && pm2.cpuPercent > 0 ? r2(ops.cpuPercent / pm2.cpuPercent) : undefined;
  // Both the max and the mean: one daemon's max can be a single spike (PM2's first sample often is),
  // while the mean is what the daemon holds over the window.
  const memoryPass = ops && pm2 ? ops.rssMaxMb < pm2.rssMaxMb && ops.rssMeanMb < pm2.rssMeanMb : undefined;
  const cpuPass = ops ? ops.cpuPercent < CPU_TARGET_PERCENT : undefined;
  const clean = leftovers.length === 0;
  const pass = memoryPass !== false && cpuPass !== false && clean && memoryPass !== undefined && cpuPass !== undefined;
  const verdicts = [
    ops && pm2
      ? `memory: opsdeck daemon ${ops.rssMaxMb.toFixed(1)} MB max RSS vs PM2 daemon ${pm2.rssMaxMb.toFixed(1)} MB (ratio ${rssRatio!.toFixed(2)}×), mean ${ops.rssMeanMb.toFixed(1)} vs ${pm2.rssMeanMb.toFixed(1)} MB (ratio ${rssMeanRatio!.toFixed(2)}×); target less than PM2, max and mean: ${memoryPass ? 'PASS' : 'FAIL'}`
      : 'memory: needs both runs',
    ops
      ? `idle CPU: opsdeck daemon ${ops.cpuPercent.toFixed(2)} % of a core${pm2 ? ` vs PM2 daemon ${pm2.cpuPercent.toFixed(2)} %${cpuRatio !== undefined ? ` (ratio ${cpuRatio.toFixed(1)}×)` : ''}` : ''}, target < ${CPU_TARGET_PERCENT} %: ${cpuPass ? 'PASS' : 'FAIL'}`
      : 'idle CPU: needs the opsdeck run',
    `left running after the bench: ${clean ? 'nothing' : leftovers.map((p) => `pid ${p.pid} (${p.cmd})`).join(', ')}`,
    `overall: ${pass ? 'PASS' : 'FAIL'}`,
  ];
  console.log(`\n${table}\n\n${verdicts.join('\n')}\n\nreproduce: ${command}`);

  if (args['no-save']) return;
  if (!DEFAULTS) {
    console.log('\nnot saved: only a run with the default options writes bench/results/ (use --no-save to silence this)');
    return;
  }
  const date = new Date().toISOString();
  mkdirSync(RESULTS, { recursive: true });
  const json = {
    bench: 'supervise-50',
    date,
    command,
    node: process.version,
    revision: gitRevision(),
    cliBuild: BUILD ? { ...BUILD, changedDuringRun: rebuilt } : undefined,
    machine: m,
    setup: {
      services: N,
      probes: PROBES,
      settleSeconds: SETTLE_S,
      idleSeconds: IDLE_S,
      sampleEverySeconds: SAMPLE_S,
      clockTicks: clockTicks(),
      service: 'bench/fixtures/http-service.cjs',
      opsdeck: 'dist/cli.js up --detach; per service an http readiness probe (default: every 5 s) and an http liveness probe (default: every 10 s) on GET /health',
      pm2: `pm2@${pm2?.version ?? PM2_VERSION} from npm in <tmpdir>/opsdeck-bench-pm2, private PM2_HOME, ecosystem file, fork mode, autorestart (PM2 has no http probes)`,
    },
    targets: { cpuPercent: CPU_TARGET_PERCENT, memory: 'opsdeck daemon max RSS < PM2 daemon max RSS' },
    opsdeck: ops,
    pm2,
    rssRatio,
    rssMeanRatio,
    cpuRatio,
    memoryPass,
    cpuPass,
    leftovers,
    pass,
  };
  writeFileSync(join(RESULTS, 'supervise-50.json'), `${JSON.stringify(json, null, 2)}\n`);
  const md = [
    `# Supervising ${N} services: daemon memory and idle CPU`,
    '',
    `The Opsdeck engine daemon (\`up --detach\`) and PM2's daemon (God), one after the other, each supervising the same ${N}`,
    `HTTP services (\`bench/fixtures/http-service.cjs\`, one loopback port each). Opsdeck probes each service over http:`,
    `readiness every 5 s and liveness every 10 s (the defaults); PM2 has no http probes and only watches the processes.`,
    `Once every service answers, ${SETTLE_S} s to settle, then ${IDLE_S} s idle with no request to either daemon: CPU is`,
    `utime + stime of the daemon process alone (/proc/<pid>/stat), RSS is VmRSS (/proc/<pid>/status) sampled every ${SAMPLE_S} s.`,
    '',
    `- command: \`${command}\``,
    `- date: ${date}`,
    `- node: ${process.version}, ${m.platform} ${m.arch}`,
    `- machine: ${m.cores} cores, ${m.cpu}, ${m.memoryGb} GB`,
    `- opsdeck: ${ops?.version ?? '–'}, work tree at ${json.revision}, dist/cli.js built ${BUILD?.builtAt ?? '–'} (sha256 ${BUILD?.sha256 ?? '–'}${rebuilt ? ', REBUILT DURING THE RUN' : ''}); pm2: ${pm2?.version ?? '–'}`,
    '',
    table,
    '',
    ...verdicts.map((v) => `**${v}**  `),
    '',
    `CPU of each ${SAMPLE_S} s slice (%): ${results.map((r) => `${r.tool} ${r.cpuSlicesPercent.map((x) => x.toFixed(2)).join(', ')}`).join('; ')}.`,
    '',
  ].join('\n');
  writeFileSync(join(RESULTS, 'supervise-50.md'), md);
  console.log(`\nwrote bench/results/supervise-50.json and bench/results/supervise-50.md`);
}

main().then(
  () => process.exit(0),
  async (e: Error) => {
    console.error(`error: ${e.stack ?? e.message}`);
    await cleanup();
    process.exit(1);
  },
);
