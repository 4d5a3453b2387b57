/**
 * Taking the journal into memory.db: each complete segment (journal.ts) in order, as one
 * transaction that also records the segment's name (MemoryStore.ingest), then the segment file is
 * deleted. A crash at any point loses nothing and writes nothing twice: the segment memory.db
 * names as its last is only deleted (a crash came between its commit and its deletion).
 */
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { journalDir, journalSegments, readSegment } from './journal';
import { MemoryStore, type MemoryStoreOptions } from './memory-store';

export interface IngestResult {
  /** Segments taken in (or found already in, and deleted). */
  segments: number;
  rows: number;
  /** Lines that were not whole rows (cut short by a kill), skipped. */
  skipped: number;
}

/** Take the journal's segments in `dir` up to number `upTo` (default: all of them) into `store`. */
export function ingestJournal(store: MemoryStore, dir: string, upTo = Number.MAX_SAFE_INTEGER): IngestResult {
  const result: IngestResult = { segments: 0, rows: 0, skipped: 0 };
  const last = store.journalSegment();
  for (const s of journalSegments(dir)) {
    if (s.seq > upTo) break;
    if (s.name !== last) {
      const { rows, bad } = readSegment(s.path);
      store.ingest(rows, s.name);
      result.rows += rows.length;
      result.skipped += bad;
    }
    try {
      unlinkSync(s.path);
    } catch {
      // already gone
    }
    result.segments++;
  }
  return result;
}

/**
 * Open the memory of the stack whose `.opsdeck` folder is `opsdeckDir` in this process, with the
 * journal taken in: for a command that runs when no engine owns the stack (nobody else can have
 * the file open, so a SQLite lock left by a killed process is stale).
 */
export function openMemoryInProcess(opsdeckDir: string, opts: MemoryStoreOptions = {}): MemoryStore {
  const store = MemoryStore.open(join(opsdeckDir, 'memory.db'), { ...opts, breakStaleLock: true });
  try {
    ingestJournal(store, journalDir(opsdeckDir));
  } catch (err) {
    store.close();
    throw err;
  }
  return store;
}
