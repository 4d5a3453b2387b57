import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MemoryStore } from '../../src/core/memory/memory-store';
import { NODE, tempStack, type TempStack } from '../helpers/stack';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');

/**
 * `opsdeck … | head -1`: run the built CLI into a reader that closes the pipe after the first
 * line, as head does. Every output here is far over a pipe's buffer (64 KiB), so the CLI is still
 * writing when the pipe closes.
 */
function intoHead(cwd: string, ...args: string[]): Promise<{ code: number | null; signal: string | null; first: string; stderr: string }> {
  return new Promise((ok, fail) => {
    const child = spawn(NODE, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let first = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (first.includes('\n')) return;
      first += chunk.toString('utf8');
      if (first.includes('\n')) {
        first = first.slice(0, first.indexOf('\n'));
        child.stdout.destroy();
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`opsdeck ${args.join(' ')} did not end after its stdout closed; stderr: ${stderr}`));
    }, 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      ok({ code, signal, first, stderr });
    });
  });
}

describe('a closed stdout (opsdeck … | head -1) is a quiet exit: code 0, nothing on stderr', function () {
  this.timeout(120_000);
  let t: TempStack;
  const services: Record<string, unknown> = {};
  for (let i = 0; i < 1500; i++) services[`web-service-with-a-long-name-${String(i).padStart(4, '0')}`] = { command: ['true'] };
  before(() => {
    const r = spawnSync(NODE, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    t = tempStack({ version: 1, name: 'pipes', services });
    const logs = join(t.dir, '.opsdeck', 'logs');
    mkdirSync(logs, { recursive: true });
    const at = Date.UTC(2026, 0, 1);
    const lines = Array.from({ length: 5000 }, (_, i) => `${new Date(at + i).toISOString()} stdout web line ${i} ${'x'.repeat(60)}\n`);
    writeFileSync(join(logs, 'web-service-with-a-long-name-0000.log'), lines.join(''));
    const store = MemoryStore.open(join(t.dir, '.opsdeck', 'memory.db'));
    for (let i = 0; i < 600; i++) {
      store.record({ type: 'log', service: 'web-service-with-a-long-name-0000', at: at + i, stream: 'stdout', line: `web request ${i} ${'served from cache quickly '.repeat(8)}` });
    }
    store.close();
  });
  after(() => t.cleanup());

  for (const args of [
    ['memory', 'search', 'web', '--limit', '500'],
    ['logs', 'web-service-with-a-long-name-0000', '-n', '5000'],
    ['status'],
  ]) {
    it(`opsdeck ${args.join(' ')} | head -1`, async () => {
      const r = await intoHead(t.dir, ...args);
      assert.ok(r.first.length > 0, `the reader got a first line (stderr: ${r.stderr})`);
      assert.equal(r.stderr, '', 'nothing on stderr');
      assert.equal(r.signal, null);
      assert.equal(r.code, 0);
    });
  }
});
