/**
 * Bench: CLI status latency. How long does `opsdeck status --json` take against a running
 * engine (a stack of 3 HTTP services brought up with `opsdeck up --detach` in a temporary
 * folder), next to `node -e 0`, the least any Node CLI can cost on this machine?
 *
 *   npx tsx bench/cli-status.ts [--runs 20] [--warmup 2] [--no-save]
 *
 * Measures the built CLI (dist/cli.js: run `npm run build` first), wall time from spawn to exit
 * with its output read. Each round runs `node -e 0`, `opsdeck --version` (loading the bundle,
 * no engine) and `opsdeck status --json` once, in a rotating order, so that load drifting during
 * the bench hits all alike. The stack is stopped with `opsdeck down` and the folder removed at
 * the end, also on error and on Ctrl-C. Results go to bench/results/cli-status.{json,md}.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import {
  CLI, HTTP_SERVICE, NODE, RESULTS, cliBuild, freePorts, gitRevision, intArg, killMarked, machine, r2, requireBuiltCli, requireLinux, run, sleep, stats, waitGone,
  type Stats,
} from './lib/common';

const SERVICES = 3;
const PAUSE_MS = 50; // between two measured commands

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '2' },
    'no-save': { type: 'boolean', default: false },
  },
});
const RUNS = intArg(args.runs, '--runs');
const WARMUP = intArg(args.warmup, '--warmup', 0);
const command = ['npx tsx bench/cli-status.ts', RUNS !== 20 ? `--runs ${RUNS}` : '', WARMUP !== 2 ? `--warmup ${WARMUP}` : ''].filter(Boolean).join(' ');

requireLinux('cli-status');
requireBuiltCli();
const BUILD = cliBuild();

// Everything this bench starts (CLI, engine daemon, services) carries this in its environment.
const MARKER = `OPSDECK_BENCH_RUN=cli-status-${process.pid}-${randomBytes(4).toString('hex')}`;
const env = { ...process.env, [MARKER.split('=')[0]!]: MARKER.split('=')[1]!, NO_COLOR: '1' };

// ---------------------------------------------------------------- cleanup (also on error and ^C)

let stackDir: string | undefined;
let daemonPid: number | undefined;

/** Synchronous last resort: nothing the bench started may outlive it. */
function cleanupSync(): void {
  killMarked(MARKER);
  if (stackDir) rmSync(stackDir, { recursive: true, force: true });
  stackDir = undefined;
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

type Kind = 'node' | 'version' | 'status';
const KINDS: Kind[] = ['node', 'version', 'status'];
const LABEL: Record<Kind, string> = {
  node: 'node -e 0',
  version: 'opsdeck --version',
  status: 'opsdeck status --json',
};

async function measure(kind: Kind, dir: string): Promise<number> {
  const argv = kind === 'node' ? ['-e', '0'] : kind === 'version' ? [CLI, '--version'] : [CLI, '-C', dir, 'status', '--json'];
  const r = await run(NODE, argv, { env, timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`${LABEL[kind]} exited with ${r.code ?? r.signal}: ${r.stderr.trim()}`);
  if (kind === 'status') {
    // It must really have talked to the running engine, not printed the "not running" shape.
    const s = JSON.parse(r.stdout) as { running: boolean; services: { state: string }[] };
    if (!s.running || s.services.length !== SERVICES || s.services.some((x) => x.state !== 'ready')) {
      throw new Error(`status --json did not show ${SERVICES} ready services of a running engine: ${r.stdout.slice(0, 300)}`);
    }
  }
  return r.ms;
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
  daemonPid = upResult.status?.engine.pid ?? parseJson<{ pid: number }>(readIfThere(join(dir, '.opsdeck/run/engine.lock')))?.pid;
  if (up.code !== 0 || !upResult.ok) throw new Error(`opsdeck up --detach failed (exit ${up.code}): ${up.stdout.slice(0, 500)} ${up.stderr.trim()}`);

  console.log(
    `cli status: ${RUNS} rounds (+${WARMUP} warm-up) of ${KINDS.map((k) => LABEL[k]).join(', ')}; ` +
      `engine pid ${daemonPid} with ${SERVICES} services; node ${process.version}, ${os.cpus().length} cores`,
  );
  const samples: Record<Kind, number[]> = { node: [], version: [], status: [] };
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const order = KINDS.map((_, j) => KINDS[(i + j) % KINDS.length]!);
    const round: Partial<Record<Kind, number>> = {};
    for (const kind of order) {
      await sleep(PAUSE_MS);
      round[kind] = await measure(kind, dir);
    }
    const warm = i < WARMUP;
    if (!warm) for (const k of KINDS) samples[k].push(round[k]!);
    console.log(
      `${warm ? 'warm-up' : `run ${String(i - WARMUP + 1).padStart(3)}`}: ` + KINDS.map((k) => `${LABEL[k]} ${round[k]!.toFixed(1).padStart(6)} ms`).join(', '),
    );
  }
  await cleanup();
  const rebuilt = cliBuild().sha256 !== BUILD.sha256;
  if (rebuilt) console.error('warning: dist/cli.js changed during the run (rebuilt by someone): the figures mix two builds');

  // ------------------------------------------------------------ report
  const s = Object.fromEntries(KINDS.map((k) => [k, stats(samples[k])])) as Record<Kind, Stats>;
  const ratio = r2(s.status.median / s.node.median);
  const ratioP90 = r2(s.status.p90 / s.node.p90);
  const overheadMs = r2(s.status.median - s.node.median);
  const loadMs = r2(s.version.median - s.node.median);
  const apiMs = r2(s.status.median - s.version.median);

  const row = (name: string, x: Stats) =>
    `| ${name.padEnd(24)} | ${x.median.toFixed(1).padStart(8)} | ${x.p90.toFixed(1).padStart(8)} | ${x.min.toFixed(1).padStart(8)} | ${x.max.toFixed(1).padStart(8)} | ${(x.median / s.node.median).toFixed(2).padStart(6)}× |`;
  const table = [
    `| ${'ms'.padEnd(24)} | ${'median'.padStart(8)} | ${'p90'.padStart(8)} | ${'min'.padStart(8)} | ${'max'.padStart(8)} | ${'ratio'.padStart(7)} |`,
    `| ${'-'.repeat(24)} | ${'-'.repeat(7)}: | ${'-'.repeat(7)}: | ${'-'.repeat(7)}: | ${'-'.repeat(7)}: | ${'-'.repeat(6)}: |`,
    ...KINDS.map((k) => row(LABEL[k], s[k])),
  ].join('\n');
  const verdict =
    `opsdeck status --json: ${s.status.median.toFixed(1)} ms median, ${s.status.p90.toFixed(1)} ms p90; ` +
    `node -e 0: ${s.node.median.toFixed(1)} ms median, ${s.node.p90.toFixed(1)} ms p90; ` +
    `ratio ${ratio.toFixed(2)}× at the median (${ratioP90.toFixed(2)}× at p90), ${overheadMs.toFixed(1)} ms more`;
  const split =
    `of the ${overheadMs.toFixed(1)} ms over node -e 0 (medians): loading and starting the CLI bundle (\`--version\`) ${loadMs.toFixed(1)} ms, ` +
    `reading the stack and asking the engine (status − --version) ${apiMs.toFixed(1)} ms`;
  console.log(`\n${table}\n\n${verdict}\n${split}\n\nreproduce: ${command}`);

  if (args['no-save']) return;
  const date = new Date().toISOString();
  const m = machine();
  mkdirSync(RESULTS, { recursive: true });
  const json = {
    bench: 'cli-status',
    date,
    command,
    node: process.version,
    revision: gitRevision(),
    cliBuild: { ...BUILD, changedDuringRun: rebuilt },
    machine: m,
    setup: { runs: RUNS, warmup: WARMUP, services: SERVICES, pauseMs: PAUSE_MS, service: 'bench/fixtures/http-service.cjs', cli: 'dist/cli.js' },
    nodeE0: { ...s.node, samples: samples.node.map(r2) },
    version: { ...s.version, samples: samples.version.map(r2) },
    status: { ...s.status, samples: samples.status.map(r2) },
    ratio,
    ratioP90,
    overheadMs,
    split: { loadMs, apiMs },
  };
  writeFileSync(join(RESULTS, 'cli-status.json'), `${JSON.stringify(json, null, 2)}\n`);
  const md = [
    `# CLI status latency`,
    '',
    `Wall time of \`opsdeck status --json\` (the built \`dist/cli.js\`) against a running engine that supervises`,
    `${SERVICES} HTTP services (\`up --detach\`), next to \`node -e 0\` and \`opsdeck --version\` on the same machine in the`,
    `same run: ${RUNS} rounds of the three in rotating order, ${WARMUP} warm-up round${WARMUP === 1 ? '' : 's'} dropped. Spawn → exit, output read.`,
    '',
    `- command: \`${command}\``,
    `- date: ${date}`,
    `- node: ${process.version}, ${m.platform} ${m.arch}`,
    `- machine: ${m.cores} cores, ${m.cpu}`,
    `- opsdeck: work tree at ${json.revision}; dist/cli.js built ${BUILD.builtAt} (sha256 ${BUILD.sha256}${rebuilt ? ', REBUILT DURING THE RUN' : ''})`,
    '',
    table,
    '',
    `**${verdict}**`,
    '',
    `${split[0]!.toUpperCase()}${split.slice(1)}.`,
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
