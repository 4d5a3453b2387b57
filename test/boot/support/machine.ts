/**
 * Boot-test harness: one throw-away machine, a copy of the cached root file system (rootfs.ts)
 * booted with systemd-nspawn, systemd as its PID 1. Boot it, run commands in it, power it off,
 * boot it again, and always destroy it (the processes and the copy), even after a failure.
 *
 * What works on these machines (Debian 12 as root, systemd 252, checked by hand; the host's PID 1
 * is not systemd, and cgroups are v1 with a v2 hierarchy at /sys/fs/cgroup/unified):
 *
 *   systemd-nspawn --boot --directory=ROOT --machine=NAME --register=no --keep-unit \
 *     --private-network --link-journal=no --console=passive
 *
 * - `--register=no --keep-unit`: without them nspawn asks the host's systemd (over the system bus)
 *   for a scope and machined for a registration, and stops with "Failed to open system bus" where
 *   the host does not run systemd. On a host that runs systemd (/run/systemd/system exists) they
 *   are left out, and nspawn registers as usual. So `machinectl` and `systemctl -M` are not used:
 *   commands run inside with `nsenter --target=LEADER --all` (the leader is PID 1 of the container
 *   as the host sees it: nspawn's child once it has become `systemd`), which works either way.
 * - `--private-network`: the machine has only its loopback (systemd brings it up), so the
 *   example's ports 7101-7103 never meet the host's (other suites run the same stack there).
 *   `{ network: 'host' }` leaves it out: the machine shares the host's network (deploy-script.test.ts
 *   needs apt's mirror and the npm registry); a stack there must use a free port of the host.
 * - `--link-journal=no`: the journal stays in ROOT/var/log/journal (persistent: Debian's systemd
 *   creates that folder), read from the host with `journalctl -D` (journal.ts), during and after a boot.
 * - `--console=passive`: systemd's console output goes to nspawn's stdout (a log file per boot
 *   here) without input; `--console=pipe` works too but shows nothing (no /dev/console).
 * - Booted, `systemctl is-system-running --wait` (inside) returns within a second; the whole boot
 *   of the minbase system takes about 0.4 s on a 2-core machine.
 * - Power off: `systemctl poweroff` inside; nspawn then exits 0. SIGTERM to nspawn halts the
 *   container the same way; SIGKILL of the leader ends everything in the container at once (the
 *   end of a PID namespace's init kills the namespace).
 * - nspawn leaves /run/systemd/nspawn/propagate/NAME behind when /run is not a tmpfs ("Attempted
 *   to remove disk file system ... and we can't allow that"): removed here.
 *
 * Copies live under ${cacheDir}/boot-runs/ (next to the root file system, so `cp --reflink=auto`
 * can share blocks where the file system can; a plain copy of ~250 MB takes about a second).
 * A copy whose test process is gone (killed) is destroyed by the next create(): its processes
 * (those in the PID namespace recorded in its folder) killed, then removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeEnd, isAlive, mustRunHost, runHost, tailOf, type HostRun } from './host-command';
import { cacheDir } from './rootfs';

/** The PATH commands get inside (systemd's default for system services). */
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A deadline to race against: unref'd, so a won race leaves no timer keeping mocha alive (60 s after a poweroff). */
const deadline = (ms: number) => new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref());

const RUN_RE = /^(.+)-(\d+)-(\d+)$/;

/** In a copy's folder: the PID namespace of its running machine, for reapLeftovers(). */
const PIDNS_FILE = 'pidns';

let counter = 0;

/**
 * Pids of the processes in the PID namespace `ns` (`pid:[INODE]`, as readlink /proc/PID/ns/pid
 * says): a machine's processes. (Their /proc/PID/root cannot tell: from the host it reads `/`.)
 */
