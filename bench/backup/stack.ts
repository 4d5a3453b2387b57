/**
 * A whole stack's backup through the real CLI, against restic and borg, on ~1 GiB of data
 * written by the bench: random blobs (~410 MiB, 4 KiB to 8 MiB, in 24 folders), text logs
 * (~464 MiB, 4 files) and a real SQLite database (~150 MiB, written with the sqlite3 CLI), in
 * rollback-journal and in WAL mode (in WAL mode a sqlite3 process keeps the database open, as a
 * service would). The stack's service declares `backup.files` on the blobs and logs and
 * `backup.sqlite` on the database; restic and borg back up the folder `data` as files.
 *
 * Steps per tool, each a separate process (bench/lib/backup-tools.ts: GNU time, `sync` first),
 * each run from a fresh copy of the data and a fresh repository per tool (created untimed), each
 * step run for every tool back to back before the next step (tool order rotating per run):
 * initial backup; unchanged re-run; incremental after a ~0.7 % change (log lines appended to two
 * logs, two blobs rewritten, one new file, ~1 % of the rows updated); verify with a full data
 * read; full restore of the newest snapshot into an empty folder, then checked against the
 * source (files byte for byte, the database by its rows). Medians of --runs. Reported: wall
 * times, peak RSS, bytes the incremental stored, repository size, ratios Opsdeck / the better of
 * restic and borg (of the medians, and within each run), and the targets of issue 12: every time
 * ≤ the better of restic and borg; the incremental stores ≤ 3× the bytes that changed; an
 * unchanged re-run ≤ 0.5 s; peak RSS ≤ 150 MiB.
 *
 *   npm run build && npx tsx bench/backup/stack.ts [--runs 3] [--scale 1] [--modes rollback,wal]
 *                                                  [--base /path/to/built/checkout] [--no-save]
 *
 * Tools: sqlite3 (required), restic and borg (`apt-get install -y sqlite3 restic borgbackup`).
 * Only a run with the default --runs, --scale and --modes writes bench/results/backup-stack.*.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandPath, intArg, machine, REPO, RESULTS } from '../lib/common';
import { duBytes, failureNote, holdOpen, median, opsdeckTool, otherTools, release, timed, type BackupTool } from '../lib/backup-tools';

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
if (argv.includes('--help')) {
  console.log('usage: npx tsx bench/backup/stack.ts [--runs 3] [--scale 1] [--modes rollback,wal] [--base DIR] [--no-save]');
  process.exit(0);
}
const RUNS = intArg(flag('runs') ?? '3', '--runs');
const SCALE = Number(flag('scale') ?? 1);
if (!(SCALE > 0 && SCALE <= 4)) throw new Error(`--scale ${flag('scale')}: give a number above 0 and at most 4 (1 = ~1 GiB)`);
type Mode = 'rollback' | 'wal';
const MODES = (flag('modes') ?? 'rollback,wal').split(',') as Mode[];
for (const m of MODES) if (m !== 'rollback' && m !== 'wal') throw new Error(`--modes: unknown mode "${m}" (rollback, wal)`);
const BASE = flag('base');
const SAVE = !argv.includes('--no-save') && RUNS === 3 && SCALE === 1 && MODES.join(',') === 'rollback,wal';
const WORK = join(tmpdir(), `opsdeck-bench-stack-${process.pid}`);
const MiB = 2 ** 20;

const sqlite3 = commandPath('sqlite3');
if (!sqlite3) {
  console.error('error: the bench writes its database with the sqlite3 CLI, which is not installed\nhint: `sudo apt-get install -y sqlite3 restic borgbackup`');
  process.exit(2);
}
if (!existsSync(join(REPO, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
if (BASE && !existsSync(join(BASE, 'dist/cli.js'))) throw new Error(`${BASE}/dist/cli.js is missing: build the base checkout first`);
const tools: BackupTool[] = [opsdeckTool('opsdeck', REPO), ...(BASE ? [opsdeckTool('opsdeck base', BASE)] : []), ...otherTools(WORK)];

const ROWS = Math.round(950_000 * SCALE);
const sql = (db: string, script: string) => execFileSync(sqlite3, [db], { input: script, encoding: 'utf8' });

// ------------------------------------------------------------------ the data set

/** Blob sizes: 4 KiB to 8 MiB, ~410 MiB at scale 1, the same list every run. */
function blobSizes(): number[] {
  const sizes: number[] = [];
  let total = 0;
  for (let i = 0; total < 410 * MiB * SCALE; i++) {
    const size = [4096, 48_000, 300_000, 1_500_000, 8 * MiB][i % 5]! + ((i * 7919) % 4096);
    sizes.push(size);
    total += size;
  }
  return sizes;
}

