/**
 * Bench: the long-term metrics store. Fills `.opsdeck/metrics.db` of a 20-service stack with 90
 * simulated days (per service: CPU, RSS, probe latencies every 5 s — each minute's exact
 * percentiles and its latency histogram —, state time, restarts, checks; the stack's IPC score;
 * daily backups, verifications, RPO checks, state changes, failed checks as marks) through the
 * store's own path (RollupDb.add, then retain() once a simulated hour, as the store worker does),
 * and reports the file's size against the target (< 50 MB). Then times
 * `opsdeck report --period week` through the built CLI on that stack (no engine running: the
 * command opens the store in-process), target < 1 s.
 *
 * Days older than the minute retention (48 h) would only leave their hours behind, so for them
 * each hour is added as one minute row holding the merged hour (same columns, the same merged
 * histogram: the hour row it leaves is the one 60 minutes would have made); the last 48 h are
 * added minute by minute. The data is seeded, so runs see the same rows.
 *
 *   npm run build && npx tsx bench/metrics-store.ts [--services 20] [--days 90] [--runs 7] [--no-save]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RollupDb } from '../src/core/metrics/store/rollup-db';
import { addTo, histogramPercentile } from '../src/core/metrics/store/latency-histogram';
import { emptyServiceRow, emptyStackRow, ipcBin, mergeServiceRows, type ServiceRow } from '../src/core/metrics/store/rows';
import { DEFAULT_ROLLUP_RETENTION, type MetricsMark } from '../src/core/contract/metrics-store';
import { percentiles } from '../src/core/metrics/percentile';
import { CLI, GNU_TIME, gitRevision, intArg, machine, NODE, r2, RESULTS, stats } from './lib/common';

const TARGET_MB = 50;
const TARGET_REPORT_MS = 1000;
const MIN = 60_000;
const HOUR = 3_600_000;

const { values: args } = parseArgs({
  options: {
    services: { type: 'string', default: '20' },
    days: { type: 'string', default: '90' },
    runs: { type: 'string', default: '7' },
    'no-save': { type: 'boolean', default: false },
  },
});
const SERVICES = intArg(args.services, '--services');
const DAYS = intArg(args.days, '--days');
const RUNS = intArg(args.runs, '--runs');
const command = ['npx tsx bench/metrics-store.ts', ...process.argv.slice(2)].join(' ');

let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

/** One service's minute: 12 samples, 12 probes (5 s apart), now and then a failure or a restart. */
function minute(at: number, service: string, base: number): ServiceRow {
  const r = emptyServiceRow(at, service);
  const lat: number[] = [];
  for (let i = 0; i < 12; i++) {
    const cpu = r2(rnd() * 20);
    const rss = r2(base + rnd() * 30);
    r.samples++;
    r.cpuSum += cpu;
    r.cpuN++;
    r.cpuMax = Math.max(r.cpuMax ?? 0, cpu);
    r.rssSum += rss;
    r.rssN++;
    r.rssMax = Math.max(r.rssMax ?? 0, rss);
    r.probes++;
    if (rnd() < 0.002) r.probeFailures++;
    else {
      const ms = r2(2 + rnd() * rnd() * 80);
      lat.push(ms);
      addTo(r.hist, ms);
    }
  }
  const [p50, p95] = percentiles(lat, [50, 95]);
  r.p50 = p50 ?? null;
  r.p95 = p95 ?? null;
  r.latMax = lat.length ? Math.max(...lat) : null;
  r.activeSec = r.upSec = r.readySec = 60;
  if (rnd() < 0.0005) r.restarts = 1;
  if (at % (6 * HOUR) === 0) r.checksOk = 1;
  return r;
}

