/**
 * The repository object behind the public API (index.ts): init and open, listings, diff, forget,
 * stats. Backup, restore, verify and prune live in their own files and receive this object.
 *
 * Layout of a repository folder:
 *
 *   config              JSON, written once at init (atomically, last)
 *   data/00 … data/ff/  pack files, named by 32 random bytes in hex
 *   index/              index files, named by the SHA-256 of their content
 *   snapshots/          snapshot manifests, named by their id
 *   tmp/                files being written (renamed into place once durable)
 *   lock                the writers' lock, while a backup, forget or prune runs
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OpsError } from '../../errors';
import { DEFAULT_CHUNKER, makeCutter, type Cutter } from './chunker';
import { describeKeySource, newEncryption, openEncryption, resolveKey } from './crypto';
import { fsyncDir, listDir, removeFile, TMP_DIR, writeFileDurable } from './fsutil';
import type {
  BackupOptions,
  BackupRepository,
  BackupResult,
  BackupSource,
  ForgetOptions,
  ForgetResult,
  GroupBy,
  InitOptions,
  KeptSnapshot,
  OpenOptions,
  PruneOptions,
  PruneReport,
  RepoConfig,
  RepoLockInfo,
  RepoStats,
  RestoreOptions,
  RestoreReport,
  RetentionPolicy,
  Snapshot,
  SnapshotListing,
  SnapshotDiff,
  SnapshotEntry,
  SnapshotInfo,
  SnapshotMeta,
  VerifyOptions,
  VerifyReport,
} from './model';
import { BlobReader } from './blob-reader';
import { expandChunkLists, listUnreadable, parseChunkList, readListBlob } from './chunk-lists';
import { MasterIndex } from './index-store';
import { acquireRepoLock, lockAlive, readLockInfo, type HeldLock } from './lock';
import { applyRetention, isEmptyPolicy } from './retention';
import { infoOf, listSnapshotIds, parseSnapshot, readSnapshot, resolveSnapshotId, SNAPSHOT_DIR } from './snapshot';
import { runBackup } from './backup';
import { runRestore, readSnapshotFile } from './restore';
import { runVerify } from './verify';
import { runPrune } from './prune';
import type { ChunkListReader, RepoHandle } from './handle';

export const DEFAULT_PACK_SIZE = 16 * 1024 * 1024;
/**
 * Chosen by measurement (docs/backup-repository.md): brotli quality 0 compresses logs better than
 * deflate 1 at ~2.5x its speed, and ~1.5x as fast as quality 1 for ~5 % more bytes stored. A
 * repository keeps the setting it was created with.
 */
export const DEFAULT_COMPRESSION = { codec: 'brotli', level: 0 } as const;
const SKELETON = new Set(['config', 'data', 'index', 'snapshots', TMP_DIR, 'lock']);
/** The repository's folders are owner-only, as its files (they name the stack's files and hold their data). */
const DIR_MODE = 0o700;

export async function isRepository(dir: string): Promise<boolean> {
  try {
    const c = JSON.parse(await fs.readFile(join(dir, 'config'), 'utf8')) as Partial<RepoConfig>;
    return c.format === 'opsdeck-backup';
  } catch {
    return false;
  }
}

export class Repository implements BackupRepository, RepoHandle {
  readonly dir: string;
  readonly cutter: Cutter;
  /**
   * The manifests this object parsed, by id, with the SHA-256 of the bytes they were parsed from:
   * a backup lists the snapshots three times (the manager's SQLite fingerprints, the parent, the
   * check after it), and parsing a manifest of tens of thousands of chunks is what costs; the file
   * is still read every time, and parsed again unless its bytes are the same.
   */
  private parsed = new Map<string, { digest: string; snapshot: Snapshot; withChunks: boolean }>();
  /**
   * The index as last loaded, with what identifies its files (name, size, times): index files are
   * named by their content and never rewritten, so the same files mean the same index (a backup
   * adds its own packs to it); a file damaged in place changes its times and is read again.
   */
  private index: { files: string; index: MasterIndex } | undefined;
  /**
   * Chunk lists read (chunk-lists.ts), by blob id, as their bytes (32 per id: a hex string per id
   * costs ~4× the memory and work for the collector): content-addressed, so they never go stale.
   */
  private readonly lists = new Map<string, Promise<Buffer>>();