function processesInPidNs(ns: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/pid`) === ns) pids.push(Number(name));
    } catch {
      // gone, or not ours to see
    }
  }
  return pids;
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** What nspawn leaves behind for machine `name` when /run is not a tmpfs. */
const propagateDir = (name: string) => `/run/systemd/nspawn/propagate/${name}`;

/** Destroys the copies of test processes that are gone (killed before their cleanup ran). */
function reapLeftovers(runs: string): void {
  if (!existsSync(runs)) return;
  for (const name of readdirSync(runs)) {
    const m = RUN_RE.exec(name);
    if (!m || isAlive(Number(m[2]))) continue;
    const dir = join(runs, name);
    const ns = readOr(join(dir, PIDNS_FILE), '');
    if (ns) killAll(processesInPidNs(ns));
    rmSync(propagateDir(name), { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The direct children of `pid` (from /proc/PID/task/TID/children). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // exited
  }
  return out;
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return fallback;
  }
}

/** What one boot measured. */
export interface BootInfo {
  /** When nspawn was started (epoch ms). */
  startedAt: number;
  /** Until `systemctl is-system-running --wait` answered (ms). */
  upMs: number;
  /** What it answered: `running`, or `degraded` when a unit failed. */
  state: string;
}

/** How a machine is made: `network: 'host'` shares the host's network (for apt and npm) instead of a loopback of its own; `binds` are host folders mounted inside (host:inside). */
export interface MachineOptions {
  network?: 'private' | 'host';
  binds?: string[];
}

export class BootMachine {
  /** The copy's folder: root/ (the machine's file system) and console-N.log (one per boot). */
  readonly dir: string;
  readonly root: string;
  private nspawn: ChildProcess | undefined;
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  private leaderPid: number | undefined;
  private pidNs: string | undefined;
  private boots = 0;

  private constructor(readonly name: string, dir: string, private readonly opts: MachineOptions = {}) {
    this.dir = dir;
    this.root = join(dir, 'root');
  }

  /**
   * A fresh copy of `base` (never booted itself) named `opsdeck-LABEL-PID-N`, with a machine id of
   * its own (so its journal is its own). Destroys leftovers of killed runs first.
   */
  static async create(base: string, label: string, opts: MachineOptions = {}): Promise<BootMachine> {
    const runs = join(cacheDir(), 'boot-runs');
    mkdirSync(runs, { recursive: true });
    reapLeftovers(runs);
    const name = `opsdeck-${label}-${process.pid}-${++counter}`;
    if (!RUN_RE.test(name) || name.length > 64) throw new Error(`machine name ${name} is not a valid host name of at most 64 characters`);
    const m = new BootMachine(name, join(runs, name), opts);
    rmSync(m.dir, { recursive: true, force: true });
    mkdirSync(m.dir);
    await mustRunHost('cp', ['-a', '--reflink=auto', base, m.root], { timeoutMs: 5 * 60_000 });
    writeFileSync(join(m.root, 'etc/machine-id'), randomBytes(16).toString('hex') + '\n');
    return m;
  }

  /** The nspawn command line (see the comment at the top for why each flag). */
  nspawnArgs(): string[] {
    const hostRunsSystemd = existsSync('/run/systemd/system');
    return [
      '--boot',
      `--directory=${this.root}`,
      `--machine=${this.name}`,
      ...(hostRunsSystemd ? [] : ['--register=no', '--keep-unit']),
      ...(this.opts.network === 'host' ? [] : ['--private-network']),
      ...(this.opts.binds ?? []).map((b) => `--bind=${b}`),
      '--link-journal=no',
      '--console=passive',
    ];
  }

  /** The console log of boot `n` (1-based; default the last). */
  consoleLog(n = this.boots): string {
    return join(this.dir, `console-${n}.log`);
  }

  /** Whether the machine is booted (nspawn runs). */
  get running(): boolean {
    return this.nspawn !== undefined;
  }

  /** PID 1 of the machine, as the host sees it. */
  get leader(): number {
    if (this.leaderPid === undefined) throw new Error(`machine ${this.name} is not running`);
    return this.leaderPid;
  }

  /**
   * Boots the machine and waits until systemd says it is up (`running` or `degraded`). Rejects,
   * with the console's last lines, when it is not within `timeoutMs`.
   */
  async boot(timeoutMs = 120_000): Promise<BootInfo> {
    if (this.nspawn) throw new Error(`machine ${this.name} is already running`);
    this.boots += 1;
    const fd = openSync(this.consoleLog(), 'w');
    const startedAt = Date.now();
    const child = spawn('systemd-nspawn', this.nspawnArgs(), { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.nspawn = child;
    this.exited = new Promise((resolve) => {
      child.on('error', () => resolve({ code: null, signal: null }));
      child.on('exit', (code, signal) => {
        this.nspawn = undefined;
        this.leaderPid = undefined;
        resolve({ code, signal });
      });
    });
    const deadline = startedAt + timeoutMs;
    try {
      this.leaderPid = await this.findLeader(child, deadline);
      this.pidNs = readlinkSync(`/proc/${this.leaderPid}/ns/pid`);
      writeFileSync(join(this.dir, PIDNS_FILE), this.pidNs);
      let last: HostRun | undefined;
      while (Date.now() < deadline) {
        // Fails ("Failed to connect to bus") until systemd has made its private socket.
        last = await this.run(['systemctl', 'is-system-running', '--wait'], { timeoutMs: Math.max(1000, deadline - Date.now()) });
        const state = last.stdout.trim();
        if (state === 'running' || state === 'degraded') return { startedAt, upMs: Date.now() - startedAt, state };
        await sleep(100);
      }
      throw new Error(`systemctl is-system-running --wait said ${JSON.stringify(last?.stdout.trim())} (${last ? describeEnd(last) : 'not run'}) ${last?.stderr.trim() ?? ''}`);
    } catch (e) {
      throw new Error(`machine ${this.name} did not boot within ${timeoutMs / 1000} s: ${(e as Error).message}\n--- console (${this.consoleLog()}):\n${this.consoleTail()}`);
    }
  }

  /** nspawn's child once it has become systemd in a PID namespace of its own. */
  private async findLeader(child: ChildProcess, deadline: number): Promise<number> {
    const ownPidNs = readlinkSync('/proc/self/ns/pid');
    while (Date.now() < deadline) {
      if (!this.nspawn || child.pid === undefined) throw new Error('systemd-nspawn exited while the machine started');
      for (const pid of childrenOf(child.pid)) {
        const ns = (() => {
          try {
            return readlinkSync(`/proc/${pid}/ns/pid`);
          } catch {
            return ownPidNs;
          }
        })();
        if (ns !== ownPidNs && readOr(`/proc/${pid}/comm`, '') === 'systemd') return pid;
      }
      await sleep(25);
    }
    throw new Error('no systemd process appeared under systemd-nspawn');
  }

  /** The console's last lines (for error messages). */
  consoleTail(n = 40): string {
    return tailOf(readOr(this.consoleLog(), '(no console log)'), n);
  }

  /**
   * Runs `argv` inside the machine, as root, in all its namespaces, with a clean environment
   * (PATH as systemd gives services, HOME=/root) plus `env`. Never rejects on a non-zero exit.
   */
  run(argv: string[], opts: { timeoutMs?: number; env?: Record<string, string>; input?: string } = {}): Promise<HostRun> {
    const env = Object.entries({ PATH, HOME: '/root', LANG: 'C.UTF-8', NO_COLOR: '1', ...opts.env }).map(([k, v]) => `${k}=${v}`);
    return runHost('nsenter', [`--target=${this.leader}`, '--all', '--', 'env', '-i', ...env, ...argv], {
      timeoutMs: opts.timeoutMs ?? 60_000,
      input: opts.input,
    });
  }

  /** Like run(), but rejects unless `argv` exits 0, with what it printed. */
  async mustRun(argv: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<string> {
    const r = await this.run(argv, opts);
    if (r.code !== 0) throw new Error(`in machine ${this.name}: ${argv.join(' ')} failed (${describeEnd(r)})\n${tailOf(r.stderr + r.stdout)}`);
    return r.stdout;
  }

  /** `systemctl poweroff` inside, then waits until nspawn has exited (it must exit 0). */
  async poweroff(timeoutMs = 60_000): Promise<{ ms: number }> {
    if (!this.nspawn || !this.exited) throw new Error(`machine ${this.name} is not running`);
    const t0 = Date.now();
    // The command may lose its connection as systemd goes down: its exit code says nothing.
    await this.run(['systemctl', 'poweroff'], { timeoutMs: 10_000 });
    const end = await Promise.race([this.exited, deadline(timeoutMs)]);
    if (!end) throw new Error(`machine ${this.name} did not power off within ${timeoutMs / 1000} s\n--- console:\n${this.consoleTail()}`);
    this.removePropagateDir();
    if (end.code !== 0) throw new Error(`systemd-nspawn ended with ${describeEnd(end)} after poweroff\n--- console:\n${this.consoleTail()}`);
    return { ms: Date.now() - t0 };
  }

  private removePropagateDir(): void {
    rmSync(propagateDir(this.name), { recursive: true, force: true });
  }

  /**
   * Ends the machine however it is (SIGTERM to nspawn halts it; after 10 s, SIGKILL of its
   * leader and of every process in its PID namespace) and removes the copy. Safe to call twice.
   */
  async destroy(): Promise<void> {
    if (this.nspawn && this.exited) {
      this.nspawn.kill('SIGTERM');
      const end = await Promise.race([this.exited, deadline(10_000)]);
      if (!end) {
        if (this.leaderPid) killAll([this.leaderPid]);
        this.nspawn?.kill('SIGKILL');
        await Promise.race([this.exited, deadline(5_000)]);
      }
    }
    if (this.pidNs) killAll(processesInPidNs(this.pidNs));
    this.removePropagateDir();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