function marksOfDay(day: number, names: string[]): MetricsMark[] {
  const out: MetricsMark[] = [];
  out.push({ at: day + 2 * HOUR, kind: 'backup', service: 'stack', data: { phase: 'completed', trigger: 'schedule', services: names, snapshot: 'abcd1234', durationMs: 40_000, bytesAdded: Math.round(rnd() * 5e7), files: 1200, error: null } });
  out.push({ at: day + 3 * HOUR, kind: 'verify', service: 'stack', data: { ok: true, trigger: 'schedule', readData: true, errors: 0, durationMs: 9000, error: null } });
  for (const s of names) {
    out.push({ at: day + 2 * HOUR + MIN, kind: 'rpo', service: s, data: { ok: true, rpoMs: 86_400_000, ageMs: 60_000, detail: `${s}: newest backup 1m old` } });
    if (rnd() < 0.3) {
      out.push({ at: day + 10 * HOUR, kind: 'restart', service: s, data: { cause: 'crash', detail: 'exit code 1', attempt: 1 } });
      for (const [from, to] of [['ready', 'backoff'], ['backoff', 'starting'], ['starting', 'ready']]) out.push({ at: day + 10 * HOUR + 1000, kind: 'state', service: s, data: { from: from!, to: to!, reason: 'crash: exit code 1' } });
    }
    if (rnd() < 0.2) out.push({ at: day + 14 * HOUR, kind: 'check', service: s, data: { ok: false, durationMs: 120, output: 'GET /health/full: 500 Internal Server Error' } });
  }
  return out;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), 'opsdeck-bench-metrics-'));
  try {
    const names = Array.from({ length: SERVICES }, (_, i) => `svc${String(i + 1).padStart(2, '0')}`);
    writeFileSync(
      join(dir, 'opsdeck.yaml'),
      `version: 1\nname: bench\nservices:\n${names.map((n) => `  ${n}: { command: [node, server.js], rpo: 1d }`).join('\n')}\n`,
    );
    const dbPath = join(dir, '.opsdeck', 'metrics.db');
    const db = RollupDb.open(dbPath);
    const now = Math.floor(Date.now() / HOUR) * HOUR;
    const start = now - DAYS * 86_400_000;
    const bases = names.map(() => 40 + rnd() * 400);
    const t0 = performance.now();
    for (let hour = start; hour < now; hour += HOUR) {
      const recent = hour >= now - DEFAULT_ROLLUP_RETENTION.minute;
      const rows: ServiceRow[] = [];
      names.forEach((s, i) => {
        const minutes = Array.from({ length: 60 }, (_, m) => minute(hour + m * MIN, s, bases[i]!));
        if (recent) rows.push(...minutes);
        else {
          const merged = emptyServiceRow(hour, s);
          for (const m of minutes) mergeServiceRows(merged, m);
          merged.p50 = histogramPercentile(merged.hist, 50) ?? null;
          merged.p95 = histogramPercentile(merged.hist, 95) ?? null;
          rows.push(merged);
        }
      });
      const stack = (recent ? Array.from({ length: 60 }, (_, m) => hour + m * MIN) : [hour]).map((at) => {
        const k = emptyStackRow(at);
        for (let i = 0; i < (recent ? 12 : 720); i++) {
          const score = Math.round(rnd() * rnd() * 100);
          k.samples++;
          k.ipcSum += score;
          k.ipcMax = Math.max(k.ipcMax ?? 0, score);
          k.bins[ipcBin(score)]!++;
        }
        return k;
      });
      db.add(rows, stack, hour % 86_400_000 === 0 ? marksOfDay(hour, names) : []);
      db.retain(hour + HOUR, DEFAULT_ROLLUP_RETENTION);
    }
    const fillS = (performance.now() - t0) / 1000;
    const st = db.stats();
    db.close();
    const sizeMb = statSync(dbPath).size / 2 ** 20;
    console.log(`store after ${DAYS} days of ${SERVICES} services: ${r2(sizeMb)} MB (${st.minuteRows} minute rows, ${st.hourRows} hour rows, ${st.marks} marks), filled in ${r2(fillS)} s`);

    // Wall time, and the CPU time (user + system) of the command, which a loaded machine does not inflate.
    const times: number[] = [];
    const cpu: number[] = [];
    const timeFile = join(dir, 'time.txt');
    for (let i = 0; i < RUNS; i++) {
      const argv = [NODE, CLI, 'report', '--period', 'week', '--format', 'html', '--out', join(dir, 'week.html')];
      const t = performance.now();
      const r = GNU_TIME ? spawnSync(GNU_TIME, ['-f', '%U %S', '-o', timeFile, ...argv], { cwd: dir, encoding: 'utf8' }) : spawnSync(argv[0]!, argv.slice(1), { cwd: dir, encoding: 'utf8' });
      times.push(performance.now() - t);
      if (r.status !== 0) throw new Error(`opsdeck report failed: ${r.stderr}`);
      if (GNU_TIME) cpu.push(readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2).reduce((a, x) => a + Number(x) * 1000, 0));
    }
    const rep = stats(times);
    const repCpu = cpu.length ? stats(cpu) : undefined;
    console.log(`opsdeck report --period week: wall median ${Math.round(rep.median)} ms, p90 ${Math.round(rep.p90)} ms${repCpu ? `; CPU (user + sys) median ${Math.round(repCpu.median)} ms, p90 ${Math.round(repCpu.p90)} ms` : ''} over ${RUNS} runs (target < ${TARGET_REPORT_MS} ms); load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const verdict = `size ${sizeMb < TARGET_MB ? 'within' : 'OVER'} target, report ${rep.p90 < TARGET_REPORT_MS ? 'within' : 'OVER'} target`;
    console.log(verdict);
    if (!args['no-save']) {
      mkdirSync(RESULTS, { recursive: true });
      const json = { bench: 'metrics-store', command, revision: gitRevision(), machine: machine(), services: SERVICES, days: DAYS, sizeMb: r2(sizeMb), rows: st, fillSeconds: r2(fillS), reportMs: rep, reportCpuMs: repCpu, loadAverage: os.loadavg().map(r2), targets: { sizeMb: TARGET_MB, reportMs: TARGET_REPORT_MS } };
      writeFileSync(join(RESULTS, 'metrics-store.json'), `${JSON.stringify(json, null, 2)}\n`);
    }
  } finally {
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
    else console.log(dir);
  }
}

await main();
