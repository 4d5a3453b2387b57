/**
 * Bench: releases (docs/releases.md) of the "notes" stack of examples/real-servers/releases
 * (PostgreSQL and a small app; test/helpers/release-repo.ts makes the local git repository).
 *
 *   npx tsx bench/releases.ts [--runs 3] [--no-save]
 *
 * Measures, with the built CLI (dist/cli.js: run `npm run build` first):
 * - deploy: `opsdeck deploy --from <repo> --to 1` into an empty folder, spawn to exit (the stack
 *   healthy: the command ends after the health gate), with its stages;
 * - update downtime per service: while `opsdeck update --to 2` runs, each service is probed every
 *   10 ms (the app: GET /health; postgres: a TCP connect), and its longest run of failed probes is
 *   its downtime; next to the same for a plain `opsdeck restart app` (stop, start);
 * - rollback: `opsdeck rollback` (2 → 1, --data down), spawn to exit, and its downtime.
 * Each run is one update, one plain restart and one rollback. Results go to
 * bench/results/releases.{json,md}. The folders are removed and the stack stopped at the end.
 */
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeReleaseRepo } from '../test/helpers/release-repo';
import { CLI, NODE, RESULTS, gitRevision, healthStatus, intArg, machine, r2, requireBuiltCli, requireLinux, run, sleep, stats } from './lib/common';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'no-save': { type: 'boolean', default: false } } });
const RUNS = intArg(values.runs!, '--runs');

const tcpUp = (port: number) =>
  new Promise<boolean>((ok) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.setTimeout(500, () => (s.destroy(), ok(false)));
    s.once('connect', () => (s.destroy(), ok(true)));
    s.once('error', () => ok(false));
  });

/** Probe every 10 ms until stopped; the longest run of failures, ms. */
function downtimeProbe(probe: () => Promise<boolean>) {
  let stop = false;
  let downSince: number | undefined;
  let longest = 0;
  const done = (async () => {
    while (!stop) {
      const up = await probe();
      const now = performance.now();
      if (!up) downSince ??= now;
      else if (downSince !== undefined) {
        longest = Math.max(longest, now - downSince);
        downSince = undefined;
      }
      await sleep(10);
    }
    if (downSince !== undefined) longest = Math.max(longest, performance.now() - downSince);
    return longest;
  })();
  return { end: async () => ((stop = true), r2(await done)) };
}

async function main(): Promise<void> {
  requireLinux('releases');
  requireBuiltCli();
  const repo = await makeReleaseRepo();
  const dir = repo.deployDir;
  const cli = (...args: string[]) => run(NODE, [CLI, '--stack', dir, ...args, '--json'], { cwd: repo.root, env: { ...process.env, NO_COLOR: '1' }, timeoutMs: 300_000 });
  const ok = (r: { code: number | null; stdout: string; stderr: string }, what: string) => {
    if (r.code !== 0) throw new Error(`${what} failed: ${r.stdout}${r.stderr}`);
    return JSON.parse(r.stdout) as { timings: { stage: string; ms: number }[] };
  };
  /** Run `work` while probing the app and postgres; the downtime of each. */
  const withProbes = async (work: () => Promise<void>) => {
    const app = downtimeProbe(async () => (await healthStatus(repo.appPort, 500)) === 200);
    const pg = downtimeProbe(() => tcpUp(repo.pgPort));
    await work();
    return { app: await app.end(), postgres: await pg.end() };
  };
  const out = { deployMs: 0, deployStages: {} as Record<string, number>, update: [] as { ms: number; app: number; postgres: number }[], restart: [] as { app: number; postgres: number }[], rollback: [] as { ms: number; app: number; postgres: number }[] };
  try {
    const deploy = await cli('deploy', '--from', repo.repo, '--to', '1');
    out.deployMs = r2(deploy.ms);
    out.deployStages = Object.fromEntries(ok(deploy, 'deploy').timings.map((t) => [t.stage, t.ms]));
    for (let i = 0; i < RUNS; i++) {
      let ms = 0;
      const u = await withProbes(async () => {
        const r = await cli('update', '--to', '2');
        ok(r, 'update');
        ms = r2(r.ms);
      });
      out.update.push({ ms, ...u });
      await sleep(500);
      out.restart.push(await withProbes(async () => void ok(await cli('restart', 'app'), 'restart app')));
      await sleep(500);
      const b = await withProbes(async () => {
        const r = await cli('rollback');
        ok(r, 'rollback');
        ms = r2(r.ms);
      });
      out.rollback.push({ ms, ...b });
      await sleep(500);
    }
  } finally {
    await run(NODE, [CLI, '--stack', dir, 'down'], { cwd: repo.root });
    repo.cleanup();
  }
  const col = <T>(xs: T[], k: keyof T) => stats(xs.map((x) => x[k] as number));
  const summary = {
    deploy: { ms: out.deployMs, stages: out.deployStages },
    update: { ms: col(out.update, 'ms'), appDowntimeMs: col(out.update, 'app'), postgresDowntimeMs: col(out.update, 'postgres') },
    plainRestart: { appDowntimeMs: col(out.restart, 'app'), postgresDowntimeMs: col(out.restart, 'postgres') },
    rollback: { ms: col(out.rollback, 'ms'), appDowntimeMs: col(out.rollback, 'app'), postgresDowntimeMs: col(out.rollback, 'postgres') },
  };
  const md = [
    `# Releases bench (${new Date().toISOString().slice(0, 10)}, ${gitRevision()}, ${RUNS} runs)`,
    '',
    '| what | median | min | max |',
    '| --- | --- | --- | --- |',
    `| deploy 1 into an empty folder, until healthy | ${out.deployMs} ms | | |`,
    `| update 1 → 2 (command) | ${summary.update.ms.median} ms | ${summary.update.ms.min} | ${summary.update.ms.max} |`,
    `| update: app down | ${summary.update.appDowntimeMs.median} ms | ${summary.update.appDowntimeMs.min} | ${summary.update.appDowntimeMs.max} |`,
    `| update: postgres down | ${summary.update.postgresDowntimeMs.median} ms | ${summary.update.postgresDowntimeMs.min} | ${summary.update.postgresDowntimeMs.max} |`,
    `| plain \`opsdeck restart app\`: app down | ${summary.plainRestart.appDowntimeMs.median} ms | ${summary.plainRestart.appDowntimeMs.min} | ${summary.plainRestart.appDowntimeMs.max} |`,
    `| rollback 2 → 1 --data down (command) | ${summary.rollback.ms.median} ms | ${summary.rollback.ms.min} | ${summary.rollback.ms.max} |`,
    `| rollback: app down | ${summary.rollback.appDowntimeMs.median} ms | ${summary.rollback.appDowntimeMs.min} | ${summary.rollback.appDowntimeMs.max} |`,
    '',
    `deploy stages (ms): ${Object.entries(out.deployStages).map(([s, ms]) => `${s} ${ms}`).join(', ')}`,
    '',
  ].join('\n');
  process.stdout.write(md);
  if (!values['no-save']) {
    writeFileSync(join(RESULTS, 'releases.json'), JSON.stringify({ machine: machine(), revision: gitRevision(), runs: out, summary }, null, 2) + '\n');
    writeFileSync(join(RESULTS, 'releases.md'), md);
  }
}

await main();