const blobPath = (i: number) => `files/d${i % 8}/sub${Math.floor(i / 8) % 3}/blob-${String(i).padStart(4, '0')}.bin`;

/** Log lines with varying numbers and ids: compressible like real logs, not one repeated line. */
function writeLog(path: string, bytes: number, seed: number): void {
  const out: string[] = [];
  let size = 0;
  let n = seed;
  const paths = ['/api/items', '/api/users/:id', '/health', '/api/orders', '/static/app.js'];
  while (size < bytes) {
    n = (n * 1103515245 + 12345) >>> 0;
    const line = `2026-12-06T05:${String((n >>> 8) % 60).padStart(2, '0')}:${String((n >>> 14) % 60).padStart(2, '0')}.${n % 1000}Z ${n % 17 ? 'INFO' : 'WARN'} request id=${n.toString(16)} path=${paths[n % 5]} status=${n % 23 ? 200 : 500} ms=${n % 377}\n`;
    out.push(line);
    size += line.length;
    if (out.length >= 20_000) {
      appendFileSync(path, out.join(''));
      out.length = 0;
    }
  }
  appendFileSync(path, out.join(''));
}

/** The template stack's `data` for one mode: blobs, logs, the database. */
function template(mode: Mode): string {
  const data = join(WORK, `template-${mode}`, 'data');
  const shared = join(WORK, 'template-files');
  if (!existsSync(shared)) {
    blobSizes().forEach((size, i) => {
      const p = join(shared, blobPath(i));
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, randomBytes(size));
    });
    mkdirSync(join(shared, 'logs'), { recursive: true });
    for (let i = 0; i < 4; i++) writeLog(join(shared, `logs/service-${i}.log`), (464 / 4) * MiB * SCALE, i + 1);
  }
  mkdirSync(data, { recursive: true });
  cpSync(join(shared, 'files'), join(data, 'files'), { recursive: true });
  cpSync(join(shared, 'logs'), join(data, 'logs'), { recursive: true });
  sql(join(data, 'app.db'), `PRAGMA page_size=4096; PRAGMA journal_mode=${mode === 'wal' ? 'WAL' : 'DELETE'};
CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, body TEXT NOT NULL, n INTEGER NOT NULL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < ${ROWS}) INSERT INTO items SELECT x, 'item-' || x, hex(randomblob(60)), 0 FROM c;
CREATE INDEX items_name ON items(name);`);
  return join(data, '..');
}

/** The ~0.7 % change; returns the bytes it changed (files written, pages differing in rollback mode). */
function change(data: string, run: number, mode: Mode): number {
  let bytes = 0;
  for (const i of [0, 1]) {
    const before = statSync(join(data, `logs/service-${i}.log`)).size;
    writeLog(join(data, `logs/service-${i}.log`), 2 * MiB * SCALE, 100 + run * 10 + i);
    bytes += statSync(join(data, `logs/service-${i}.log`)).size - before;
  }
  const blobs = blobSizes().length;
  for (const i of [(47 + run) % blobs, (41 + run) % blobs]) {
    const p = join(data, blobPath(i));
    const size = statSync(p).size;
    writeFileSync(p, randomBytes(size));
    bytes += size;
  }
  writeFileSync(join(data, `files/new-upload-${run}.bin`), randomBytes(1_610_608));
  bytes += 1_610_608;
  const db = join(data, 'app.db');
  const old = mode === 'rollback' ? readFileSync(db) : undefined;
  const k = Math.round(ROWS / 100);
  sql(db, `.timeout 5000\nWITH RECURSIVE k(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM k WHERE x < ${k}) UPDATE items SET body = hex(randomblob(60)), n = n + 1 WHERE id IN (SELECT (x * 7919 + ${run * 104729}) % ${ROWS} + 1 FROM k);`);
  if (old) {
    const now = readFileSync(db);
    bytes += Math.abs(now.length - old.length);
    for (let o = 0; o < Math.min(now.length, old.length); o += 4096) if (!now.subarray(o, o + 4096).equals(old.subarray(o, o + 4096))) bytes += 4096;
  } else {
    bytes += statSync(`${db}-wal`).size; // the frames the update added (an upper bound of its pages)
  }
  return bytes;
}

