/**
 * A pack written to its file as it fills (the format is pack.ts's), with synchronous file calls:
 * how a repository worker thread (worker-thread.ts) stores the blobs it encodes, so that blob
 * bytes never travel to the main thread and never pile up in memory. They go through one staging
 * buffer (reused) into a temporary file under tmp/, which is renamed data/<xx>/<id> once the pack
 * is full or the backup ends. The thread does not wait for the disk: the main thread fsyncs the
 * pack and its folder before an index names it (PackWriter.adopt and checkpoint, backup-pack.ts).
 * A crash before that leaves a pack no index names, which prune removes.
 *
 * Memory of one writer: the staging buffer and the blob table of the pack being filled (one
 * small object per blob, about packSize / 4 KiB of them at most), whatever the size of the backup.
 */
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import { tmpPath } from './fsutil';
import { HEADER_LEN, header, newPackId, packPath, trailerAndFooter, trailerPlain, type PackBlob } from './pack';

/** A pack this writer completed: its blob table as the trailer holds it (pack.ts, tablePack). */
export interface WrittenPack {
  id: string;
  size: number;
  table: Buffer;
  sha256?: string;
}

/** Blob bytes gathered before one write. */
const STAGE_BYTES = 1024 * 1024;

export class PackFileWriter {
  private fd = -1;
  private tmp = '';
  private blobs: PackBlob[] = [];
  private size = 0;
  private hash: Hash | undefined;
  private readonly stage = Buffer.allocUnsafeSlow(STAGE_BYTES);
  private staged = 0;

  constructor(
    private readonly repoDir: string,
    private readonly packSize: number,
    private readonly key: Buffer | undefined,
    /** Count the packs, write nothing. */
    private readonly dryRun: boolean,
    /** Record each pack's SHA-256 (pack.ts, packHashNeeded). */
    private readonly hashed: boolean,
  ) {}

  /** Append a stored blob, given in its pieces (blob.ts encodeBlobPartsSync); returns the pack it completed, if it did. */
  add(id: string, parts: readonly Uint8Array[], rawLength: number): WrittenPack | undefined {
    if (this.blobs.length === 0) this.open();
    const offset = this.size;
    for (const part of parts) this.append(part);
    this.blobs.push({ id, offset, length: this.size - offset, rawLength });
    return this.size >= this.packSize ? this.close() : undefined;
  }

  /** Write out the pack being filled, if any (the end of a backup). */
  finish(): WrittenPack | undefined {
    return this.blobs.length ? this.close() : undefined;
  }

  /** Give up the pack being filled (a failed backup): its temporary file is removed. */
  abandon(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
    if (this.tmp) fs.rmSync(this.tmp, { force: true });
    this.tmp = '';
    this.blobs = [];
  }

  private open(): void {
    this.size = 0;
    this.staged = 0;
    this.hash = this.hashed ? createHash('sha256') : undefined;
    if (!this.dryRun) {
      this.tmp = tmpPath(this.repoDir, 'pack');
      this.fd = fs.openSync(this.tmp, 'wx', 0o600);
    }
    this.append(header());
    if (this.size !== HEADER_LEN) throw new Error('pack header length');
  }

  private append(bytes: Uint8Array): void {
    this.hash?.update(bytes);
    this.size += bytes.length;
    if (this.dryRun) return;
    if (this.staged + bytes.length > this.stage.length) this.flushStage();
    if (bytes.length >= this.stage.length) {
      writeAllSync(this.fd, bytes);
      return;
    }
    this.stage.set(bytes, this.staged);
    this.staged += bytes.length;
  }

  private flushStage(): void {
    if (this.staged) writeAllSync(this.fd, this.stage.subarray(0, this.staged));
    this.staged = 0;
  }

  private close(): WrittenPack {
    const table = trailerPlain(this.blobs);
    for (const part of trailerAndFooter(this.blobs, this.key, table)) this.append(part);
    const id = newPackId();
    if (!this.dryRun) {
      this.flushStage();
      fs.closeSync(this.fd);
      this.fd = -1;
      fs.renameSync(this.tmp, packPath(this.repoDir, id));
      this.tmp = '';
    }
    this.blobs = [];
    const sha256 = this.hash?.digest('hex');
    return { id, size: this.size, table, ...(sha256 ? { sha256 } : {}) };
  }
}

function writeAllSync(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
}
