/**
 * SQLite backups through the real CLI: a stack whose service declares `backup.sqlite` on a ~130 MiB
 * database written by the bench (sqlite3 CLI), in rollback-journal and in WAL mode; `opsdeck
 * backup` of this checkout (dist/cli.js, run `npm run build` first) against another build given
 * with --base <dir> (e.g. a worktree of main, built), and restic / borg backing up the database
 * file(s) as they are. Steps, each a separate process timed by GNU time, `sync` before each, tool
 * order rotating per run: initial backup, unchanged re-run, incremental after updating 1000 rows
 * spread over the table; repository bytes added by each. Medians of --runs (default 3). Targets
 * (issue 12): every time ≤ the better of restic and borg, an unchanged re-run ≤ 0.5 s, the bytes
 * an incremental stores ≤ 3× the bytes of the pages that changed (rollback mode: pages compared).
 *
 *   npx tsx bench/backup/sqlite.ts [--base /path/to/built/checkout] [--runs 3] [--rows 800000]
 *
 * Tools: sqlite3, restic, borg from Debian (`apt-get install -y sqlite3 restic borgbackup`); a
 * missing restic or borg is left out (said in the output), sqlite3 is required. WAL mode: a
 * sqlite3 process keeps the database open meanwhile (as a service would), so the update leaves
 * its frames in the log instead of being checkpointed at close. restic and borg copy the files
 * as they are (no consistency with a writer, which the bench does not run); restic encrypts,
 * borg runs with `-e none`, Opsdeck unencrypted (its default). Prints a table with ratios.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { commandPath } from '../lib/common';
import { duBytes, failureNote, holdOpen, median, opsdeckTool, otherTools, release, timed, type BackupTool } from '../lib/backup-tools';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`SQLite backups through the CLI: opsdeck (this checkout's dist/cli.js) against --base, restic and borg.

  npx tsx bench/backup/sqlite.ts [--base DIR] [--runs N] [--rows N]

  --base DIR   another built checkout (its dist/cli.js) measured side by side
  --runs N     runs per tool and mode, medians reported (default 3)
  --rows N     rows in the bench's table (default 800000: a 127 MiB database)

Run \`npm run build\` first. Needs sqlite3; restic and borg are left out when missing.
Writes bench/results/backup-sqlite.{json,md}.`);
  process.exit(0);
}
const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(arg('runs') ?? 3);
const ROWS = Number(arg('rows') ?? 800_000);
const BASE = arg('base');
const HERE = resolve(import.meta.dirname, '../..');
const WORK = join(tmpdir(), `opsdeck-bench-sqlite-${process.pid}`);

const sqlite3 = commandPath('sqlite3');
if (!sqlite3) {
  console.error('error: the bench writes its database with the sqlite3 CLI, which is not installed');
  console.error('hint: `sudo apt-get install -y sqlite3 restic borgbackup`, then run the bench again');
  process.exit(2);
}
if (!existsSync(join(HERE, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
if (BASE && !existsSync(join(BASE, 'dist/cli.js'))) throw new Error(`${BASE}/dist/cli.js is missing: build the base checkout first`);

type Mode = 'rollback' | 'wal';
const tools: BackupTool[] = [opsdeckTool('opsdeck', HERE), ...(BASE ? [opsdeckTool('opsdeck base', BASE)] : []), ...otherTools(WORK)];

const sql = (db: string, script: string) => execFileSync(sqlite3!, [db], { input: script, encoding: 'utf8' });

/** The database both modes start from: ROWS rows (~170 bytes each) and an index, 4 KiB pages. */
function template(mode: Mode): string {
  const db = join(WORK, `template-${mode}.db`);
  sql(db, `PRAGMA page_size=4096; PRAGMA journal_mode=${mode === 'wal' ? 'WAL' : 'DELETE'};
CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, body TEXT NOT NULL, n INTEGER NOT NULL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < ${ROWS}) INSERT INTO items SELECT x, 'item-' || x, hex(randomblob(60)), 0 FROM c;
CREATE INDEX items_name ON items(name);`);
  return db;
}

/** 1000 rows spread over the table (a different set each run). */
const update = (db: string, run: number) =>
  sql(db, `.timeout 5000\nWITH RECURSIVE k(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM k WHERE x < 1000) UPDATE items SET body = hex(randomblob(60)), n = n + 1 WHERE id IN (SELECT (x * 7919 + ${run * 104729}) % ${ROWS} + 1 FROM k);`);

interface Row {
  tool: string;
  mode: Mode;
  step: 'initial' | 'unchanged' | 'after 1000 rows';
  wallS: number;
  maxRssMb: number;
  addedBytes: number;
  note?: string;
}
const rows: Row[] = [];
/** Bytes of the 4 KiB pages the update changed (rollback mode, where they are in the main file). */
const changedBytes: number[] = [];

function changedPages(a: Buffer, b: Buffer): number {
  let n = Math.abs(a.length - b.length);
  for (let o = 0; o < Math.min(a.length, b.length); o += 4096) if (!a.subarray(o, o + 4096).equals(b.subarray(o, o + 4096))) n += 4096;
  return n;
}

