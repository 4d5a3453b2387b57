/**
 * Snapshot manifests: `snapshots/<id>`, compact JSON (sealed with the repository key when the
 * repository is encrypted), written atomically and last. The id is the SHA-256 of the manifest
 * (as stored) with an empty id field. Version 1: every file lists its chunks; version 2 (written
 * when a file has more than LIST_MIN_CHUNKS chunks): such a file names list blobs instead
 * (chunk-lists.ts), which the Repository reads back when it loads the manifest. Both are read;
 * an Opsdeck that knows only version 1 refuses a version 2 manifest as unreadable, by its version.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { OpsError } from '../../errors';
import { decodeBlob, encodeDocument } from './blob';
import { storedForm } from './chunk-lists';
import { listDir, writeFileDurable } from './fsutil';
import type { Snapshot, SnapshotInfo } from './model';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

const entrySchema = z.object({
  path: z.string(),
  service: z.string(),
  type: z.enum(['file', 'dir', 'symlink']),
  mode: z.number().int().nonnegative(),
  mtime: z.number(),
  size: z.number().int().nonnegative(),
  sha256: hex64.optional(),
  chunks: z.array(hex64).optional(),
  chunkLists: z.array(hex64).min(1).optional(),
  linkTarget: z.string().optional(),
});

const summarySchema = z.object({
  filesNew: z.number(),
  filesChanged: z.number(),
  filesUnchanged: z.number(),
  dirs: z.number(),
  symlinks: z.number(),
  bytesTotal: z.number(),
  bytesRead: z.number(),
  bytesAdded: z.number(),
  chunksNew: z.number(),
  chunksTotal: z.number(),
  packsWritten: z.number(),
  durationMs: z.number(),
});

export const snapshotSchema = z.object({
  format: z.literal('opsdeck-snapshot'),
  version: z.union([z.literal(1), z.literal(2)]),
  id: hex64,
  time: z.string(),
  stack: z.string(),
  profile: z.string(),
  services: z.array(z.string()),
  sources: z.array(z.object({ service: z.string(), root: z.string().optional() })),
  configHash: z.string(),
  gitCommit: z.string().optional(),
  opsdeckVersion: z.string(),
  tags: z.array(z.string()),
  hostname: z.string(),
  parent: z.string().optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
  entries: z.array(entrySchema),
  summary: summarySchema,
}).superRefine((s, ctx) => {
  // version 1 knows no lists; version 2 stores an entry's chunks inline or through lists, not both
  s.entries.forEach((e, i) => {
    if (e.chunkLists && (s.version === 1 || e.chunks)) ctx.addIssue({ code: 'custom', path: ['entries', i, 'chunkLists'], message: s.version === 1 ? 'chunk lists need a version 2 manifest' : 'chunks and chunkLists together' });
  });
});

export const SNAPSHOT_DIR = 'snapshots';
const HEX64 = /^[0-9a-f]{64}$/;

export function snapshotId(s: Omit<Snapshot, 'id'> & { id?: string }): string {
  return createHash('sha256')
    .update(JSON.stringify(storedForm({ ...s, id: '' })))
    .digest('hex');
}

export async function writeSnapshot(repoDir: string, s: Snapshot, key?: Buffer): Promise<void> {
  const json = Buffer.from(JSON.stringify(storedForm(s)) + '\n');
  const stored = key ? await encodeDocument(json, key) : json;
  await writeFileDurable(repoDir, join(repoDir, SNAPSHOT_DIR, s.id), [stored], { exclusive: true });
}

export async function listSnapshotIds(repoDir: string): Promise<string[]> {
  return (await listDir(join(repoDir, SNAPSHOT_DIR))).filter((n) => HEX64.test(n)).sort();
}

function looksLikeJson(b: Buffer): boolean {
  try {
    JSON.parse(b.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/** Parse a stored manifest. Throws a plain Error saying why it cannot be read. */
export async function parseSnapshot(stored: Buffer, id: string, key?: Buffer): Promise<Snapshot> {
  let json: Buffer;
  if (key) {
    try {
      json = await decodeBlob(stored, key);
    } catch (e) {
      // A sealed manifest starts with a random nonce, so its first byte is `{` once in 256:
      // only call it unencrypted once authentication failed and it reads as JSON.
      if (looksLikeJson(stored)) throw new Error('unencrypted manifest in an encrypted repository');
      throw e;
    }
  } else {
    json = stored;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json.toString('utf8'));
  } catch {
    throw new Error('not JSON');
  }
  const r = snapshotSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`not a snapshot manifest (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'})`);
  }
  if (r.data.id !== id) throw new Error(`its id ${r.data.id.slice(0, 12)} does not match its file name`);
  return r.data as Snapshot;
}

export async function readSnapshot(repoDir: string, id: string, key?: Buffer): Promise<Snapshot> {
  let stored: Buffer;
  try {
    stored = await fs.readFile(join(repoDir, SNAPSHOT_DIR, id));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new OpsError('BACKUP_SNAPSHOT_NOT_FOUND', `no snapshot ${id}`, 'list them with `opsdeck backups list`');
    }
    throw e;
  }
  try {
    return await parseSnapshot(stored, id, key);
  } catch (e) {
    throw new OpsError('BACKUP_REPO_INVALID', `snapshot ${id.slice(0, 12)} cannot be read: ${(e as Error).message}`, 'run `opsdeck backups verify`; restore another snapshot');
  }
}

export function infoOf(s: Snapshot): SnapshotInfo {
  const { entries, ...rest } = s;
  let bytes = 0;
  let files = 0;
  for (const e of entries) {
    if (e.type === 'file') {
      files++;
      bytes += e.size;
    }
  }
  return { ...rest, files, bytes };
}

/** Resolve `latest`, an id, or a unique id prefix among `ids`. */
export function resolveSnapshotId(ids: readonly string[], wanted: string, latest?: () => string | undefined): string {
  if (wanted === 'latest') {
    const l = latest?.();
    if (!l) throw new OpsError('BACKUP_SNAPSHOT_NOT_FOUND', 'the repository has no snapshot yet', 'run `opsdeck backup` first');
    return l;
  }
  const w = wanted.toLowerCase();
  if (!/^[0-9a-f]{1,64}$/.test(w)) throw new OpsError('BACKUP_SNAPSHOT_NOT_FOUND', `no snapshot ${wanted}`, 'a snapshot id is hexadecimal; list them with `opsdeck backups list`');
  const hits = ids.filter((id) => id.startsWith(w));
  if (hits.length === 0) throw new OpsError('BACKUP_SNAPSHOT_NOT_FOUND', `no snapshot ${wanted}`, 'list them with `opsdeck backups list`');
  if (hits.length > 1) {
    throw new OpsError(
      'BACKUP_SNAPSHOT_AMBIGUOUS',
      `${wanted} matches ${hits.length} snapshots (${hits.map((h) => h.slice(0, 12)).join(', ')})`,
      'give more characters of the id',
    );
  }
  return hits[0]!;
}
