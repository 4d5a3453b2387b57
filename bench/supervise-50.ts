/**
 * Bench: supervising 50 services. What does the Opsdeck engine daemon cost at idle while it
 * supervises 50 small HTTP services, each with an http readiness and liveness probe at the
 * default intervals, next to supervisord and PM2's daemon ("God") supervising the same 50
 * services? Measured for each daemon process only (not its children): RSS from
 * /proc/<pid>/status (VmRSS, sampled) and CPU from /proc/<pid>/stat (utime + stime) over the idle
 * window. Then how fast each brings a service back after a kill -9: kill → a new pid listed by the
 * supervisor, kill → the service's /health answering 200 (medians over --kills services, one kill
 * each: bench/lib/kill-restart.ts). Targets: Opsdeck's daemon uses less memory than PM2's, under
 * 1 % of one core at idle, and restarts no slower than supervisord (both medians).
 *
 *   npx tsx bench/supervise-50.ts [--services 50] [--idle 60] [--settle 10] [--sample 5]
 *                                 [--only opsdeck,supervisord,pm2] [--probes both|readiness|liveness|none]
 *                                 [--kills 10] [--poll 5] [--pm2 7] [--no-save]
 *
 * The three run one after the other, never at once, with the same service script
 * (bench/fixtures/http-service.cjs), each on its own loopback port. Opsdeck is the built CLI
 * (`dist/cli.js up --detach`: run `npm run build` first). supervisord is Debian's (`apt-get
 * install supervisor`; the bench checks and says so), run in the foreground with a configuration
 * written into a temporary folder (bench/lib/supervisord-foreground.ts). PM2 comes from npm, installed on
 * demand into <tmpdir>/opsdeck-bench-pm2 (never into the project), and runs with a private
 * PM2_HOME in a temporary folder, from an ecosystem file written there. All are stopped
 * (`opsdeck down`, supervisord's shutdown, `pm2 kill`) and their folders removed at the end, also
 * on error and on Ctrl-C; anything the bench started that still runs then is killed and reported.
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
import { measureKills, type KillSummary, type KillTarget } from './lib/kill-restart';
import { opsdeckLister, pm2Lister, supervisordLister, type PidLister } from './lib/pid-listers';
import { SUPERVISORD, startSupervisord, stopSupervisord, supervisordVersion, waitSupervisordRunning, type SupervisordRun } from './lib/supervisord-foreground';

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
    kills: { type: 'string', default: '10' },
    poll: { type: 'string', default: '5' },
    pm2: { type: 'string', default: '7' },
    'no-save': { type: 'boolean', default: false },
  },
});
const N = intArg(args.services, '--services');
const IDLE_S = intArg(args.idle, '--idle');
const SETTLE_S = intArg(args.settle, '--settle', 0);
const SAMPLE_S = intArg(args.sample, '--sample');
const KILLS = intArg(args.kills, '--kills', 0);
const POLL_MS = intArg(args.poll, '--poll');
const PM2_VERSION = args.pm2;
const ONLY = args.only;
const TOOLS = ['opsdeck', 'supervisord', 'pm2'] as const;
type Tool = (typeof TOOLS)[number];
const RUN: Tool[] = ONLY === undefined ? [...TOOLS] : (ONLY.split(',').map((t) => t.trim()) as Tool[]);
if (!RUN.length || RUN.some((t) => !TOOLS.includes(t))) {
  console.error(`error: --only takes one or more of ${TOOLS.join(', ')} (comma-separated), got "${ONLY}"`);
  process.exit(2);
}
if (KILLS > N) {
  console.error(`error: --kills ${KILLS}: one kill per service, and there are ${N} (--services)`);
  process.exit(2);
}
const PROBES = args.probes;
if (!['both', 'readiness', 'liveness', 'none'].includes(PROBES)) {
  console.error(`error: --probes must be both, readiness, liveness or none, got "${PROBES}"`);
  process.exit(2);
}
const DEFAULTS = N === 50 && IDLE_S === 60 && SETTLE_S === 10 && SAMPLE_S === 5 && ONLY === undefined && PROBES === 'both' && KILLS === 10 && POLL_MS === 5;
const command = [
  'npx tsx bench/supervise-50.ts',
  N !== 50 ? `--services ${N}` : '',
  IDLE_S !== 60 ? `--idle ${IDLE_S}` : '',
  SETTLE_S !== 10 ? `--settle ${SETTLE_S}` : '',
  SAMPLE_S !== 5 ? `--sample ${SAMPLE_S}` : '',
  ONLY ? `--only ${ONLY}` : '',
  PROBES !== 'both' ? `--probes ${PROBES}` : '',
  KILLS !== 10 ? `--kills ${KILLS}` : '',
  POLL_MS !== 5 ? `--poll ${POLL_MS}` : '',
  PM2_VERSION !== '7' ? `--pm2 ${PM2_VERSION}` : '',
].filter(Boolean).join(' ');

requireLinux('supervise-50');
if (RUN.includes('opsdeck')) requireBuiltCli();
const BUILD = RUN.includes('opsdeck') ? cliBuild() : undefined;
let SUPERVISORD_VERSION = '';
if (RUN.includes('supervisord')) {
  try {
    SUPERVISORD_VERSION = supervisordVersion();
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exit(2);
  }
}

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
let supervisord: SupervisordRun | undefined;
const leftovers: { pid: number; cmd: string }[] = [];

function pm2Env(home: string): NodeJS.ProcessEnv {
  return { ...env, PM2_HOME: home };
}

/** Synchronous last resort: nothing the bench started may outlive it. */
function cleanupSync(): void {
  if (pm2Home && existsSync(PM2_BIN)) spawnSync(NODE, [PM2_BIN, 'kill'], { env: pm2Env(pm2Home), stdio: 'ignore', timeout: 15_000 });
  pm2Home = undefined;
  if (supervisord && alive(supervisord.pid)) process.kill(supervisord.pid, 'SIGTERM');
  supervisord = undefined;
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

async function stopSupervisordRun(): Promise<void> {
  const sv = supervisord;
  if (!sv) return;
  supervisord = undefined;
  await stopSupervisord(sv);
  // supervisord notes one stopped program per turn of its main loop, and with no client asking it
  // anything a turn ends at its 1 s poll timeout: 50 programs take ~45 s to stop (measured).
  const waitMs = Math.max(30_000, N * 1500 + 10_000);
  if ((await waitGone([sv.pid], waitMs)).length) console.error(`warning: supervisord (pid ${sv.pid}) did not exit within ${waitMs / 1000} s of its shutdown`);
  await reapLeftovers('supervisord');
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
  await stopSupervisordRun().catch(() => undefined);
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
  /** After the window: kill -9 of --kills services, one each (none with --kills 0) */
  kills?: KillSummary;
}

const serviceName = (i: number) => `s${String(i + 1).padStart(2, '0')}`;

/**
 * After the idle window (and its restart count): kill -9 the first --kills services one after the
 * other and time their return, asking the supervisor through `lister` (bench/lib/kill-restart.ts).
 */
async function killPhase(tool: Tool, ports: number[], lister: PidLister): Promise<KillSummary | undefined> {
  try {
    if (!KILLS) return undefined;
    log(`${tool}: kill -9 of ${KILLS} services, one after the other (new pid asked every ${POLL_MS} ms)`);
    const targets: KillTarget[] = ports.map((port, i) => ({ name: serviceName(i), port }));
    return await measureKills(tool, targets, lister, { kills: KILLS, pollMs: POLL_MS, pauseMs: 500, timeoutMs: 30_000, log });
  } finally {
    await lister.close();
  }
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
      serviceName(i),
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
  opsdeckStack.daemonPid = lockInfo(dir)?.pid;
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
  const servicesAliveAfter = pidsBefore.filter(alive).length;
  const socket = lockInfo(dir)?.socket;
  if (KILLS && !socket) throw new Error(`opsdeck: no control API socket in ${join(dir, '.opsdeck', 'run', 'engine.lock')}`);
  const kills = await killPhase('opsdeck', ports, opsdeckLister(socket ?? ''));
  const result: PhaseResult = {
    tool: 'opsdeck',
    version: readVersion(join(import.meta.dirname, '..', 'package.json')),
    services: N,
    startSeconds,
    servicesAliveAfter,
    restartsDuringIdle: restarts,
    ...idle,
    kills,
  };
  await stopOpsdeck();
  return result;
}

/** The engine's lock: its pid and its control API socket. */
function lockInfo(dir: string): { pid: number; socket?: string } | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, '.opsdeck', 'run', 'engine.lock'), 'utf8')) as { pid: number; socket?: string };
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
    name: serviceName(i),
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
  const servicesAliveAfter = before.map((a) => a.pid).filter(alive).length;
  const kills = await killPhase('pm2', ports, await pm2Lister(join(PM2_CACHE, 'node_modules', 'pm2'), home));
  const result: PhaseResult = {
    tool: 'pm2',
    version,
    services: N,
    startSeconds,
    servicesAliveAfter,
    restartsDuringIdle: restarts,
    ...idle,
    kills,
  };
  await stopPm2();
  return result;
}