  private constructor(
    dir: string,
    readonly config: RepoConfig,
    /** The master key when encrypted. */
    readonly key: Buffer | undefined,
  ) {
    this.dir = resolve(dir);
    const seed = key ? createHmac('sha256', key).update('opsdeck chunker seed').digest().readUInt32LE(0) : config.chunker.seed;
    this.cutter = makeCutter({ ...config.chunker, seed });
  }

  get encrypted(): boolean {
    return this.config.encryption !== undefined;
  }

  // ------------------------------------------------------------ init / open

  static async init(dir: string, options: InitOptions): Promise<Repository> {
    dir = resolve(dir);
    await fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
    if (await isRepository(dir)) {
      throw new OpsError('BACKUP_REPO_EXISTS', `${dir} already holds a backup repository`, 'open it instead, or choose another folder with --repo');
    }
    const present = await listDir(dir);
    const foreign = present.filter((n) => !SKELETON.has(n));
    const hasData = (await listSnapshotIds(dir)).length > 0 || (await listDir(join(dir, 'index'))).length > 0;
    if (foreign.length || hasData) {
      throw new OpsError('BACKUP_REPO_EXISTS', `${dir} is not empty (${[...foreign, ...(hasData ? ['index/snapshots'] : [])].slice(0, 3).join(', ')})`, 'a repository is created in an empty folder; choose another with --repo');
    }
    const chunker = { ...DEFAULT_CHUNKER, ...options.chunker };
    makeCutter(chunker); // validates the sizes
    const config: RepoConfig = {
      format: 'opsdeck-backup',
      version: 1,
      id: randomBytes(16).toString('hex'),
      created: new Date().toISOString(),
      chunker,
      compression: options.compression ?? { ...DEFAULT_COMPRESSION },
      packSize: options.packSize ?? DEFAULT_PACK_SIZE,
    };
    let key: Buffer | undefined;
    if (options.encryption) {
      const source = options.encryption === true ? undefined : options.encryption;
      const secret = resolveKey(source);
      if (!secret) {
        throw new OpsError('BACKUP_KEY_REQUIRED', `an encrypted repository needs a key, and ${describeKeySource(source)} is not set`, 'set OPSDECK_BACKUP_KEY or backup.key_file, or create the repository without encryption');
      }
      const enc = await newEncryption(secret, options.kdfCost);
      config.encryption = enc.section;
      // the chunker seed is derived from the key (not stored) so boundaries do not leak content
      config.chunker = { ...config.chunker, seed: 0 };
      key = enc.masterKey;
    }
    await fs.mkdir(join(dir, 'data'), { recursive: true, mode: DIR_MODE });
    for (let i = 0; i < 256; i++) await fs.mkdir(join(dir, 'data', i.toString(16).padStart(2, '0')), { recursive: true, mode: DIR_MODE });
    for (const d of ['index', SNAPSHOT_DIR, TMP_DIR]) await fs.mkdir(join(dir, d), { recursive: true, mode: DIR_MODE });
    await fsyncDir(join(dir, 'data'));
    await fsyncDir(dir);
    // the config last: until it exists, the folder is not a repository
    await writeFileDurable(dir, join(dir, 'config'), [Buffer.from(JSON.stringify(config, null, 2) + '\n')], { exclusive: true });
    return new Repository(dir, config, key);
  }