function runOnce(mode: Mode, tpl: string, run: number): void {
  const order = tools.map((_, i) => tools[(i + run) % tools.length]!);
  for (const tool of order) {
    const stack = join(WORK, `stack-${mode}-${run}-${tool.name.replace(/\W/g, '')}`);
    mkdirSync(join(stack, 'data'), { recursive: true });
    writeFileSync(join(stack, 'opsdeck.yaml'), `version: 1\nname: bench\nservices:\n  app:\n    command: [node, -e, "setInterval(() => {}, 1000)"]\n    backup:\n      sqlite: [data/app.db]\n`);
    cpSync(tpl, join(stack, 'data/app.db'));
    const repo = tool.opsdeck ? join(stack, '.opsdeck/backups') : join(WORK, `repo-${mode}-${run}-${tool.name}`);
    tool.init(repo);
    const holder = holdOpen(sqlite3!, join(stack, 'data/app.db'), mode === 'wal');
    try {
      for (const step of ['initial', 'unchanged', 'after 1000 rows'] as const) {
        if (step === 'after 1000 rows') {
          const db = join(stack, 'data/app.db');
          const old = mode === 'rollback' && tool === order[0] ? readFileSync(db) : undefined;
          update(db, run);
          if (old) changedBytes.push(changedPages(old, readFileSync(db)));
        }
        const before = duBytes(repo);
        const t = timed(tool.backup(repo), stack, tool.env, join(WORK, 'time.out'));
        const note = failureNote(t);
        rows.push({ tool: tool.name, mode, step, wallS: t.wallS, maxRssMb: t.maxRssMb, addedBytes: duBytes(repo) - before, ...(note ? { note } : {}) });
        if (!t.ok) break;
      }
    } finally {
      release(holder);
      rmSync(stack, { recursive: true, force: true });
      rmSync(repo, { recursive: true, force: true });
    }
  }
}

mkdirSync(WORK, { recursive: true });
try {
  for (const mode of ['rollback', 'wal'] as const) {
    const tpl = template(mode);
    console.error(`${mode}: database of ${(statSync(tpl).size / 2 ** 20).toFixed(0)} MiB, ${ROWS} rows`);
    for (let run = 0; run < RUNS; run++) runOnce(mode, tpl, run);
  }
  const lines = [`| mode | step | ${tools.map((t) => t.name).join(' | ')} | opsdeck / best other |`, `| --- | --- |${tools.map(() => ' ---: |').join('')} ---: |`];
  for (const mode of ['rollback', 'wal'] as const) {
    for (const step of ['initial', 'unchanged', 'after 1000 rows'] as const) {
      const cell = (tool: string) => {
        const rs = rows.filter((r) => r.tool === tool && r.mode === mode && r.step === step);
        if (!rs.length) return { text: '–', s: NaN };
        if (rs.some((r) => r.note)) return { text: `fails: ${rs.find((r) => r.note)!.note}`, s: NaN };
        const s = median(rs.map((r) => r.wallS));
        return { text: `${s.toFixed(2)} s, +${(median(rs.map((r) => r.addedBytes)) / 2 ** 20).toFixed(1)} MiB, ${median(rs.map((r) => r.maxRssMb))} MiB RSS`, s };
      };
      const cells = tools.map((t) => cell(t.name));
      const others = tools.filter((t) => !t.opsdeck).map((t) => cell(t.name).s).filter((s) => !Number.isNaN(s));
      const ratio = others.length ? (cells[0]!.s / Math.min(...others)).toFixed(2) : '–';
      lines.push(`| ${mode} | ${step} | ${cells.map((c) => c.text).join(' | ')} | ${ratio} |`);
    }
  }
  console.log(`SQLite backups through the CLI, medians of ${RUNS} run(s); each cell: wall time, repository bytes added, peak RSS.\n`);
  console.log(lines.join('\n'));
  const mine = (mode: Mode, step: Row['step']) => rows.filter((r) => r.tool === 'opsdeck' && r.mode === mode && r.step === step && !r.note);
  const changed = median(changedBytes);
  const verdicts: string[] = [];
  for (const mode of ['rollback', 'wal'] as const) {
    const unchanged = median(mine(mode, 'unchanged').map((r) => r.wallS));
    const added = median(mine(mode, 'after 1000 rows').map((r) => r.addedBytes));
    verdicts.push(`${unchanged <= 0.5 ? 'PASS' : 'FAIL'} ${mode}: unchanged re-run ${unchanged.toFixed(2)} s (target ≤ 0.5 s)`);
    verdicts.push(`${added <= 3 * changed ? 'PASS' : 'FAIL'} ${mode}: incremental stored ${(added / 2 ** 20).toFixed(1)} MiB for ${(changed / 2 ** 20).toFixed(1)} MiB of changed pages (target ≤ 3×: ${(added / changed).toFixed(1)}×)`);
    for (const step of ['initial', 'unchanged', 'after 1000 rows'] as const) {
      const others = tools.filter((t) => !t.opsdeck).map((t) => median(rows.filter((r) => r.tool === t.name && r.mode === mode && r.step === step && !r.note).map((r) => r.wallS)));
      const best = Math.min(...others.filter((x) => !Number.isNaN(x)));
      const me = median(mine(mode, step).map((r) => r.wallS));
      if (Number.isFinite(best)) verdicts.push(`${me <= best ? 'PASS' : 'FAIL'} ${mode}: ${step} ${me.toFixed(2)} s vs the better of restic/borg ${best.toFixed(2)} s`);
    }
  }
  console.log('\n' + verdicts.join('\n'));
  lines.push('', ...verdicts.map((v) => `- ${v}`), '', `\`npx tsx bench/backup/sqlite.ts${BASE ? ' --base <base checkout>' : ''} --runs ${RUNS} --rows ${ROWS}\``);
  mkdirSync(join(HERE, 'bench/results'), { recursive: true });
  writeFileSync(join(HERE, 'bench/results/backup-sqlite.json'), JSON.stringify({ runs: RUNS, rowsInTable: ROWS, tools: tools.map((t) => t.name), changedPageBytes: changedBytes, rows }, null, 2) + '\n');
  writeFileSync(join(HERE, 'bench/results/backup-sqlite.md'), lines.join('\n') + '\n');
} finally {
  rmSync(WORK, { recursive: true, force: true });
}
