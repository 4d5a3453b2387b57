/** Reads blobs out of pack files through a small cache of open file handles. */
import { webcrypto } from 'node:crypto';
import fs from 'node:fs/promises';
import { OpsError } from '../../errors';
import { BlobDecodeError, decodeBlob } from './blob';
import type { BlobLocation, MasterIndex } from './index-store';
import { packPath } from './pack';

const MAX_OPEN = 32;

interface Handle {
  fh: Promise<fs.FileHandle>;
  users: number;
  evicted: boolean;
}

export class BlobReader {
  private handles = new Map<string, Handle>();

  constructor(
    private readonly repoDir: string,
    private readonly index: MasterIndex,
    private readonly key: Buffer | undefined,
  ) {}

  /** Run `fn` with the pack's open file handle (opened on first use, at most MAX_OPEN kept open). */
  private async withHandle<T>(pack: string, fn: (fh: fs.FileHandle) => Promise<T>): Promise<T> {
    let h = this.handles.get(pack);
    if (h) {
      this.handles.delete(pack); // Map order = least recently used first
      this.handles.set(pack, h);
    } else {
      if (this.handles.size >= MAX_OPEN) {
        const [oldest, old] = this.handles.entries().next().value as [string, Handle];
        this.handles.delete(oldest);
        old.evicted = true;
        if (old.users === 0) void old.fh.then((fh) => fh.close()).catch(() => undefined);
      }
      const fh = fs.open(packPath(this.repoDir, pack), 'r');
      h = { fh, users: 0, evicted: false };
      const mine = h;
      fh.catch(() => {
        if (this.handles.get(pack) === mine) this.handles.delete(pack);
      });
      this.handles.set(pack, h);
    }
    h.users++;
    try {
      return await fn(await h.fh);
    } finally {
      h.users--;
      if (h.evicted && h.users === 0) void h.fh.then((fh) => fh.close()).catch(() => undefined);
    }
  }

  location(id: string): BlobLocation {
    const loc = this.index.get(id);
    if (!loc) {
      throw new OpsError('BACKUP_DATA_MISSING', `chunk ${id.slice(0, 12)} is not in the repository index`, 'run `opsdeck backups verify` to see which snapshots and files are affected');
    }
    return loc;
  }

  /** The stored (encoded) bytes of a blob. */
  async readStored(id: string, loc = this.location(id)): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(loc.length);
    let bytesRead: number;
    try {
      ({ bytesRead } = await this.withHandle(loc.pack, (fh) => fh.read(buf, 0, loc.length, loc.offset)));
    } catch (e) {
      throw new OpsError(
        'BACKUP_DATA_MISSING',
        `pack ${loc.pack.slice(0, 12)} (chunk ${id.slice(0, 12)}) cannot be read: ${(e as Error).message}`,
        'run `opsdeck backups verify` to see which snapshots and files are affected',
        { chunk: id, pack: loc.pack },
      );
    }
    if (bytesRead !== loc.length) {
      throw new OpsError('BACKUP_DATA_CORRUPT', `pack ${loc.pack.slice(0, 12)} is truncated (chunk ${id.slice(0, 12)})`, 'run `opsdeck backups verify --read-data`', { chunk: id, pack: loc.pack });
    }
    return buf;
  }

  /**
   * A blob's plaintext; with `check`, its SHA-256 is compared with its id (hashed on the thread
   * pool through WebCrypto, so the main thread stays free).
   */
  async read(id: string, check = false): Promise<Buffer> {
    const loc = this.location(id);
    const stored = await this.readStored(id, loc);
    let plain: Buffer;
    try {
      plain = await decodeBlob(stored, this.key, loc.rawLength);
    } catch (e) {
      if (e instanceof BlobDecodeError) throw corrupt(id, loc.pack, e.message);
      throw e;
    }
    if (plain.length !== loc.rawLength) throw corrupt(id, loc.pack, `length ${plain.length}, expected ${loc.rawLength}`);
    if (check && Buffer.from(await webcrypto.subtle.digest('SHA-256', plain)).toString('hex') !== id) {
      throw corrupt(id, loc.pack, 'content does not match its hash');
    }
    return plain;
  }

  async close(): Promise<void> {
    const hs = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(hs.map((h) => h.fh.then((fh) => fh.close()).catch(() => undefined)));
  }
}

function corrupt(id: string, pack: string, why: string): OpsError {
  return new OpsError('BACKUP_DATA_CORRUPT', `chunk ${id.slice(0, 12)} in pack ${pack.slice(0, 12)} is damaged: ${why}`, 'run `opsdeck backups verify --read-data` to see which snapshots and files are affected', { chunk: id, pack });
}
