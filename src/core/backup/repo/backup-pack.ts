/**
 * Backup stages pack and index: the chunks the repository does not have yet are encoded
 * (compressed on the thread pool, encrypted) and appended to packs, or were stored by a worker
 * thread in a pack of its own (pack-file.ts), which joins the others here; every INDEX_EVERY_PACKS packs, and once at the end, the packs written so far are made
 * durable and an index file names them (packs before index, so an index never names a pack that
 * is not on disk).
 */
import type { BackupRun } from './backup-run';
import { encodeBlob } from './blob';
import type { MasterIndex } from './index-store';
import { writeIndexFile } from './index-store';
import { packHashNeeded, PackWriter, TRAILER_ENTRY_LEN, type PackInfo } from './pack';
import type { RepoHandle } from './handle';

const MAX_ENCODING = 8;
const INDEX_EVERY_PACKS = 64;

export class BackupPacks {
  readonly packs: PackWriter;
  /** Chunks on their way into a pack. */
  private readonly pending = new Set<string>();
  private readonly encoding = new Set<Promise<void>>();
  private encodeError: unknown;
  private indexing: Promise<void> | undefined;
  /** The packs this run wrote and indexed, by id (the check after the backup reads their trailers). */
  readonly indexed: string[] = [];

  constructor(
    private readonly repo: RepoHandle,
    private readonly index: MasterIndex,
    private readonly run: BackupRun,
    private readonly dryRun: boolean,
  ) {
    this.packs = new PackWriter(repo.dir, repo.config.packSize, repo.key, dryRun, () => void run.summary.packsWritten++, packHashNeeded(repo.config.compression));
  }

  /** Is the chunk in the repository already, or on its way there? */
  has(id: string): boolean {
    return this.index.has(id) || this.pending.has(id);
  }

  /** A failure of an encoding in the background, if any. */
  throwIfFailed(): void {
    if (this.encodeError) throw this.encodeError;
  }

  /** A new chunk read on this thread (a view: copied here): encoded in the background, at most MAX_ENCODING at a time. */
  async store(id: string, chunk: Buffer): Promise<void> {
    this.pending.add(id);
    this.run.summary.chunksNew++;
    while (this.encoding.size >= MAX_ENCODING) await Promise.race(this.encoding);
    const plain = Buffer.from(chunk); // the chunker reuses its buffer
    const job = (async () => {
      const blob = await encodeBlob(plain, this.repo.config.compression, this.repo.key);
      this.run.summary.bytesAdded += blob.length;
      await this.packs.add(id, blob);
    })().catch((e) => {
      this.encodeError ??= e;
    });
    this.encoding.add(job);
    void job.finally(() => this.encoding.delete(job));
  }

  /**
   * A pack a worker thread wrote (pack-file.ts): its blobs are stored (a chunk two threads met at
   * once is in two packs; the index keeps one, prune drops the other), and the pack waits for the
   * next index like the packs written here.
   */
  async addWritten(p: PackInfo): Promise<void> {
    if (p.table) {
      // no string per blob: the table's ids are looked up as bytes. The threads claimed their
      // blobs from one another (known-ids.ts), so these are new to this backup; once that table
      // was full, a blob two threads met at once counts twice, and a chunk the calling thread
      // reads later (a dump) may be stored once more (the index keeps one copy, prune drops the other).
      const t = p.table;
      for (let o = 0; o < t.length; o += TRAILER_ENTRY_LEN) {
        if (!this.index.hasBytes(t, o + 1)) this.run.summary.chunksNew++;
        this.run.summary.bytesAdded += t.readUInt32LE(o + 37);
      }
    } else {
      for (const b of p.blobs) {
        if (!this.has(b.id)) {
          this.pending.add(b.id);
          this.run.summary.chunksNew++;
        }
        this.run.summary.bytesAdded += b.length;
      }
    }
    this.packs.adopt(p);
    await this.maybeIndex();
  }

  /** Write an index file once enough packs are waiting for one. */
  async maybeIndex(): Promise<void> {
    if (this.packs.written.length >= INDEX_EVERY_PACKS && !this.indexing) await this.indexDurable(false);
  }

  /** Make the packs written so far durable and index them (with `flushPartial`, the pack being filled too). */
  async indexDurable(flushPartial: boolean): Promise<void> {
    while (this.indexing) await this.indexing;
    this.indexing = (async () => {
      const done = await this.packs.checkpoint(flushPartial);
      if (done.length && !this.dryRun) {
        const name = await writeIndexFile(this.repo.dir, done, this.repo.key);
        for (const p of done) {
          this.index.addPack(p, name);
          this.indexed.push(p.id);
        }
        await this.repo.indexWritten(this.index, name);
      }
    })();
    try {
      await this.indexing;
    } finally {
      this.indexing = undefined;
    }
  }

  /** Wait for every encoding in flight; throws the first failure. */
  async drain(): Promise<void> {
    while (this.encoding.size) await Promise.race(this.encoding);
    this.throwIfFailed();
  }

  /** After a failure: wait for what is in flight, ignoring its errors. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.encoding]);
    await this.packs.settle();
  }
}