function fileDigest(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The restored copy equals the source: every blob and log byte for byte, the database's rows. */
function restoredExact(source: string, restored: string): boolean {
  for (const dir of ['files', 'logs']) {
    for (const e of readdirSync(join(source, dir), { withFileTypes: true, recursive: true })) {
      if (!e.isFile()) continue;
      const rel = join(e.parentPath.slice(source.length + 1), e.name);
      if (!existsSync(join(restored, rel)) || fileDigest(join(source, rel)) !== fileDigest(join(restored, rel))) return false;
    }
  }
  const digest = (db: string) => sql(db, '.timeout 5000\nSELECT count(*), sum(n), sum(length(body)) FROM items;').trim();
  return existsSync(join(restored, 'app.db')) && digest(join(source, 'app.db')) === digest(join(restored, 'app.db'));
}

// ------------------------------------------------------------------ runs

type Step = 'initial' | 'unchanged' | 'incremental' | 'verify' | 'restore';
const STEPS: Step[] = ['initial', 'unchanged', 'incremental', 'verify', 'restore'];
interface Row {
  tool: string;
  mode: Mode;
  run: number;
  step: Step;
  wallS: number;
  maxRssMb: number;
  addedBytes: number;
  repoBytes: number;
  note?: string;
}
const rows: Row[] = [];
const changed: Record<Mode, number[]> = { rollback: [], wal: [] };
const exact: { tool: string; mode: Mode; ok: boolean }[] = [];

/** One tool's stack, repository and restore folder for a run. */
interface Setup {
  tool: BackupTool;
  stack: string;
  target: string;
  repo: string;
  holder: ReturnType<typeof holdOpen>;
  failed: boolean;
}

/**
 * One run: every tool gets its own copy of the stack and its own repository, then each step runs
 * for every tool back to back (order rotating per run) before the next step: the times compared
 * are taken seconds apart, not a whole tool's sequence apart, so a drift in the machine's speed
 * weighs on every tool alike (as `farm-bench --vs` pairs its commands).
 */
function runOnce(mode: Mode, tpl: string, run: number): void {
  const order = tools.map((_, i) => tools[(i + run) % tools.length]!);
  const setups: Setup[] = [];
  try {
    for (const tool of order) {
      const tag = `${mode}-${run}-${tool.name.replace(/\W/g, '')}`;
      const stack = join(WORK, `stack-${tag}`);
      cpSync(tpl, stack, { recursive: true });
      writeFileSync(join(stack, 'opsdeck.yaml'), `version: 1\nname: bench\nservices:\n  app:\n    command: [node, -e, "setInterval(() => {}, 1000)"]\n    backup:\n      files: [data/files/, data/logs/]\n      sqlite: [data/app.db]\n`);
      const repo = tool.opsdeck ? join(stack, '.opsdeck/backups') : join(WORK, `repo-${tag}`);
      tool.init(repo);
      setups.push({ tool, stack, target: join(WORK, `restored-${tag}`), repo, holder: holdOpen(sqlite3!, join(stack, 'data/app.db'), mode === 'wal'), failed: false });
    }
    for (const step of STEPS) {
      for (const s of setups) {
        if (s.failed) continue;
        const { tool, stack, target, repo } = s;
        if (step === 'incremental') {
          const bytes = change(join(stack, 'data'), run, mode);
          if (s === setups[0]) changed[mode].push(bytes);
        }
        if (step === 'restore') mkdirSync(target, { recursive: true });
        const argv = step === 'verify' ? tool.verify(repo) : step === 'restore' ? tool.restore(repo, target) : tool.backup(repo);
        const before = duBytes(repo);
        const t = timed(argv, stack, tool.env, join(WORK, 'time.out'));
        const note = failureNote(t);
        const repoBytes = duBytes(repo);
        rows.push({ tool: tool.name, mode, run, step, wallS: t.wallS, maxRssMb: t.maxRssMb, addedBytes: repoBytes - before, repoBytes, ...(note ? { note } : {}) });
        console.error(`${mode} run ${run + 1} ${tool.name} ${step}: ${note ? `FAILED ${note}` : `${t.wallS.toFixed(2)} s, ${t.maxRssMb} MiB`}`);
        if (note) s.failed = true;
        else if (step === 'restore') {
          exact.push({ tool: tool.name, mode, ok: restoredExact(join(stack, 'data'), tool.restoredData(target)) });
          rmSync(target, { recursive: true, force: true }); // its GiB freed before the next tool's step
        }
      }
    }
  } finally {
    for (const s of setups) {
      release(s.holder);
      for (const dir of [s.stack, s.target, s.repo]) rmSync(dir, { recursive: true, force: true });
    }
  }
}

// ------------------------------------------------------------------ report

/**
 * The step's ratio Opsdeck / the better other tool within each run (the tools ran it back to
 * back), lowest to highest: how far the machine's noise moves the verdict.
 */
function perRunRatios(mode: Mode, step: Step): string {
  const ratios: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const of = (name: string) => rows.find((r) => r.tool === name && r.mode === mode && r.run === run && r.step === step && !r.note)?.wallS;
    const me = of(tools[0]!.name);
    const best = Math.min(...tools.filter((t) => !t.opsdeck).map((t) => of(t.name) ?? NaN).filter((x) => !Number.isNaN(x)));
    if (me !== undefined && Number.isFinite(best) && best > 0) ratios.push(me / best);
  }
  ratios.sort((a, b) => a - b);
  return ratios.length ? ratios.map((r) => r.toFixed(2)).join(', ') : '–';
}