  static async open(dir: string, options: OpenOptions): Promise<Repository> {
    dir = resolve(dir);
    let text: string;
    try {
      text = await fs.readFile(join(dir, 'config'), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
        throw new OpsError('BACKUP_REPO_NOT_FOUND', `no backup repository at ${dir}`, 'create one with `opsdeck backup init`, or point --repo at an existing one');
      }
      throw new OpsError('BACKUP_REPO_INVALID', `cannot read ${dir}/config: ${(e as Error).message}`, 'check the permissions of the repository folder');
    }
    let config: RepoConfig;
    try {
      config = JSON.parse(text) as RepoConfig;
    } catch {
      throw new OpsError('BACKUP_REPO_INVALID', `${dir}/config is not valid JSON`, 'the repository config is damaged; restore it from a copy of the repository');
    }
    if (config.format !== 'opsdeck-backup' || config.version !== 1 || !config.chunker || !config.compression) {
      throw new OpsError('BACKUP_REPO_INVALID', `${dir}/config is not an Opsdeck backup repository (version ${String(config.version)})`, 'use a newer Opsdeck, or point --repo at an Opsdeck repository');
    }
    let key: Buffer | undefined;
    if (config.encryption) {
      const secret = resolveKey(options.key);
      if (!secret) {
        throw new OpsError(
          'BACKUP_KEY_REQUIRED',
          `the backup repository ${dir} is encrypted and ${describeKeySource(options.key)} is not set`,
          'set OPSDECK_BACKUP_KEY, or backup.key_file in opsdeck.yaml, to the key the repository was created with',
        );
      }
      key = await openEncryption(config.encryption, secret, dir, describeKeySource(options.key));
    }
    return new Repository(dir, config, key);
  }

  // ------------------------------------------------------------ helpers for the operations

  lock(operation: string): HeldLock {
    return acquireRepoLock(this.dir, operation);
  }

  async loadIndex(): Promise<MasterIndex> {
    const files = await this.indexFiles();
    if (this.index && this.index.files === files) return this.index.index;
    const index = await MasterIndex.load(this.dir, this.key);
    // cached only when it read every file there was before and after loading
    this.index = index.unreadable.size === 0 && (await this.indexFiles()) === files ? { files, index } : undefined;
    return index;
  }

  /**
   * A backup (holding the lock) wrote index file `name` and added its packs to `index`, the one
   * loadIndex() gave it: that index stays the cached one, so the check after the backup does not
   * read every index file again.
   */
  async indexWritten(index: MasterIndex, name: string): Promise<void> {
    if (!index.files.includes(name)) index.files.push(name);
    if (this.index?.index === index) this.index = { files: await this.indexFiles(), index };
  }

  private async indexFiles(): Promise<string> {
    const dir = join(this.dir, 'index');
    const names = (await listDir(dir)).filter((n) => /^[0-9a-f]{64}$/.test(n)).sort();
    const stats = await Promise.all(names.map((n) => fs.stat(join(dir, n)).then((st) => `${n}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`, () => `${n}:gone`)));
    return stats.join(',');
  }

  /**
   * Every manifest, and those that cannot be read with the reason. With `chunks: false` the
   * entries that name their chunks through list blobs are left without `chunks` (no index or
   * pack is read): enough for what needs the manifests' other fields (listing, `latest`, the
   * parent of a backup, which withChunks() completes).
   */
  async loadSnapshots(opts: { chunks?: boolean } = {}): Promise<{ snapshots: Snapshot[]; unreadable: Map<string, string> }> {
    const withChunks = opts.chunks ?? true;
    const ids = await listSnapshotIds(this.dir);
    const unreadable = new Map<string, string>();
    const parsed = new Map<string, { digest: string; snapshot: Snapshot; withChunks: boolean }>();
    const lists = this.listReader();
    const loaded = await Promise.all(
      ids.map(async (id) => {
        try {
          const stored = await fs.readFile(join(this.dir, SNAPSHOT_DIR, id));
          const digest = createHash('sha256').update(stored).digest('hex');
          const known = this.parsed.get(id);
          const same = known?.digest === digest ? known : undefined;
          let snapshot = same?.snapshot ?? (await parseSnapshot(stored, id, this.key));
          if (withChunks && !same?.withChunks) snapshot = await this.expand(snapshot, lists);
          parsed.set(id, { digest, snapshot, withChunks: withChunks || !!same?.withChunks });
          return snapshot;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // removed meanwhile
          unreadable.set(id, (e as Error).message);
          return undefined;
        }
      }),
    );
    await lists.close();
    this.parsed = parsed; // only what is there now: a removed snapshot is forgotten
    const snapshots = loaded.filter((s): s is Snapshot => !!s).sort(byTime);
    return { snapshots, unreadable };
  }

