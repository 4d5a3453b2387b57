/**
 * The releases ledger, `.opsdeck/releases.json`: the current release, each service's schema
 * version and one entry per deploy, update, rollback and recovery (who, when, from what, the
 * migrations applied, the pre-update snapshot, the result and the stage in progress). Every
 * write is atomic and durable (temp file, fsync, rename, fsync of the folder), so a kill -9 at any
 * moment leaves the previous ledger or the new one, never a mix: what recovery reads.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Ledger, LedgerEntry, ReleaseOp, ReleaseStage } from '../contract/releases';
import { OpsError } from '../errors';
import { fsyncDir } from '../backup/repo/fsutil';

export const LEDGER_FILE = path.join('.opsdeck', 'releases.json');

const empty = (): Ledger => ({ format: 1, schema: {}, entries: [] });

export async function readLedger(stackDir: string): Promise<Ledger> {
  const file = path.join(stackDir, LEDGER_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return empty();
    throw e;
  }
  try {
    const ledger = JSON.parse(text) as Ledger;
    if (ledger.format !== 1 || !Array.isArray(ledger.entries)) throw new Error('not a format-1 ledger');
    return ledger;
  } catch (e) {
    throw new OpsError('RELEASE_FAILED', `${LEDGER_FILE} cannot be read: ${(e as Error).message}`, 'restore it from a backup, or move it away to start a new ledger (the releases in releases/ stay)');
  }
}

export async function writeLedger(stackDir: string, ledger: Ledger): Promise<void> {
  const file = path.join(stackDir, LEDGER_FILE);
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.releases-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(JSON.stringify(ledger, null, 2) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dir);
}

/** Who runs the operation: the user and host, as the ledger records it. */
export function whoami(): string {
  let user = process.env.USER ?? '';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (a container's random uid): the environment's name, if any
  }
  return `${user || `uid ${process.getuid?.() ?? '?'}`}@${os.hostname()}`;
}

/** A new in-progress entry, added to the ledger (not yet written). */
export function beginEntry(ledger: Ledger, op: ReleaseOp, version: string, from: string | undefined): LedgerEntry {
  const entry: LedgerEntry = {
    id: (ledger.entries.at(-1)?.id ?? 0) + 1,
    op,
    version,
    ...(from === undefined ? {} : { from }),
    startedAt: new Date().toISOString(),
    by: whoami(),
    migrations: [],
    schemaBefore: { ...ledger.schema },
    result: 'in-progress',
    stage: 'check' satisfies ReleaseStage,
    timings: [],
  };
  ledger.entries.push(entry);
  return entry;
}

/** The last entry when a kill left it in progress. */
export const interrupted = (ledger: Ledger): LedgerEntry | undefined => {
  const last = ledger.entries.at(-1);
  return last?.result === 'in-progress' ? last : undefined;
};
