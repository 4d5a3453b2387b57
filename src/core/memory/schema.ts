/**
 * The layout of memory.db and its migrations, versioned with `PRAGMA user_version`.
 *
 * `events` holds one row per engine event or log line. `events_fts` is an FTS5 index over its
 * text, service and kind with external content (`content='events'`): the words are indexed once
 * and the text is stored once, in `events`; snippet() and highlight() read it from there. Triggers
 * keep the index in step with every insert and delete, so retention only deletes from `events`.
 * `meta` (v2) holds a few keys about the file, e.g. how far the journal has been written in.
 */
import type { Database } from 'node-sqlite3-wasm';

export const SCHEMA_VERSION = 2;

/**
 * `porter unicode61`: words are case- and accent-insensitive and stemmed, so `crash` also finds
 * "crashed" and "crashing", and `connection` finds "connecting". Anything that is not a letter or
 * digit separates words, so `127.0.0.1:7101` is the phrase 127 0 0 1 7101.
 */
export const TOKENIZER = 'porter unicode61 remove_diacritics 2';

const V1 = `
CREATE TABLE events (
  id      INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, so an id a client holds stays meaningful
  at      INTEGER NOT NULL,                  -- epoch ms of the event
  at_max  INTEGER NOT NULL,                  -- max(at) of this row and all before it (see below)
  service TEXT    NOT NULL,
  kind    TEXT    NOT NULL,                  -- the event type: log, state, restart, … (free text, new kinds come)
  text    TEXT    NOT NULL,                  -- the one-line human text, secrets redacted
  data    TEXT    NOT NULL                   -- the event's other fields as JSON (see memory-store.ts)
);
CREATE INDEX events_service ON events (service);
CREATE INDEX events_kind ON events (kind);
-- Rows are appended in recording order and at_max never decreases with id, so a time range maps
-- to an id range with one seek in this index; rows recorded out of time order ("late" rows,
-- at < at_max, normally none) are found through the small partial index.
CREATE INDEX events_at_max ON events (at_max);
CREATE INDEX events_late ON events (at) WHERE at < at_max;

CREATE VIRTUAL TABLE events_fts USING fts5 (
  text, service, kind,
  content = 'events', content_rowid = 'id',
  tokenize = '${TOKENIZER}'
);
CREATE TRIGGER events_ai AFTER INSERT ON events BEGIN
  INSERT INTO events_fts (rowid, text, service, kind) VALUES (new.id, new.text, new.service, new.kind);
END;
CREATE TRIGGER events_ad AFTER DELETE ON events BEGIN
  INSERT INTO events_fts (events_fts, rowid, text, service, kind) VALUES ('delete', old.id, old.text, old.service, old.kind);
END;
CREATE TRIGGER events_au AFTER UPDATE ON events BEGIN
  INSERT INTO events_fts (events_fts, rowid, text, service, kind) VALUES ('delete', old.id, old.text, old.service, old.kind);
  INSERT INTO events_fts (rowid, text, service, kind) VALUES (new.id, new.text, new.service, new.kind);
END;
`;

/** v2: small facts about the file; `journal_segment` names the last journal segment written in (ingest.ts). */
const V2 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
`;

/** Migrations by the version they produce; each runs in its own transaction. */
const MIGRATIONS: Record<number, string> = { 1: V1, 2: V2 };

/**
 * Bring a database to SCHEMA_VERSION. Returns the version it had (0 for a new file). Throws a
 * plain Error for a file written by a newer Opsdeck; the store turns it into an OpsError.
 */
export function migrate(db: Database): number {
  const from = Number(db.get('PRAGMA user_version')?.user_version ?? 0);
  if (from > SCHEMA_VERSION) throw new NewerSchemaError(from);
  if (from === 0) {
    // Only takes effect before the first table exists; lets retention by size give pages back.
    db.exec('PRAGMA auto_vacuum = INCREMENTAL');
  }
  for (let v = from + 1; v <= SCHEMA_VERSION; v++) {
    db.exec('BEGIN');
    try {
      db.exec(MIGRATIONS[v]!);
      db.exec(`PRAGMA user_version = ${v}`);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
  return from;
}

export class NewerSchemaError extends Error {
  constructor(readonly version: number) {
    super(`memory.db has schema version ${version}, newer than this Opsdeck understands (${SCHEMA_VERSION})`);
  }
}