// ---------------------------------------------------------------- supervisord

async function runSupervisord(ports: number[]): Promise<PhaseResult> {
  const dir = tempDir('opsdeck-bench-supervisord-');
  // The same script, port and interpreter; supervisord restarts on any exit (autorestart=true).
  const programs = ports.map((port, i) => ({ name: serviceName(i), command: [NODE, HTTP_SERVICE], env: { PORT: String(port) } }));
  log(`supervisord ${SUPERVISORD_VERSION}: ${N} programs from a configuration in a temporary folder`);
  const t0 = performance.now();
  supervisord = startSupervisord(dir, programs, env);
  const sv = supervisord;
  await waitAllHealthy(ports, READY_TIMEOUT_MS);
  await waitSupervisordRunning(sv, N, READY_TIMEOUT_MS);
  const startSeconds = r2((performance.now() - t0) / 1000);
  const lister = supervisordLister(sv.socket);
  const pidsOf = async () => Promise.all(programs.map((p) => lister.pidOf(p.name)));
  const before = await pidsOf();
  log(`supervisord: ${N} RUNNING and answering in ${startSeconds} s, pid ${sv.pid}; settling ${SETTLE_S} s, then ${IDLE_S} s idle`);
  await sleep(SETTLE_S * 1000);

  const idle = await measureIdle(sv.pid, 'supervisord');

  const after = await pidsOf();
  const servicesAliveAfter = before.filter((p): p is number => p !== undefined && alive(p)).length;
  const kills = await killPhase('supervisord', ports, lister);
  const result: PhaseResult = {
    tool: 'supervisord',
    version: SUPERVISORD_VERSION,
    services: N,
    startSeconds,
    servicesAliveAfter,
    // supervisord keeps no restart count: a service restarted when its pid changed.
    restartsDuringIdle: after.filter((p, i) => p !== before[i]).length,
    ...idle,
    kills,
  };
  await stopSupervisordRun();
  return result;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const m = machine();
  console.log(
    `supervise ${N}: ${RUN.join(', then ')}${PROBES !== 'both' ? ` (opsdeck probes: ${PROBES})` : ''}; settle ${SETTLE_S} s, idle ${IDLE_S} s, sample every ${SAMPLE_S} s; ` +
      `${KILLS} kills, polled every ${POLL_MS} ms; node ${process.version}, ${m.cores} cores, CLK_TCK ${clockTicks()}`,
  );
  const ports = await freePorts(N);
  const results: PhaseResult[] = [];
  const phases: Record<Tool, (ports: number[]) => Promise<PhaseResult>> = { opsdeck: runOpsdeck, supervisord: runSupervisord, pm2: runPm2 };
  for (const tool of TOOLS.filter((t) => RUN.includes(t))) {
    if (results.length) await sleep(2000); // let the previous run's exits and closes settle
    results.push(await phases[tool](ports));
  }
  await cleanup();
  const rebuilt = BUILD !== undefined && cliBuild().sha256 !== BUILD.sha256;
  if (rebuilt) console.error('warning: dist/cli.js changed during the run (rebuilt by someone): the Opsdeck figures may mix two builds');
  const stillRunning = markedProcesses(MARKER);
  for (const p of killMarked(MARKER)) console.error(`warning: pid ${p.pid} still running at the end, killed: ${p.cmd}`);
  leftovers.push(...stillRunning);

  // ------------------------------------------------------------ report
  const ops = results.find((r) => r.tool === 'opsdeck');
  const sv = results.find((r) => r.tool === 'supervisord');
  const pm2 = results.find((r) => r.tool === 'pm2');
  const W = 17;
  const cell = (r: PhaseResult | undefined, f: (r: PhaseResult) => string) => (r ? f(r) : '–').padStart(W);
  const killCell = (pick: (k: KillSummary) => string) => (r: PhaseResult) => (r.kills ? pick(r.kills) : '–');
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
    ['kill -9 → new pid listed (ms)', killCell((k) => k.pidListed.median.toFixed(0))],
    ['  min – max (ms)', killCell((k) => `${k.pidListed.min.toFixed(0)} – ${k.pidListed.max.toFixed(0)}`)],
    ['kill -9 → /health 200 (ms)', killCell((k) => k.healthy.median.toFixed(0))],
    ['  min – max (ms)', killCell((k) => `${k.healthy.min.toFixed(0)} – ${k.healthy.max.toFixed(0)}`)],
  ];
  const heading = (tool: Tool) => `${tool} ${results.find((r) => r.tool === tool)?.version ?? ''}`.trim().padStart(W);
  const table = [
    `| ${''.padEnd(32)} | ${TOOLS.map(heading).join(' | ')} |`,
    `| ${'-'.repeat(32)} | ${TOOLS.map(() => `${'-'.repeat(W - 1)}:`).join(' | ')} |`,
    ...rows.map(([name, f]) => `| ${name.padEnd(32)} | ${[ops, sv, pm2].map((r) => cell(r, f)).join(' | ')} |`),
  ].join('\n');

  const rssRatio = ops && pm2 ? r2(ops.rssMaxMb / pm2.rssMaxMb) : undefined;
  const rssMeanRatio = ops && pm2 ? r2(ops.rssMeanMb / pm2.rssMeanMb) : undefined;
  const cpuRatio = ops && pm2 && pm2.cpuPercent > 0 ? r2(ops.cpuPercent / pm2.cpuPercent) : undefined;
  // Restarts: Opsdeck's medians over the other's (below 1: Opsdeck faster).
  const restartRatio = (other: PhaseResult | undefined) =>
    ops?.kills && other?.kills
      ? { pidListed: r2(ops.kills.pidListed.median / other.kills.pidListed.median), healthy: r2(ops.kills.healthy.median / other.kills.healthy.median) }
      : undefined;
  const restartRatios = { supervisord: restartRatio(sv), pm2: restartRatio(pm2) };
  // Both the max and the mean: one daemon's max can be a single spike (PM2's first sample often is),
  // while the mean is what the daemon holds over the window.
  const memoryPass = ops && pm2 ? ops.rssMaxMb < pm2.rssMaxMb && ops.rssMeanMb < pm2.rssMeanMb : undefined;
  const cpuPass = ops ? ops.cpuPercent < CPU_TARGET_PERCENT : undefined;
  const restartPass = restartRatios.supervisord ? restartRatios.supervisord.pidListed <= 1 && restartRatios.supervisord.healthy <= 1 : undefined;
  const clean = leftovers.length === 0;
  const pass = [memoryPass, cpuPass, restartPass].every((v) => v === true) && clean;
  const ratioText = (name: string, r: { pidListed: number; healthy: number } | undefined) =>
    r ? `${name} ${r.pidListed.toFixed(2)}× / ${r.healthy.toFixed(2)}×` : undefined;
  const verdicts = [
    ops && pm2
      ? `memory: opsdeck daemon ${ops.rssMaxMb.toFixed(1)} MB max RSS vs PM2 daemon ${pm2.rssMaxMb.toFixed(1)} MB (ratio ${rssRatio!.toFixed(2)}×), mean ${ops.rssMeanMb.toFixed(1)} vs ${pm2.rssMeanMb.toFixed(1)} MB (ratio ${rssMeanRatio!.toFixed(2)}×); target less than PM2, max and mean: ${memoryPass ? 'PASS' : 'FAIL'}`
      : 'memory: needs the opsdeck and pm2 runs',
    ops
      ? `idle CPU: opsdeck daemon ${ops.cpuPercent.toFixed(2)} % of a core${pm2 ? ` vs PM2 daemon ${pm2.cpuPercent.toFixed(2)} %${cpuRatio !== undefined ? ` (ratio ${cpuRatio.toFixed(1)}×)` : ''}` : ''}${sv ? `, supervisord ${sv.cpuPercent.toFixed(2)} %` : ''}, target < ${CPU_TARGET_PERCENT} %: ${cpuPass ? 'PASS' : 'FAIL'}`
      : 'idle CPU: needs the opsdeck run',
    ops?.kills && (sv?.kills || pm2?.kills)
      ? `restart after kill -9 (medians of ${KILLS}): opsdeck new pid listed ${ops.kills.pidListed.median.toFixed(0)} ms, /health 200 ${ops.kills.healthy.median.toFixed(0)} ms; ` +
        `ratio opsdeck / other (pid listed / healthy): ${[ratioText('supervisord', restartRatios.supervisord), ratioText('PM2', restartRatios.pm2)].filter(Boolean).join(', ')}; ` +
        `target no slower than supervisord: ${restartPass === undefined ? 'needs the supervisord run' : restartPass ? 'PASS' : 'FAIL'}`
      : 'restart after kill -9: needs the opsdeck run and another, with --kills > 0',
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
      supervisord: `${SUPERVISORD} ${sv?.version ?? SUPERVISORD_VERSION} -n, configuration in a temporary folder, autorestart=true, stopasgroup/killasgroup (no http probes)`,
      kills: `${KILLS} services killed with SIGKILL one after the other (one kill each, 0.5 s apart); new pid asked every ${POLL_MS} ms: opsdeck GET /v1/status?service=NAME on its socket, supervisord XML-RPC supervisor.getProcessInfo, pm2 its process list (jlist) through its client library; /health polled every ${POLL_MS} ms once the killed process is gone`,
      pm2: `pm2@${pm2?.version ?? PM2_VERSION} from npm in <tmpdir>/opsdeck-bench-pm2, private PM2_HOME, ecosystem file, fork mode, autorestart (PM2 has no http probes)`,
    },
    targets: { cpuPercent: CPU_TARGET_PERCENT, memory: 'opsdeck daemon max RSS < PM2 daemon max RSS', restart: 'opsdeck medians (new pid listed, /health 200) ≤ supervisord' },
    opsdeck: ops,
    supervisord: sv,
    pm2,
    rssRatio,
    rssMeanRatio,
    cpuRatio,
    restartRatios,
    memoryPass,
    cpuPass,
    restartPass,
    leftovers,
    pass,
  };
  writeFileSync(join(RESULTS, 'supervise-50.json'), `${JSON.stringify(json, null, 2)}\n`);
  const md = [
    `# Supervising ${N} services: daemon memory, idle CPU, restart after kill -9`,
    '',
    `The Opsdeck engine daemon (\`up --detach\`), supervisord and PM2's daemon (God), one after the other, each supervising the same ${N}`,
    `HTTP services (\`bench/fixtures/http-service.cjs\`, one loopback port each). Opsdeck probes each service over http:`,
    `readiness every 5 s and liveness every 10 s (the defaults); supervisord and PM2 have no http probes and only watch the processes.`,
    `Once every service answers, ${SETTLE_S} s to settle, then ${IDLE_S} s idle with no request to any daemon: CPU is`,
    `utime + stime of the daemon process alone (/proc/<pid>/stat), RSS is VmRSS (/proc/<pid>/status) sampled every ${SAMPLE_S} s.`,
    `Then ${KILLS} services are killed with SIGKILL, one after the other: the time to a new pid listed by the supervisor (asked every`,
    `${POLL_MS} ms through its API) and to the service's /health answering 200 again, medians.`,
    '',
    `- command: \`${command}\``,
    `- date: ${date}`,
    `- node: ${process.version}, ${m.platform} ${m.arch}`,
    `- machine: ${m.cores} cores, ${m.cpu}, ${m.memoryGb} GB`,
    `- opsdeck: ${ops?.version ?? '–'}, work tree at ${json.revision}, dist/cli.js built ${BUILD?.builtAt ?? '–'} (sha256 ${BUILD?.sha256 ?? '–'}${rebuilt ? ', REBUILT DURING THE RUN' : ''}); supervisord: ${sv?.version ?? '–'}; pm2: ${pm2?.version ?? '–'}`,
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
