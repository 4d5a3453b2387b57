import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/core/clock';
import { OpsError } from '../../src/core/errors';
import { EventBus } from '../../src/core/events';
import { ingestJournal, openMemoryInProcess } from '../../src/core/memory/ingest';
import { journalDir, journalSegments, MemoryJournal, readSegment, type MemoryJournalOptions } from '../../src/core/memory/journal';
import { toMemoryRow, type MemoryRow } from '../../src/core/memory/memory-row';
import { MemoryStore } from '../../src/core/memory/memory-store';
import type { EngineEvent } from '../../src/core/contract/events';

const T0 = Date.UTC(2026, 0, 1, 12);

const log = (service: string, at: number, line: string): EngineEvent => ({ type: 'log', service, at, stream: 'stdout', line });

/** The rows of every segment in `dir`, oldest segment first. */
const journalRows = (dir: string): MemoryRow[] => journalSegments(dir).flatMap((s) => readSegment(s.path).rows);

/** Warnings `process.emitWarning` sends while `fn` runs (they arrive on the next tick). */
async function warningsDuring(fn: () => void | Promise<void>): Promise<string[]> {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    await fn();
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  return warnings;
}

describe('memory journal and its ingestion (real files, real SQLite)', () => {
  let root: string;
  /** `<stack>/.opsdeck` */
  let opsdeck: string;
  /** `<stack>/.opsdeck/memory-journal` */
  let dir: string;
  let dbFile: string;
  let clock: FakeClock;
  const journals: MemoryJournal[] = [];
  const stores: MemoryStore[] = [];

  const journal = (opts: MemoryJournalOptions = {}) => {
    const j = MemoryJournal.open(dir, { clock, ...opts });
    journals.push(j);
    return j;
  };
  const store = () => {
    const s = MemoryStore.open(dbFile, { clock });
    stores.push(s);
    return s;
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'opsdeck-journal-'));
    opsdeck = join(root, '.opsdeck');
    dir = journalDir(opsdeck);
    dbFile = join(opsdeck, 'memory.db');
    clock = new FakeClock(T0 + 60_000);
  });
  afterEach(() => {
    for (const j of journals.splice(0)) j.close();
    for (const s of stores.splice(0)) s.close();
    rmSync(root, { recursive: true, force: true });
  });

  describe('MemoryJournal', () => {
    it('records what a real EventBus carries (no passing probe after a pass), and writes whole JSON rows only after flushMs', async () => {
      const j = journal();
      const bus = new EventBus();
      const sub = j.attach(bus);
      let at = T0;
      const probe = (ok: boolean, role: 'readiness' | 'liveness' = 'readiness') =>
        bus.emit({ type: 'probe', service: 'api', at: at++, probe: role, ok, latencyMs: 1, ...(ok ? {} : { error: 'ECONNREFUSED' }), failures: ok ? 0 : 1, threshold: 3 });
      bus.emit({ type: 'spawn', service: 'api', at: at++, pid: 4242, command: ['node', 'api.js'] });
      probe(true); // passing from the start: not kept
      probe(true);
      probe(false); // a failure: kept
      probe(true); // the recovery: kept
      probe(true); // passing again: not kept
      probe(true, 'liveness'); // another probe, passing from the start: not kept
      bus.emit(log('api', at++, 'listening on 7103'));
      sub.dispose();
      bus.emit(log('api', at++, 'not recorded: detached'));

      assert.equal(j.pendingRows, 4);
      assert.deepEqual(journalSegments(dir), [], 'nothing is on disk before the flush');
      assert.deepEqual(clock.pending(), [1000], 'one flush timer, a second away');
      await clock.advance(999);
      assert.deepEqual(journalSegments(dir), [], 'still nothing 1 ms before flushMs');

      await clock.advance(1);
      assert.equal(j.pendingRows, 0);
      const segments = journalSegments(dir);
      assert.equal(segments.length, 1);
      assert.match(segments[0]!.name, /^000000000001-[0-9a-f]{8}\.jsonl$/);
      const text = readFileSync(segments[0]!.path, 'utf8');
      assert.ok(text.endsWith('\n'), 'the append ends with a whole line');
      const lines = text.split('\n').slice(0, -1);
      const rows = lines.map((l) => JSON.parse(l) as MemoryRow);
      assert.deepEqual(
        rows.map((r) => [r.kind, r.service, r.at]),
        [
          ['spawn', 'api', T0],
          ['probe', 'api', T0 + 3],
          ['probe', 'api', T0 + 4],
          ['log', 'api', T0 + 7],
        ],
      );
      assert.deepEqual(
        rows.filter((r) => r.kind === 'probe').map((r) => (JSON.parse(r.data) as { ok: boolean }).ok),
        [false, true],
        'the failure, then the first pass after it',
      );
      assert.equal(rows[3]!.text, 'listening on 7103');
      assert.deepEqual(rows[3], toMemoryRow(log('api', T0 + 7, 'listening on 7103'), 0), 'each line is the whole row as memory-row.ts makes it');
      assert.deepEqual(readSegment(segments[0]!.path), { rows, bad: 0 });
      assert.equal(j.size, Buffer.byteLength(text));
    });

    it('seal() returns the last complete segment (0 when none) and sends later rows to a new segment file', () => {
      const j = journal();
      assert.equal(j.seal(), 0, 'an empty journal has no complete segment');
      assert.deepEqual(journalSegments(dir), [], 'sealing nothing writes no file');

      j.record(log('api', T0, 'alpha'));
      j.record(log('api', T0 + 1, 'bravo'));
      assert.equal(j.seal(), 1, 'the buffered rows are appended and their segment ends');
      const [first] = journalSegments(dir);
      assert.equal(first!.seq, 1);
      assert.deepEqual(
        readSegment(first!.path).rows.map((r) => r.text),
        ['alpha', 'bravo'],
      );
      assert.equal(j.seal(), 1, 'sealing again with nothing new returns the same number');
      assert.equal(journalSegments(dir).length, 1);

      j.record(log('api', T0 + 2, 'charlie'));
      j.flush();
      const segments = journalSegments(dir);
      assert.deepEqual(
        segments.map((s) => s.seq),
        [1, 2],
      );
      assert.deepEqual(
        readSegment(segments[0]!.path).rows.map((r) => r.text),
        ['alpha', 'bravo'],
        'the sealed segment is not written again',
      );
      assert.equal(segments[0]!.bytes, first!.bytes);
      assert.deepEqual(
        readSegment(segments[1]!.path).rows.map((r) => r.text),
        ['charlie'],
      );
      assert.equal(j.seal(), 2);
    });

    it('starts after the highest segment it finds and never appends to a segment it did not start', () => {
      const j1 = journal();
      j1.record(log('api', T0, 'one'));
      j1.seal(); // segment 1, complete
      j1.record(log('api', T0 + 1, 'two'));
      j1.close(); // segment 2, written but never sealed (the owner went away)
      // A segment left by someone else, with a gap in the numbers.
      const foreign = join(dir, '000000000007-0badc0de.jsonl');
      writeFileSync(foreign, JSON.stringify(toMemoryRow(log('api', T0 + 2, 'seven'), 0)) + '\n');
      const before = journalSegments(dir).map((s) => ({ name: s.name, text: readFileSync(s.path, 'utf8') }));
      assert.deepEqual(
        journalSegments(dir).map((s) => s.seq),
        [1, 2, 7],
      );

      const j2 = journal();
      assert.equal(j2.size, before.reduce((a, s) => a + Buffer.byteLength(s.text), 0), 'it counts the bytes already there');
      assert.equal(j2.seal(), 7, 'every segment it found is complete for it');
      j2.record(log('api', T0 + 3, 'eight'));
      j2.flush();
      const after = journalSegments(dir);
      assert.deepEqual(
        after.map((s) => s.seq),
        [1, 2, 7, 8],
      );
      for (const s of before) assert.equal(readFileSync(join(dir, s.name), 'utf8'), s.text, `${s.name} is untouched`);
      assert.deepEqual(
        readSegment(after[3]!.path).rows.map((r) => r.text),
        ['eight'],
      );
    });

    it('rolls over to a new segment at segmentBytes', () => {
      const j = journal({ segmentBytes: 300 });
      const texts = Array.from({ length: 12 }, (_, i) => `rollover line ${String(i).padStart(2, '0')}`);
      for (const [i, t] of texts.entries()) {
        j.record(log('api', T0 + i, t));
        j.flush();
      }
      const segments = journalSegments(dir);
      assert.ok(segments.length >= 3, `several segments (${segments.length})`);
      assert.deepEqual(
        segments.map((s) => s.seq),
        segments.map((_, i) => i + 1),
        'numbered one after the other',
      );
      for (const s of segments.slice(0, -1)) assert.ok(s.bytes >= 300, `${s.name} was ended once it held segmentBytes (${s.bytes})`);
      for (const s of segments) assert.ok(s.bytes < 300 + 150, `${s.name} did not grow much past segmentBytes (${s.bytes})`);
      assert.deepEqual(
        journalRows(dir).map((r) => r.text),
        texts,
        'every row, in order, across the segments',
      );
      assert.equal(j.size, segments.reduce((a, s) => a + s.bytes, 0));
      assert.equal(j.droppedRows, 0);
    });

    it('keeps under maxBytes by deleting the oldest complete segments, counting their rows as dropped, and warns', async () => {
      const event = (i: number) => log('api', T0 + i, `bounded line ${String(i).padStart(2, '0')}`);
      const rowBytes = Buffer.byteLength(JSON.stringify(toMemoryRow(event(10), 0)) + '\n');
      // Two rows a segment, room for five rows.
      const j = journal({ segmentBytes: 2 * rowBytes, maxBytes: 5 * rowBytes });
      const warnings = await warningsDuring(() => {
        for (let i = 10; i < 20; i++) {
          j.record(event(i));
          j.flush();
        }
      });
      const rows = journalRows(dir);
      assert.deepEqual(
        rows.map((r) => r.text),
        [16, 17, 18, 19].map((i) => `bounded line ${i}`),
        'the newest rows are kept, the oldest segments went',
      );
      assert.equal(j.droppedRows, 6);
      assert.ok(j.size <= 5 * rowBytes, `size ${j.size} is under maxBytes`);
      assert.equal(j.size, journalSegments(dir).reduce((a, s) => a + s.bytes, 0), 'size is what is on disk');
      const dropWarnings = warnings.filter((w) => w.includes('opsdeck memory') && w.includes('oldest rows are deleted'));
      assert.equal(dropWarnings.length, 1, `one warning says rows are deleted: ${JSON.stringify(warnings)}`);
      assert.ok(dropWarnings[0]!.includes(dir), 'it names the journal folder');
    });

    it('throws MEMORY_WRITE_FAILED when the folder is gone, keeps the rows pending, and writes them to a new segment once it is back', async () => {
      const j = journal();
      j.record(log('api', T0, 'before the failure'));
      j.flush();
      const first = journalSegments(dir);
      assert.equal(first.length, 1);

      // Tests run as root, so the folder is replaced by a regular file rather than chmod-ed.
      const aside = join(opsdeck, 'journal-aside');
      renameSync(dir, aside);
      writeFileSync(dir, 'not a folder');
      j.record(log('api', T0 + 1, 'during one'));
      j.record(log('api', T0 + 2, 'during two'));
      assert.throws(
        () => j.flush(),
        (err: unknown) => err instanceof OpsError && err.code === 'MEMORY_WRITE_FAILED' && err.message.includes(dir),
      );
      assert.equal(j.pendingRows, 2, 'nothing lost');
      assert.equal(j.droppedRows, 0);
      assert.deepEqual(clock.pending(), [1000], 'a retry is scheduled');
      assert.throws(() => j.flush(), { code: 'MEMORY_WRITE_FAILED' }, 'still failing');
      assert.equal(j.pendingRows, 2);

      rmSync(dir);
      renameSync(aside, dir);
      j.flush();
      assert.equal(j.pendingRows, 0);
      const segments = journalSegments(dir);
      assert.equal(segments.length, 2);
      assert.equal(segments[0]!.name, first[0]!.name);
      assert.deepEqual(
        readSegment(segments[0]!.path).rows.map((r) => r.text),
        ['before the failure'],
        'the segment written before the failure is not appended to',
      );
      assert.ok(segments[1]!.seq > segments[0]!.seq, `the retry went to a new segment (${segments[1]!.name})`);
      assert.deepEqual(
        readSegment(segments[1]!.path).rows.map((r) => r.text),
        ['during one', 'during two'],
      );
      assert.deepEqual(clock.pending(), [], 'no retry left once written');
    });

    it('retries a failed write on its own a second later', async () => {
      const j = journal({ flushMs: 200 });
      const aside = join(opsdeck, 'journal-aside');
      renameSync(dir, aside);
      writeFileSync(dir, 'not a folder');
      j.record(log('api', T0, 'waits for the folder'));
      const warnings = await warningsDuring(() => clock.advance(200));
      assert.equal(j.pendingRows, 1);
      assert.equal(warnings.filter((w) => w.includes('cannot write to the memory journal')).length, 1, 'the timer flush warns instead of throwing');
      rmSync(dir);
      renameSync(aside, dir);
      await clock.advance(1000);
      assert.equal(j.pendingRows, 0);
      assert.deepEqual(
        journalRows(dir).map((r) => r.text),
        ['waits for the folder'],
      );
    });

    it('close() appends what is buffered and ignores later records', () => {
      const j = journal({ flushMs: 60_000 });
      j.record(log('api', T0, 'buffered at close'));
      assert.deepEqual(journalSegments(dir), []);
      j.close();
      j.record(log('api', T0 + 1, 'after close'));
      j.flush();
      assert.deepEqual(
        journalRows(dir).map((r) => r.text),
        ['buffered at close'],
      );
      assert.equal(j.pendingRows, 0);
    });
  });

  describe('ingestJournal', () => {
    it('takes complete segments in in recording order, deletes them, and leaves segments after upTo', () => {
      const j = journal();
      const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
      const say = (i: number) => j.record(log(i % 2 ? 'storage' : 'api', T0 + i * 1000, `${words[i]} happened`));
      say(0);
      say(1);
      say(2);
      assert.equal(j.seal(), 1);
      say(3);
      say(4);
      assert.equal(j.seal(), 2);
      say(5);
      j.flush(); // segment 3: written, not sealed
      const third = journalSegments(dir)[2]!;

      const s = store();
      assert.equal(s.journalSegment(), undefined, 'a new memory.db has taken no segment in');
      assert.deepEqual(ingestJournal(s, dir, 2), { segments: 2, rows: 5, skipped: 0 });
      assert.deepEqual(
        journalSegments(dir).map((x) => x.name),
        [third.name],
        'segments 1 and 2 are deleted, 3 is left for later',
      );
      assert.equal(s.count(), 5);
      assert.deepEqual(
        s.latest({ limit: 10 }).map((h) => h.text),
        words
          .slice(0, 5)
          .map((w) => `${w} happened`)
          .reverse(),
        'newest first: the rows went in in recording order',
      );
      const bravo = s.search({ text: 'bravo' });
      assert.equal(bravo.length, 1);
      assert.deepEqual([bravo[0]!.service, bravo[0]!.kind, bravo[0]!.at], ['storage', 'log', T0 + 1000]);
      assert.deepEqual(s.search({ text: 'foxtrot' }), [], 'the segment after upTo is not in');

      assert.deepEqual(ingestJournal(s, dir), { segments: 1, rows: 1, skipped: 0 });
      assert.deepEqual(journalSegments(dir), []);
      assert.equal(s.search({ text: 'foxtrot' }).length, 1);
      assert.equal(s.journalSegment(), third.name, 'memory.db names the last segment it took in');
      assert.deepEqual(ingestJournal(s, dir), { segments: 0, rows: 0, skipped: 0 }, 'nothing left to do');
      assert.equal(s.count(), 6);
    });

    it('does not take a segment in twice when a crash came between its commit and its deletion', () => {
      const j = journal();
      for (let i = 0; i < 3; i++) j.record(log('api', T0 + i, `crashproof row ${i}`));
      assert.equal(j.seal(), 1);
      const [seg] = journalSegments(dir);
      const aside = join(root, 'segment-copy');
      copyFileSync(seg!.path, aside);

      const s = store();
      assert.deepEqual(ingestJournal(s, dir), { segments: 1, rows: 3, skipped: 0 });
      assert.equal(existsSync(seg!.path), false);
      assert.equal(s.count(), 3);

      // As if the process died after the commit, before the unlink; meanwhile a new segment came.
      copyFileSync(aside, seg!.path);
      j.record(log('api', T0 + 10, 'after the crash'));
      assert.equal(j.seal(), 2);
      assert.deepEqual(ingestJournal(s, dir), { segments: 2, rows: 1, skipped: 0 }, 'the old segment is only deleted, the new one taken in');
      assert.deepEqual(journalSegments(dir), []);
      assert.equal(s.count(), 4, 'no duplicate rows');
      assert.equal(s.search({ text: '"crashproof row 1"' }).length, 1);
      assert.equal(s.search({ text: 'after crash' }).length, 1);
    });

    it('still takes rows in when the journal folder was emptied and numbering restarted at 1', () => {
      const j1 = journal();
      j1.record(log('api', T0, 'before the reset'));
      assert.equal(j1.seal(), 1);
      const s = store();
      ingestJournal(s, dir);
      const remembered = s.journalSegment();
      assert.match(remembered ?? '', /^000000000001-/);
      j1.close();

      rmSync(dir, { recursive: true });
      const j2 = journal();
      j2.record(log('api', T0 + 1, 'after the reset'));
      assert.equal(j2.seal(), 1, 'numbering starts again at 1');
      const [seg] = journalSegments(dir);
      assert.equal(seg!.seq, 1);
      assert.notEqual(seg!.name, remembered, 'same number, another name');

      assert.deepEqual(ingestJournal(s, dir), { segments: 1, rows: 1, skipped: 0 });
      assert.equal(s.count(), 2);
      assert.equal(s.search({ text: '"after the reset"' }).length, 1, 'the new segment 1 was not taken for the old one');
      assert.deepEqual(journalSegments(dir), []);
    });

    it('skips a line cut short by a kill, counts it, and takes the other rows in', () => {
      const j = journal();
      for (let i = 0; i < 3; i++) j.record(log('api', T0 + i, `whole row ${i}`));
      assert.equal(j.seal(), 1);
      const [seg] = journalSegments(dir);
      const whole = JSON.stringify(toMemoryRow(log('api', T0 + 3, 'never finished'), 0));
      appendFileSync(seg!.path, whole.slice(0, Math.floor(whole.length / 2)));
      j.record(log('api', T0 + 4, 'next segment row'));
      assert.equal(j.seal(), 2);

      assert.deepEqual(readSegment(seg!.path).bad, 1);
      const s = store();
      assert.deepEqual(ingestJournal(s, dir), { segments: 2, rows: 4, skipped: 1 });
      assert.equal(s.count(), 4);
      assert.deepEqual(
        s
          .latest({ limit: 10 })
          .map((h) => h.text)
          .reverse(),
        ['whole row 0', 'whole row 1', 'whole row 2', 'next segment row'],
      );
      assert.deepEqual(s.search({ text: 'finished' }), []);
      assert.deepEqual(journalSegments(dir), []);
    });
  });

  describe('openMemoryInProcess', () => {
    it('takes in the journal a gone engine left (what `opsdeck memory search` does with no engine running)', () => {
      // memory.db from an earlier run, then a journal the last engine wrote and never had indexed.
      const earlier = store();
      earlier.record(log('storage', T0, 'indexed long ago'));
      earlier.close();
      stores.splice(0);
      const j = journal({ flushMs: 60_000 });
      j.record(log('storage', T0 + 1, 'journaled then killed'));
      j.record({ type: 'restart', service: 'storage', at: T0 + 2, attempt: 1, delayMs: 500, cause: 'crash', detail: 'exit code 1' });
      j.close();
      // The killed engine's worker also left the SQLite lock behind.
      mkdirSync(`${dbFile}.lock`);

      const s = openMemoryInProcess(opsdeck, { clock });
      stores.push(s);
      assert.equal(s.count(), 3);
      assert.deepEqual(
        s.latest({ limit: 10 }).map((h) => h.text),
        ['restart 1 in 500ms (crash: exit code 1)', 'journaled then killed', 'indexed long ago'],
      );
      assert.equal(s.search({ text: 'killed' }).length, 1);
      assert.deepEqual(journalSegments(dir), [], 'the journal is taken in and deleted');
    });

    it('opens a stack that has only a journal, no memory.db yet', () => {
      const j = journal();
      j.record(log('api', T0, 'only in the journal'));
      j.close();
      assert.equal(existsSync(dbFile), false);
      const s = openMemoryInProcess(opsdeck, { clock });
      stores.push(s);
      assert.equal(s.search({ text: 'journal' }).length, 1);
      assert.equal(existsSync(dbFile), true);
    });
  });
});
