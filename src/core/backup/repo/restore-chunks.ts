/**
 * A file's chunks as a restore job carries them to a worker thread: one table of bytes, 52 a
 * chunk (its id, 32 bytes; the number of its pack in `packs`, its stored and plain lengths, u32
 * each; its offset in the pack, a float64), instead of an object with a hex id and a pack path per
 * chunk. A 151 MiB SQLite database is ~37 000 chunks of 4 KiB: as objects they were ~6 MiB on the
 * main thread, as many again in the thread once cloned, and the clone's time; as a table, 1.9 MiB
 * copied once. The thread compares each chunk's hash with its id as bytes (no hex per chunk).
 */

/** Where one blob is: its pack file, offset and stored length, and its plain length. */
export interface ChunkPlace {
  pack: string;
  offset: number;
  length: number;
  rawLength: number;
}

/** A file's chunks, in order, for a restore job (structured-clone friendly). */
export interface RestoreChunks {
  /** The pack files the chunks lie in, each once. */
  packs: string[];
  /** CHUNK_ROW bytes per chunk. */
  table: Uint8Array;
}

const CHUNK_ROW = 52;
const ID = 32;

/** The table for the chunks `ids` (hex SHA-256), each placed by `place`. */
export function restoreChunks(ids: readonly string[], place: (id: string) => ChunkPlace): RestoreChunks {
  const table = new Uint8Array(ids.length * CHUNK_ROW);
  const view = new DataView(table.buffer);
  const packs: string[] = [];
  const packNo = new Map<string, number>();
  const bytes = Buffer.from(table.buffer);
  ids.forEach((id, i) => {
    const at = i * CHUNK_ROW;
    if (bytes.write(id, at, ID, 'hex') !== ID) throw new Error(`not a chunk id: ${id}`);
    const p = place(id);
    let n = packNo.get(p.pack);
    if (n === undefined) {
      n = packs.length;
      packs.push(p.pack);
      packNo.set(p.pack, n);
    }
    view.setUint32(at + ID, n);
    view.setUint32(at + ID + 4, p.length);
    view.setUint32(at + ID + 8, p.rawLength);
    view.setFloat64(at + ID + 12, p.offset);
  });
  return { packs, table };
}

/**
 * What a restore job wrote: the file's size, and its whole SHA-256 when the snapshot recorded one
 * (older snapshots) and it was hashed as it was written. Every chunk was hashed against its id
 * before it was written, so a job that returns wrote the backed-up bytes.
 */
export interface RestoredFile {
  size: number;
  sha256?: string;
}

/** Reading a RestoreChunks table: chunk `i`'s fields, its id as bytes or hex. */
export class RestoreChunkTable {
  readonly count: number;
  private readonly view: DataView;
  private readonly bytes: Buffer;

  constructor(private readonly chunks: RestoreChunks) {
    this.count = chunks.table.length / CHUNK_ROW;
    this.view = new DataView(chunks.table.buffer, chunks.table.byteOffset, chunks.table.byteLength);
    this.bytes = Buffer.from(chunks.table.buffer, chunks.table.byteOffset, chunks.table.byteLength);
  }

  /** The number of chunk `i`'s pack (packs with the same number are the same file). */
  packNo(i: number): number {
    return this.view.getUint32(i * CHUNK_ROW + ID);
  }

  pack(i: number): string {
    return this.chunks.packs[this.packNo(i)]!;
  }

  length(i: number): number {
    return this.view.getUint32(i * CHUNK_ROW + ID + 4);
  }

  rawLength(i: number): number {
    return this.view.getUint32(i * CHUNK_ROW + ID + 8);
  }

  offset(i: number): number {
    return this.view.getFloat64(i * CHUNK_ROW + ID + 12);
  }

  /** Is `digest` (a SHA-256, 32 bytes) chunk `i`'s id? */
  is(i: number, digest: Uint8Array): boolean {
    const at = i * CHUNK_ROW;
    return this.bytes.compare(digest, 0, ID, at, at + ID) === 0;
  }

  /** Chunk `i`'s id in hex (for messages). */
  id(i: number): string {
    const at = i * CHUNK_ROW;
    return this.bytes.toString('hex', at, at + ID);
  }
}