function report(): string[] {
  const out: string[] = [];
  const cellsOf = (mode: Mode, pick: (rs: Row[]) => number) =>
    tools.map((t) => {
      const rs = rows.filter((r) => r.tool === t.name && r.mode === mode);
      return rs.some((r) => r.note) ? NaN : pick(rs);
    });
  const at = (rs: Row[], step: Step) => rs.filter((r) => r.step === step);
  const others = tools.map((t, i) => (t.opsdeck ? -1 : i)).filter((i) => i >= 0);
  const targets: string[] = [];
  for (const mode of MODES) {
    out.push(`### ${mode === 'wal' ? 'WAL mode' : 'rollback-journal mode'}`, '', `| step | ${tools.map((t) => t.name).join(' | ')} | opsdeck / best other | per run |`, `| --- |${tools.map(() => ' ---: |').join('')} ---: | ---: |`);
    const line = (label: string, values: number[], fmt: (x: number) => string, target?: (me: number, best: number) => string, perRun = '') => {
      const best = Math.min(...others.map((i) => values[i]!).filter((x) => !Number.isNaN(x)));
      const me = values[0]!;
      out.push(`| ${label} | ${values.map((v) => (Number.isNaN(v) ? 'failed' : fmt(v))).join(' | ')} | ${Number.isFinite(best) && Number(fmt(best)) > 0 ? (me / best).toFixed(2) : '–'} | ${perRun} |`);
      if (target && Number.isFinite(best)) targets.push(`${mode}: ${target(me, best)}`);
    };
    for (const step of STEPS) {
      line(`${step}, s`, cellsOf(mode, (rs) => median(at(rs, step).map((r) => r.wallS))), (x) => x.toFixed(2), (me, best) => `${me <= best ? 'PASS' : 'FAIL'} ${step} ${me.toFixed(2)} s ≤ the better of restic/borg ${best.toFixed(2)} s`, perRunRatios(mode, step));
    }
    line('peak RSS, MiB (any step)', cellsOf(mode, (rs) => median([...new Set(rs.map((r) => r.run))].map((run) => Math.max(...rs.filter((r) => r.run === run).map((r) => r.maxRssMb))))), (x) => x.toFixed(0), (me) => `${me <= 150 ? 'PASS' : 'FAIL'} peak RSS ${me.toFixed(0)} MiB ≤ 150 MiB`);
    line('incremental stored, MiB', cellsOf(mode, (rs) => median(at(rs, 'incremental').map((r) => r.addedBytes)) / MiB), (x) => x.toFixed(1));
    line('unchanged re-run stored, MiB', cellsOf(mode, (rs) => median(at(rs, 'unchanged').map((r) => r.addedBytes)) / MiB), (x) => x.toFixed(1));
    line('repository, MiB', cellsOf(mode, (rs) => median(at(rs, 'incremental').map((r) => r.repoBytes)) / MiB), (x) => x.toFixed(0));
    out.push(`| restore exact | ${tools.map((t) => { const e = exact.filter((x) => x.tool === t.name && x.mode === mode); return e.length ? (e.every((x) => x.ok) ? 'yes' : 'NO') : '–'; }).join(' | ')} | | |`, '');
    const mine = rows.filter((r) => r.tool === 'opsdeck' && r.mode === mode && !r.note);
    const inc = median(at(mine, 'incremental').map((r) => r.addedBytes));
    const ch = median(changed[mode]);
    targets.push(`${mode}: ${inc <= 3 * ch ? 'PASS' : 'FAIL'} the incremental stored ${(inc / MiB).toFixed(1)} MiB for ${(ch / MiB).toFixed(1)} MiB changed (${(inc / ch).toFixed(1)}×, target ≤ 3×)`);
    const un = median(at(mine, 'unchanged').map((r) => r.wallS));
    targets.push(`${mode}: ${un <= 0.5 ? 'PASS' : 'FAIL'} unchanged re-run ${un.toFixed(2)} s ≤ 0.5 s`);
  }
  out.push('Targets (issue 12):', '', ...targets.map((t) => `- ${t}`));
  return out;
}