  /**
   * Reads chunk lists (chunk-lists.ts) through the cache, opening the index and packs only when a
   * list is not in it; close() when done with the manifests at hand.
   */
  private listReader(): { read(id: string): Promise<string[]>; bytes(id: string): Promise<Buffer>; close(): Promise<void> } {
    let reader: Promise<BlobReader> | undefined;
    const bytes = (id: string): Promise<Buffer> => {
      let list = this.lists.get(id);
      if (!list) {
        reader ??= this.loadIndex().then((index) => new BlobReader(this.dir, index, this.key));
        list = reader.then((r) => readListBlob(r, id));
        list.catch(() => this.lists.delete(id));
        this.lists.set(id, list);
      }
      return list;
    };
    return {
      bytes,
      read: async (id) => parseChunkList(await bytes(id)),
      close: async () => {
        await (await reader?.catch(() => undefined))?.close();
      },
    };
  }

  chunkLists(): ChunkListReader {
    return this.listReader();
  }

  /** A manifest loaded with `chunks: false`, its chunks filled in (in place). */
  async withChunks(s: Snapshot): Promise<Snapshot> {
    const lists = this.listReader();
    try {
      return await this.expand(s, lists);
    } finally {
      await lists.close();
    }
  }

  /** A parsed manifest with the chunks of its list-named files filled in. */
  private async expand(s: Snapshot, lists: { read(id: string): Promise<string[]> }): Promise<Snapshot> {
    try {
      return await expandChunkLists(s, lists.read);
    } catch (e) {
      throw new Error(listUnreadable((e as Error).message));
    }
  }

  async resolveId(idOrPrefix: string): Promise<string> {
    const ids = await listSnapshotIds(this.dir);
    if (idOrPrefix !== 'latest') return resolveSnapshotId(ids, idOrPrefix);
    const { snapshots } = await this.loadSnapshots({ chunks: false });
    return resolveSnapshotId(ids, 'latest', () => snapshots.at(-1)?.id);
  }

  // ------------------------------------------------------------ public API

  backup(sources: BackupSource[], meta: SnapshotMeta, options: BackupOptions = {}): Promise<BackupResult> {
    return runBackup(this, sources, meta, options);
  }

  async prepareBackup(stack: string): Promise<void> {
    try {
      // both kept by this object: the index while its files stay the same, the lists for good
      await this.loadIndex();
      // the stack's newest manifest among those parsed by the last listing (the caller's, as a
      // rule); the manifests are listed only when none has been
      const parsed = [...this.parsed.values()].map((p) => p.snapshot);
      const all = parsed.length ? parsed.sort(byTime) : (await this.loadSnapshots({ chunks: false })).snapshots;
      const parent = all.filter((s) => s.stack === stack).at(-1);
      if (!parent) return;
      const lists = this.chunkLists();
      try {
        await Promise.all(parent.entries.flatMap((e) => e.chunkLists ?? []).map((id) => lists.bytes(id)));
      } finally {
        await lists.close();
      }
    } catch {
      // the backup reads it again and says what is wrong
    }
  }

  async snapshots(): Promise<SnapshotInfo[]> {
    return (await this.listing()).snapshots;
  }

