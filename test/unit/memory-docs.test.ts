import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SCHEMA_VERSION } from '../../src/core/memory/schema';
import { MEMORY_DEFAULTS } from '../../src/core/memory/memory-store';

const DOC = readFileSync(resolve(import.meta.dirname, '../../docs/memory.md'), 'utf8');

describe('docs/memory.md says what the code does', () => {
  it('the schema version it states is SCHEMA_VERSION', () => {
    const m = /version in `PRAGMA user_version`, now (\d+)/.exec(DOC);
    assert.ok(m, 'docs/memory.md states the schema version');
    assert.equal(Number(m[1]), SCHEMA_VERSION);
  });

  it('the write batching it states is MEMORY_DEFAULTS (flush delay and batch size)', () => {
    const m = /written in one transaction\s+([\d ]+) ms after its first row, or as soon as it holds ([\d ]+) rows/.exec(DOC);
    assert.ok(m, 'docs/memory.md states how writes are batched');
    assert.deepEqual([Number(m[1]!.replace(/ /g, '')), Number(m[2]!.replace(/ /g, ''))], [MEMORY_DEFAULTS.flushMs, MEMORY_DEFAULTS.batchRows]);
  });
});
