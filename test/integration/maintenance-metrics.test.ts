/**
 * `opsdeck maintain opsdeck:metrics` on a real metrics.db (node-sqlite3-wasm, thousands of rows
 * past retention): a dry run changes nothing and says the size; a real run without an engine
 * (the command holds the stack lock) and through a running engine (its store worker, reached by
 * the built CLI over the control API) drops what is past retention, VACUUMs, and leaves the rows
 * within retention and an intact file, smaller.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EngineHost } from '../../src/core/host/engine-host';
import { RollupDb } from '../../src/core/metrics/store/rollup-db';
import { emptyServiceRow, emptyStackRow } from '../../src/core/metrics/store/rows';
import { buildBundles, cli } from '../helpers/built-cli';
import { NODE, tempStack, type TempStack } from '../helpers/stack';

const MIN = 60_000;
const OLD = 6000;
const RECENT = 90;

/** A metrics.db with OLD minutes five days old (past the 48 h minute retention) and RECENT minutes of the last hours. */
function fillStore(dir: string): { file: string; bytes: number } {
  const file = join(dir, '.opsdeck', 'metrics.db');
  const db = RollupDb.open(file);
  try {
    const now = Math.floor(Date.now() / MIN) * MIN;
    const at = [...Array.from({ length: OLD }, (_, i) => now - 5 * 86_400_000 - i * MIN), ...Array.from({ length: RECENT }, (_, i) => now - (i + 2) * MIN)];
    db.add(at.map((a) => ({ ...emptyServiceRow(a, 'api'), samples: 1 })), at.map((a) => ({ ...emptyStackRow(a), samples: 1 })), []);
    assert.equal(db.stats().minuteRows, OLD + RECENT);
  } finally {
    db.close();
  }
  return { file, bytes: statSync(file).size };
}

/** The store's figures and integrity_check, read in this process. */
function inspect(file: string): { minuteRows: number; integrity: string } {
  const db = RollupDb.open(file);
  try {
    const integrity = String(Object.values((db as unknown as { db: { get(sql: string): Record<string, unknown> } }).db.get('PRAGMA integrity_check') ?? {})[0]);
    return { minuteRows: db.stats().minuteRows, integrity };
  } finally {
    db.close();
  }
}

/** The built CLI without blocking this process (which hosts the engine it talks to). */
function cliAsync(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(NODE, [join(import.meta.dirname, '../../dist/cli.js'), ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

interface TaskJson {
  id: string;
  ok: boolean;
  dryRun: boolean;
  plan: string[];
  before: { bytes: number };
  after?: { bytes: number; minuteRows: number };
  reclaimedBytes?: number;
}
const taskOf = (stdout: string) => (JSON.parse(stdout) as { tasks: TaskJson[] }).tasks.find((x) => x.id === 'opsdeck:metrics')!;

describe('opsdeck maintain opsdeck:metrics: compaction of the long-term metrics store (the built CLI, a real metrics.db)', function () {
  this.timeout(120_000);
  let t: TempStack | undefined;
  let host: EngineHost | undefined;

  before(() => buildBundles());
  afterEach(async () => {
    await host?.stop();
    host = undefined;
    t?.cleanup();
    t = undefined;
  });

  it('dry run: says the size and what it would do, changes nothing; real run without an engine: retention applied, VACUUM, smaller and intact', () => {
    t = tempStack({ version: 1, name: 'mcompact', services: { api: { command: ['sleep', '1000'] } } });
    const { file, bytes } = fillStore(t.dir);
    const hash = sha(file);

    const dry = cli(t.dir, 'maintain', 'opsdeck:metrics', '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.stderr);
    const planned = taskOf(dry.stdout);
    assert.equal(planned.dryRun, true);
    assert.equal(planned.before.bytes, bytes);
    assert.ok(planned.plan.some((l) => /drop minutes older than 2d/.test(l)), planned.plan.join('\n'));
    assert.ok(planned.plan.some((l) => /^VACUUM metrics\.db/.test(l)), planned.plan.join('\n'));
    assert.equal(sha(file), hash, 'a dry run leaves metrics.db as it was');

    const real = cli(t.dir, 'maintain', 'opsdeck:metrics', '--json');
    assert.equal(real.code, 0, real.stderr);
    const done = taskOf(real.stdout);
    assert.equal(done.ok, true);
    assert.equal(done.after?.minuteRows, RECENT);
    assert.ok(done.after!.bytes < bytes / 4, `${done.after!.bytes} after, ${bytes} before`);
    assert.equal(done.after!.bytes, statSync(file).size);
    assert.equal(done.reclaimedBytes, bytes - done.after!.bytes);
    assert.deepEqual(inspect(file), { minuteRows: RECENT, integrity: 'ok' });
  });

  it('with a running engine: the CLI goes through the engine, whose store worker compacts', async () => {
    t = tempStack({ version: 1, name: 'mcompacte', services: { api: { command: ['sleep', '1000'] } } });
    const { file, bytes } = fillStore(t.dir);
    host = await EngineHost.start(t.dir, { owner: 'test', version: 'test' });

    const real = await cliAsync(t.dir, 'maintain', 'opsdeck:metrics', '--json');
    assert.equal(real.code, 0, real.stderr);
    const done = taskOf(real.stdout);
    assert.equal(done.ok, true);
    // The engine may have closed a minute of its own meanwhile.
    assert.ok(done.after!.minuteRows >= RECENT && done.after!.minuteRows <= RECENT + 2, String(done.after!.minuteRows));
    assert.ok(done.after!.bytes < bytes / 4, `${done.after!.bytes} after, ${bytes} before`);
    // The engine's store still answers (its worker reopens metrics.db) with the rows kept.
    const answer = await host.engine.metricsRollups({ resolution: 'minute', since: Date.now() - 86_400_000, until: Date.now() });
    assert.equal(answer.store.minuteRows, done.after!.minuteRows);
    assert.equal(answer.services.filter((r) => r.service === 'api').length >= RECENT, true);
    await host.stop();
    host = undefined;
    const after = inspect(file);
    assert.equal(after.integrity, 'ok');
    assert.ok(after.minuteRows >= RECENT && after.minuteRows <= RECENT + 2, String(after.minuteRows));
  });
});