  async listing(): Promise<SnapshotListing> {
    const { snapshots, unreadable } = await this.loadSnapshots({ chunks: false });
    return { snapshots: snapshots.map(infoOf), unreadable: [...unreadable].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, reason]) => ({ id, reason })) };
  }

  async snapshot(idOrPrefix: string): Promise<Snapshot> {
    const id = await this.resolveId(idOrPrefix);
    // `latest` was found by parsing every manifest a moment ago: that one is not read and parsed again
    const s = (idOrPrefix === 'latest' ? this.parsed.get(id)?.snapshot : undefined) ?? (await readSnapshot(this.dir, id, this.key));
    try {
      return await this.withChunks(s);
    } catch (e) {
      throw new OpsError('BACKUP_REPO_INVALID', `snapshot ${id.slice(0, 12)} cannot be read: ${(e as Error).message}`, 'run `opsdeck backups verify`; restore another snapshot');
    }
  }

  async diff(a: string, b: string): Promise<SnapshotDiff> {
    const [sa, sb] = await Promise.all([this.snapshot(a), this.snapshot(b)]);
    return diffSnapshots(sa, sb);
  }

  verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    return runVerify(this, options);
  }

  async forget(policy: RetentionPolicy, options: ForgetOptions = {}): Promise<ForgetResult> {
    if (isEmptyPolicy(policy)) {
      throw new OpsError('BACKUP_POLICY_INVALID', 'no retention policy given: forget would not know what to keep', 'give at least one --keep-* option (or backup.retention in opsdeck.yaml)');
    }
    const now = options.now === undefined ? Date.now() : typeof options.now === 'number' ? options.now : options.now.now();
    const held = options.dryRun ? undefined : this.lock('forget');
    try {
      const { snapshots } = await this.loadSnapshots({ chunks: false });
      const groupBy = options.groupBy ?? ['stack', 'profile', 'services'];
      const groups = new Map<string, SnapshotInfo[]>();
      for (const s of snapshots.map(infoOf)) {
        const key = groupKey(s, groupBy);
        const g = groups.get(key);
        if (g) g.push(s);
        else groups.set(key, [s]);
      }
      const result: ForgetResult = { dryRun: !!options.dryRun, time: new Date(now).toISOString(), groups: [], keep: [], remove: [] };
      for (const [key, list] of [...groups].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
        const r = applyRetention(list, policy, { ...options, now });
        result.groups.push({ key, keep: r.keep as KeptSnapshot[], remove: r.remove });
        result.keep.push(...(r.keep as KeptSnapshot[]));
        result.remove.push(...r.remove);
      }
      if (!options.dryRun && result.remove.length) await this.deleteSnapshots(result.remove.map((s) => s.id));
      return result;
    } finally {
      held?.release();
    }
  }

  async removeSnapshots(ids: string[], options: { dryRun?: boolean } = {}): Promise<SnapshotInfo[]> {
    const held = options.dryRun ? undefined : this.lock('forget');
    try {
      const all = await listSnapshotIds(this.dir);
      const resolved = [...new Set(ids.map((i) => resolveSnapshotId(all, i)))];
      const infos = await Promise.all(resolved.map(async (id) => infoOf(await readSnapshot(this.dir, id, this.key))));
      if (!options.dryRun) await this.deleteSnapshots(resolved);
      return infos;
    } finally {
      held?.release();
    }
  }

  private async deleteSnapshots(ids: string[]): Promise<void> {
    for (const id of ids) await removeFile(join(this.dir, SNAPSHOT_DIR, id));
    await fsyncDir(join(this.dir, SNAPSHOT_DIR));
  }

  prune(options: PruneOptions = {}): Promise<PruneReport> {
    return runPrune(this, options);
  }

  restore(snapshot: string | Snapshot, options: RestoreOptions): Promise<RestoreReport> {
    return runRestore(this, snapshot, options);
  }

  readFile(snapshotId: string, service: string, path: string): AsyncIterable<Buffer> {
    return readSnapshotFile(this, snapshotId, service, path);
  }

  async stats(): Promise<RepoStats> {
    const index = await this.loadIndex();
    const { rawBytes, storedBytes } = index.totals();
    return {
      snapshots: (await listSnapshotIds(this.dir)).length,
      packs: index.packs.size,
      indexFiles: index.files.length,
      blobs: index.blobCount,
      rawBytes,
      storedBytes,
      diskBytes: await duBytes(this.dir),
    };
  }

  async lockHolder(): Promise<(RepoLockInfo & { alive: boolean }) | undefined> {
    const info = readLockInfo(this.dir);
    return info ? { ...info, alive: lockAlive(info) } : undefined;
  }
}

