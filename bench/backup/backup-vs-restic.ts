/**
 * Bench: the Opsdeck backup repository against restic, side by side in one run, on one generated
 * data set of about 1 GiB (random files, text logs, a ~150 MB SQLite-like file of random pages).
 * Steps, each timed for every tool: initial backup, incremental backup after a 1 % change,
 * verify with all data read (`restic check --read-data`), full restore; then repository size.
 * Targets: Opsdeck at least as fast as restic on each step, repository within 10 % of restic's.
 *
 *   npx tsx bench/backup/backup-vs-restic.ts [--size-mb 1024] [--runs 3] [--no-encrypted] [--work DIR] [--keep] [--no-save]
 *
 * Each run starts from a fresh copy of the data set and fresh repositories; the report gives
 * the median of the runs for every step (every sample is in the JSON).
 *
 * restic comes from Debian (`apt-get install -y restic`), with RESTIC_PASSWORD and a temporary
 * repository. Opsdeck runs unencrypted and encrypted (restic always encrypts). Each Opsdeck step
 * is a separate process started from a bundle of bench/backup/opsdeck-step.ts (esbuild, like
 * dist/cli.js), so both tools pay process start-up. Wall, user and system times come from GNU time.
 * Before every timed step the bench runs `sync`, so no step pays for another's dirty pages.
 * The order of the tools rotates from step to step. Results: bench/results/backup-vs-restic.{json,md}.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { commandPath, GNU_TIME } from '../lib/common';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { changeDataset, generateDataset, type Dataset } from '../../test/fixtures/backup/dataset';

const REPO = resolve(import.meta.dirname, '../..');
const RESULTS = join(REPO, 'bench/results');
const SIZE_TARGET = 1.1;

const { values: args } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '1024' },
    'no-encrypted': { type: 'boolean', default: false },
    work: { type: 'string' },
    runs: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
    'no-save': { type: 'boolean', default: false },
  },
});
const SIZE_MB = Number(args['size-mb']);
if (!Number.isFinite(SIZE_MB) || SIZE_MB < 64) {
  console.error('error: --size-mb must be at least 64');
  process.exit(2);
}
const RUNS = Number(args.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error('error: --runs must be a whole number of at least 1');
  process.exit(2);
}
const WORK = resolve(args.work ?? join(os.tmpdir(), 'opsdeck-bench-backup'));
const command = ['npx tsx bench/backup/backup-vs-restic.ts', ...process.argv.slice(2)].join(' ');

// ---------------------------------------------------------------- tools


const restic = commandPath('restic');
if (!restic) {
  console.error('error: restic is not installed, so there is nothing to compare with');
  console.error('hint: install Debian\'s package: `sudo apt-get install -y restic` (or put a restic binary on PATH), then run the bench again');
  process.exit(2);
}
const gnuTime = GNU_TIME;
const resticVersion = execFileSync(restic, ['version'], { encoding: 'utf8' }).trim();

interface Timed {
  wallS: number;
  userS: number;
  sysS: number;
  maxRssMb: number;
  stdout: string;
}

/** Run a command to completion, timed by GNU time when available. */
function timed(cmd: string, argv: string[], env: NodeJS.ProcessEnv): Timed {
  const timeFile = join(WORK, 'time.out');
  const t0 = performance.now();
  const r = gnuTime
    ? spawnSync(gnuTime, ['-f', '%e %U %S %M', '-o', timeFile, cmd, ...argv], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 256 << 20 })
    : spawnSync(cmd, argv, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 256 << 20 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}): ${r.stderr?.slice(-2000)}`);
  if (!gnuTime) return { wallS: wall, userS: NaN, sysS: NaN, maxRssMb: NaN, stdout: r.stdout };
  const [e, u, s, m] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  return { wallS: e!, userS: u!, sysS: s!, maxRssMb: Math.round(m! / 1024), stdout: r.stdout };
}

const sync = () => execFileSync('sync');

function duBytes(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) total += statSync(p).size;
    }
  };
  walk(dir);
  return total;
}

/** A digest of a tree (paths, sizes, contents), to check that restores are complete and exact. */
function treeDigest(root: string): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = statSync(join(root, r));
      if (st.isDirectory()) walk(r);
      else h.update(`${r}\0${st.size}\0`).update(createHash('sha256').update(readFileSync(join(root, r))).digest());
    }
  };
  walk('');
  return h.digest('hex');
}

// ---------------------------------------------------------------- the tools under test

interface Tool {
  name: string;
  repo: string;
  init(): void;
  backup(src: string): Timed & { added?: number };
  verify(): Timed;
  restore(target: string): Timed;
  /** Where a restore of `src` lands under `target`. */
  restoredRoot(target: string, src: string): string;
}

const RESTIC_ENV = { RESTIC_PASSWORD: 'opsdeck-bench', RESTIC_CACHE_DIR: join(WORK, 'restic-cache') };

function resticTool(): Tool {
  const repo = join(WORK, 'repos/restic');
  return {
    name: 'restic',
    repo,
    init: () => void timed(restic!, ['init', '-q', '--repo', repo], RESTIC_ENV),
    backup(src) {
      const t = timed(restic!, ['backup', '--json', '-q', '--host', 'bench', '--repo', repo, src], RESTIC_ENV);
      const summary = t.stdout
        .trim()
        .split('\n')
        .map((l) => {
          try {
            return JSON.parse(l) as { message_type?: string; data_added?: number };
          } catch {
            return {};
          }
        })
        .find((l) => l.message_type === 'summary');
      return { ...t, ...(summary?.data_added !== undefined ? { added: summary.data_added } : {}) };
    },
    verify: () => timed(restic!, ['check', '--read-data', '-q', '--repo', repo], RESTIC_ENV),
    restore: (target) => timed(restic!, ['restore', 'latest', '-q', '--repo', repo, '--target', target], RESTIC_ENV),
    restoredRoot: (target, src) => join(target, src),
  };
}

function opsdeckTool(step: string, encrypted: boolean): Tool {
  const name = encrypted ? 'opsdeck-encrypted' : 'opsdeck';
  const repo = join(WORK, `repos/${name}`);
  const env = { OPSDECK_BACKUP_KEY: 'opsdeck-bench' };
  const run = (...a: string[]) => timed(process.execPath, [step, ...a], env);
  return {
    name,
    repo,
    init: () => void run('init', repo, ...(encrypted ? ['--encrypted'] : [])),
    backup(src) {
      const t = run('backup', repo, src);
      const out = JSON.parse(t.stdout.trim().split('\n').at(-1)!) as { summary: { bytesAdded: number } };
      return { ...t, added: out.summary.bytesAdded };
    },
    verify: () => run('verify', repo),
    restore: (target) => run('restore', repo, target),
    restoredRoot: (target) => join(target, 'data'),
  };
}

// ---------------------------------------------------------------- run

interface StepResult {
  tool: string;
  wallS: number;
  cpuS: number;
  userS: number;
  sysS: number;
  maxRssMb: number;
  addedBytes?: number;
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const loadavg = () => os.loadavg().map((x) => r2(x));

function cleanup(): void {
  if (args.keep) return;
  for (const d of ['repos', 'restore', 'data', 'pristine', 'restic-cache', 'bin']) rmSync(join(WORK, d), { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  cleanup();
  mkdirSync(join(WORK, 'restore'), { recursive: true });

  // the Opsdeck side, bundled like the CLI, with the repository's worker thread next to it
  // (found from import.meta.url, as in scripts/build.mjs)
  const step = join(WORK, 'bin/opsdeck-step.js');
  mkdirSync(join(WORK, 'bin'), { recursive: true });
  writeFileSync(join(WORK, 'bin/package.json'), JSON.stringify({ type: 'commonjs' }) + '\n');
  await esbuild.build({
    absWorkingDir: REPO,
    entryPoints: { 'opsdeck-step': 'bench/backup/opsdeck-step.ts', 'repo-worker': 'src/core/backup/repo/worker-thread.ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outdir: join(WORK, 'bin'),
    define: { 'import.meta.url': '__opsdeck_import_meta_url' },
    banner: { js: 'var __opsdeck_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    logLevel: 'warning',
  });

  const total = SIZE_MB << 20;
  console.log(`generating ${SIZE_MB} MiB of data in ${WORK}/pristine …`);
  const tg = performance.now();
  const pristine: Dataset = generateDataset(join(WORK, 'pristine'), {
    seed: 'opsdeck-backup-bench',
    randomBytes: Math.round(total * 0.44),
    randomFiles: 300,
    logBytes: Math.round(total * 0.41),
    logFiles: 6,
    dbBytes: Math.round(total * 0.15),
  });
  console.log(`  ${pristine.files.length} files, ${(pristine.bytes / 2 ** 20).toFixed(0)} MiB in ${((performance.now() - tg) / 1000).toFixed(1)} s`);

  const tools = [resticTool(), opsdeckTool(step, false), ...(args['no-encrypted'] ? [] : [opsdeckTool(step, true)])];
  const loadStart = loadavg();
  const samples: Record<string, StepResult[]> = {};
  const restoredOk: Record<string, boolean> = Object.fromEntries(tools.map((t) => [t.name, true]));
  const sizes: Record<string, number> = {};
  let change = { bytesChanged: 0, what: [] as string[] };
  let rotation = 0;
  const record = (name: string, res: StepResult) => {
    (samples[name] ??= []).push(res);
    console.log(`  ${name.padEnd(12)} ${res.tool.padEnd(18)} ${res.wallS.toFixed(2).padStart(7)} s  cpu ${res.cpuS.toFixed(2).padStart(6)} s  rss ${res.maxRssMb} MB${res.addedBytes !== undefined ? `  added ${(res.addedBytes / 2 ** 20).toFixed(1)} MiB` : ''}`);
  };
  const toResult = (tool: string, r: Timed & { added?: number }): StepResult => ({
    tool,
    wallS: r2(r.wallS),
    cpuS: r2(r.userS + r.sysS),
    userS: r.userS,
    sysS: r.sysS,
    maxRssMb: r.maxRssMb,
    ...(r.added !== undefined ? { addedBytes: r.added } : {}),
  });
  const runStep = (name: string, fn: (t: Tool) => Timed & { added?: number }) => {
    const order = tools.map((_, i) => tools[(i + rotation) % tools.length]!);
    rotation++;
    for (const t of order) {
      sync();
      record(name, toResult(t.name, fn(t)));
    }
  };

  for (let run = 1; run <= RUNS; run++) {
    console.log(`run ${run}/${RUNS}`);
    // a fresh copy of the data set and fresh repositories for every run
    rmSync(join(WORK, 'data'), { recursive: true, force: true });
    rmSync(join(WORK, 'repos'), { recursive: true, force: true });
    rmSync(join(WORK, 'restic-cache'), { recursive: true, force: true });
    execFileSync('cp', ['-a', join(WORK, 'pristine'), join(WORK, 'data')]);
    const ds: Dataset = { ...pristine, root: join(WORK, 'data') };
    for (const t of tools) t.init();
    const src = ds.root;
    runStep('backup', (t) => t.backup(src));
    change = changeDataset(ds, 0.01, 'bench-change');
    console.log(`  changed ${(change.bytesChanged / 2 ** 20).toFixed(1)} MiB (${((100 * change.bytesChanged) / ds.bytes).toFixed(2)} %)`);
    runStep('incremental', (t) => t.backup(src));
    runStep('verify', (t) => t.verify());
    const expected = treeDigest(src);
    runStep('restore', (t) => {
      const target = join(WORK, 'restore', t.name);
      rmSync(target, { recursive: true, force: true });
      sync();
      return t.restore(target);
    });
    // restic with --verify re-reads every restored file, as Opsdeck always does: the equal-work comparison
    const verifyTarget = join(WORK, 'restore', 'restic-verify');
    sync();
    record('restore', toResult('restic --verify', timed(restic!, ['restore', 'latest', '-q', '--verify', '--repo', join(WORK, 'repos/restic'), '--target', verifyTarget], RESTIC_ENV)));
    rmSync(verifyTarget, { recursive: true, force: true });
    for (const t of tools) {
      restoredOk[t.name] = restoredOk[t.name]! && treeDigest(t.restoredRoot(join(WORK, 'restore', t.name), src)) === expected;
      rmSync(join(WORK, 'restore', t.name), { recursive: true, force: true });
      sizes[t.name] = duBytes(t.repo);
    }
  }
  const loadEnd = loadavg();
  // medians over the runs
  const median = (xs: number[]) => {
    const v = [...xs].sort((x, y) => x - y);
    const n = v.length;
    return n % 2 ? v[(n - 1) / 2]! : (v[n / 2 - 1]! + v[n / 2]!) / 2;
  };
  const results: Record<string, StepResult[]> = {};
  for (const [name, list] of Object.entries(samples)) {
    results[name] = [...new Set(list.map((r) => r.tool))].map((tool) => {
      const rs = list.filter((r) => r.tool === tool);
      const added = rs.map((r) => r.addedBytes).filter((x): x is number => x !== undefined);
      return {
        tool,
        wallS: r2(median(rs.map((r) => r.wallS))),
        cpuS: r2(median(rs.map((r) => r.cpuS))),
        userS: r2(median(rs.map((r) => r.userS))),
        sysS: r2(median(rs.map((r) => r.sysS))),
        maxRssMb: Math.max(...rs.map((r) => r.maxRssMb)),
        ...(added.length ? { addedBytes: median(added) } : {}),
      };
    });
  }
  const resticVerified = results.restore!.find((r) => r.tool === 'restic --verify')!;
  const ds = pristine;

  // ---------------------------------------------------------------- report
  const stepNames = ['backup', 'incremental', 'verify', 'restore'];
  const get = (s: string, tool: string) => results[s]!.find((r) => r.tool === tool)!;
  const opsTools = tools.filter((t) => t.name !== 'restic').map((t) => t.name);
  const verdicts: { what: string; ratio: number; pass: boolean }[] = [];
  for (const o of opsTools) {
    for (const s of stepNames) {
      const ratio = r2(get(s, o).wallS / get(s, 'restic').wallS);
      verdicts.push({ what: `${o} ${s} time`, ratio, pass: ratio <= 1 });
    }
    const sr = r2(sizes[o]! / sizes.restic!);
    verdicts.push({ what: `${o} repository size`, ratio: sr, pass: sr <= SIZE_TARGET });
  }
  const json = {
    bench: 'backup-vs-restic',
    command,
    date: new Date().toISOString(),
    node: process.version,
    restic: resticVersion,
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memoryGb: r2(os.totalmem() / 2 ** 30), platform: `${os.platform()} ${os.release()}` },
    loadAverage: { start: loadStart, end: loadEnd },
    dataset: { bytes: ds.bytes, files: ds.files.length, changedBytes: change.bytesChanged, change: change.what },
    runs: RUNS,
    steps: results,
    samples,
    resticRestoreVerify: resticVerified,
    repositoryBytes: sizes,
    restoredExact: restoredOk,
    verdicts,
    pass: verdicts.every((v) => v.pass) && Object.values(restoredOk).every(Boolean),
  };

  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  const lines: string[] = [];
  lines.push('# Backup repository: Opsdeck vs restic');
  lines.push('');
  lines.push(`One generated data set of ${mib(ds.bytes)} MiB (${ds.files.length} files: random files, text logs, a SQLite-like file of random pages), backed up by both tools in the same run; each step a separate process timed by GNU time, \`sync\` before each, tool order rotating per step; ${RUNS} run(s), each from a fresh copy of the data and fresh repositories, medians shown. restic always encrypts; Opsdeck runs plain and encrypted (AES-256-GCM).`);
  lines.push('');
  lines.push(`- command: \`${command}\``);
  lines.push(`- date: ${json.date}`);
  lines.push(`- ${resticVersion}; node ${process.version}`);
  lines.push(`- machine: ${json.machine.cores} cores, ${json.machine.cpu}, ${json.machine.memoryGb} GiB; load average at start ${loadStart.join(' / ')}, at end ${loadEnd.join(' / ')} (the machine is shared: wall times move with the load)`);
  lines.push('');
  lines.push(`| step | ${tools.map((t) => t.name).join(' | ')} |`);
  lines.push(`| --- | ${tools.map(() => '---:').join(' | ')} |`);
  for (const s of stepNames) {
    lines.push(
      `| ${s} (wall s) | ${tools
        .map((t) => {
          const r = get(s, t.name);
          return t.name === 'restic' ? r.wallS.toFixed(2) : `${r.wallS.toFixed(2)} (${r2(r.wallS / get(s, 'restic').wallS)}×)`;
        })
        .join(' | ')} |`,
    );
    lines.push(`| ${s} (cpu s) | ${tools.map((t) => get(s, t.name).cpuS.toFixed(2)).join(' | ')} |`);
  }
  lines.push(
    `| restore, against restic --verify (wall s) | ${tools
      .map((t) => (t.name === 'restic' ? `${resticVerified.wallS.toFixed(2)} (--verify)` : `${get('restore', t.name).wallS.toFixed(2)} (${r2(get('restore', t.name).wallS / resticVerified.wallS)}×)`))
      .join(' | ')} |`,
  );
  lines.push(`| incremental: bytes added | ${tools.map((t) => `${mib(get('incremental', t.name).addedBytes ?? NaN)} MiB`).join(' | ')} |`);
  lines.push(`| repository size | ${tools.map((t) => `${mib(sizes[t.name]!)} MiB${t.name === 'restic' ? '' : ` (${r2(sizes[t.name]! / sizes.restic!)}×)`}`).join(' | ')} |`);
  lines.push(`| restore exact | ${tools.map((t) => (restoredOk[t.name] ? 'yes' : '**NO**')).join(' | ')} |`);
  lines.push('');
  lines.push(`Opsdeck re-reads and hashes every restored file (always); restic does so only with \`restore --verify\` (${resticVerified.wallS.toFixed(2)} s, cpu ${resticVerified.cpuS.toFixed(2)} s): the targets below compare with restic's default restore, the stricter test.`);
  lines.push('');
  lines.push(`1 % change: ${change.what.join('; ')}.`);
  lines.push('');
  lines.push('| target | ratio | result |');
  lines.push('| --- | ---: | --- |');
  for (const v of verdicts) lines.push(`| ${v.what} ${v.what.endsWith('size') ? `≤ ${SIZE_TARGET}× restic` : '≤ restic'} | ${v.ratio} | ${v.pass ? 'PASS' : 'FAIL'} |`);
  lines.push('');
  lines.push(`**${json.pass ? 'PASS' : 'FAIL'}**`);
  lines.push('');
  const md = lines.join('\n') + '\n';
  console.log('\n' + md);
  if (!args['no-save']) {
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, 'backup-vs-restic.json'), JSON.stringify(json, null, 2) + '\n');
    writeFileSync(join(RESULTS, 'backup-vs-restic.md'), md);
    console.log(`results: bench/results/backup-vs-restic.{json,md}`);
  }
}

main()
  .catch((e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exitCode = 1;
  })
  .finally(cleanup);
