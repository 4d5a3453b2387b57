import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../../src/core/memory/memory-store';

describe('memory search redacts rows an older Opsdeck stored unredacted (real SQLite)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'opsdeck-oldrows-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('text, snippet and data of a hit carry *** where the row holds a secret', () => {
    const store = MemoryStore.open(join(dir, 'memory.db'));
    // As journal rows written before these patterns existed: taken in as they are.
    store.ingest(
      [
        { at: 1, service: 'api', kind: 'log', text: 'login with --password hunter2 and Authorization: Bearer abcdef123456', data: '{"stream":"stdout"}' },
        { at: 2, service: 'api', kind: 'spawn', text: 'spawn pid 4: app --api-token tok-9', data: '{"pid":4,"command":["app","--api-token","tok-9"]}' },
      ],
      '000000000001-00000000.jsonl',
    );
    const hits = [...store.search({ text: 'login' }), ...store.search({ text: 'spawn' }), ...store.latest()];
    store.close();
    assert.equal(hits.length, 4);
    const all = JSON.stringify(hits);
    assert.doesNotMatch(all, /hunter2|abcdef123456|tok-9/);
    assert.match(hits[0]!.text, /--password \*\*\* and Authorization: Bearer \*\*\*/);
    assert.deepEqual((hits[1]!.data as { command: string[] }).command, ['app', '--api-token', '***']);
  });
});