const byTime = (a: { time: string; id: string }, b: { time: string; id: string }) =>
  Date.parse(a.time) - Date.parse(b.time) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function groupKey(s: SnapshotInfo, by: GroupBy[]): string {
  const parts: string[] = [];
  for (const g of by) {
    if (g === 'stack') parts.push(`stack=${s.stack}`);
    else if (g === 'profile') parts.push(`profile=${s.profile}`);
    else if (g === 'hostname') parts.push(`host=${s.hostname}`);
    else if (g === 'services') parts.push(`services=${[...s.services].sort().join(',')}`);
    else parts.push(`tags=${[...s.tags].sort().join(',')}`);
  }
  return parts.join(' ');
}

/**
 * Two entries of a file hold the same bytes: same size, and the same SHA-256 where both recorded
 * one (older snapshots), else the same chunks in the same order (a file is its chunks' ids).
 */
function sameContent(a: SnapshotEntry, b: SnapshotEntry): boolean {
  if (a.size !== b.size) return false;
  if (a.sha256 && b.sha256) return a.sha256 === b.sha256;
  const x = a.chunks ?? [];
  const y = b.chunks ?? [];
  return x.length === y.length && x.every((id, i) => id === y[i]);
}

export function diffSnapshots(a: Snapshot, b: Snapshot): SnapshotDiff {
  const key = (e: { service: string; path: string }) => `${e.service}\0${e.path}`;
  const before = new Map(a.entries.map((e) => [key(e), e]));
  const out: SnapshotDiff = { a: a.id, b: b.id, added: [], removed: [], changed: [], unchanged: 0, bytesAdded: 0, bytesRemoved: 0 };
  const seen = new Set<string>();
  for (const e of b.entries) {
    const k = key(e);
    seen.add(k);
    const o = before.get(k);
    if (!o) {
      out.added.push({ service: e.service, path: e.path, type: e.type, size: e.size });
      out.bytesAdded += e.type === 'file' ? e.size : 0;
      continue;
    }
    const what: SnapshotDiff['changed'][number]['what'] = [];
    if (o.type !== e.type) what.push('type');
    else if (e.type === 'file' && !sameContent(o, e)) what.push('content');
    if (e.type === 'symlink' && o.type === 'symlink' && o.linkTarget !== e.linkTarget) what.push('target');
    if (o.mode !== e.mode) what.push('mode');
    if (o.mtime !== e.mtime && e.type !== 'dir') what.push('mtime');
    if (what.length) {
      out.changed.push({ service: e.service, path: e.path, type: e.type, sizeBefore: o.size, sizeAfter: e.size, what });
      if (what.includes('content') || what.includes('type')) {
        out.bytesAdded += e.type === 'file' ? e.size : 0;
        out.bytesRemoved += o.type === 'file' ? o.size : 0;
      }
    } else {
      out.unchanged++;
    }
  }
  for (const [k, o] of before) {
    if (seen.has(k)) continue;
    out.removed.push({ service: o.service, path: o.path, type: o.type, size: o.size });
    out.bytesRemoved += o.type === 'file' ? o.size : 0;
  }
  return out;
}

async function duBytes(dir: string): Promise<number> {
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) total += (await fs.stat(p)).size;
    }
  };
  await walk(dir);
  return total;
}