mkdirSync(WORK, { recursive: true });
try {
  for (const mode of MODES) {
    const tpl = template(mode);
    console.error(`${mode}: data set of ${(duBytes(tpl) / MiB).toFixed(0)} MiB (database ${(statSync(join(tpl, 'data/app.db')).size / MiB).toFixed(0)} MiB, ${ROWS} rows)`);
    for (let run = 0; run < RUNS; run++) runOnce(mode, tpl, run);
  }
  const m = machine();
  const head = [
    `# A stack's backup through the CLI: Opsdeck vs restic and borg`,
    '',
    `- command: \`npx tsx bench/backup/stack.ts --runs ${RUNS} --scale ${SCALE} --modes ${MODES.join(',')}${BASE ? ' --base <base checkout>' : ''}\``,
    `- date: ${new Date().toISOString()}; node ${process.version}; ${m.cores} cores (${m.cpu}); load average at end ${loadavg().map((x) => x.toFixed(2)).join(' / ')}`,
    `- medians of ${RUNS} run(s); restic encrypts, borg \`-e none\` (lz4), Opsdeck unencrypted; restic/borg back up the files as they are`,
    '',
  ];
  const body = report();
  console.log([...head, ...body].join('\n'));
  if (SAVE) {
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, 'backup-stack.md'), [...head, ...body].join('\n') + '\n');
    writeFileSync(join(RESULTS, 'backup-stack.json'), JSON.stringify({ runs: RUNS, scale: SCALE, modes: MODES, machine: m, changedBytes: changed, exact, rows }, null, 2) + '\n');
  }
} finally {
  rmSync(WORK, { recursive: true, force: true });
}
