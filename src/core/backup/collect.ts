/**
 * What a backup takes of each service, adapter by adapter, as the repository's sources: dumps
 * (PostgreSQL, commands) of every service first, then `between`, then SQLite copies and files.
 * Every declared database of the stack is reserved, so no files glob takes one as a plain file.
 * For a safety snapshot (services stopped), a database is taken as its file plus its journal
 * (consistent, the service being stopped) and missing data is skipped (there may be nothing left
 * to save). opsdeck.yaml always goes along, as the stack's own source. A database unchanged since
 * the last snapshot (`previous`, what it recorded) is not copied: the repository takes its entry.
 * The copies' integrity checks run on `checks`, beside the repository's work (sqlite-checks.ts).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { effectiveEnv, type LoadedStack } from '../config/load';
import {
  collectCommand,
  collectFiles,
  collectPostgres,
  collectSqlite,
  copiesMade,
  sqliteOrigins,
  SQLITE_SIDECARS,
  type SqliteChecks,
  STACK_SERVICE,
  CONFIG_PATH,
  type AdapterContext,
  type BackupItem,
  type SqliteState,
} from './adapters';
import type { BackupSource } from './repo';
import type { BackupRunResult } from '../contract/backups';

export interface CollectOptions {
  /** A safety snapshot: the services are stopped (`between` stops them). */
  safety: boolean;
  /** Run after the dumps, before the files. */
  between?: () => Promise<void>;
  /** What the last snapshot recorded of each service's databases (by stack path). */
  previous?: Record<string, Record<string, SqliteState>>;
  /**
   * Where the SQLite copies' checks run: the caller waits for its verdict before the snapshot
   * (and closes it). Without it, each service's checks are waited for as they are collected.
   */
  checks?: SqliteChecks;
}

export interface Collected {
  sources: BackupSource[];
  items: BackupItem[];
  skipped: BackupRunResult['skipped'];
}

/** Run the adapters of `services`, staging copies and dumps below `staging`. */
export async function collectSources(stack: LoadedStack, services: string[], staging: string, opts: CollectOptions): Promise<Collected> {
  const items: BackupItem[] = [];
  const skipped: BackupRunResult['skipped'] = [];
  const ctxOf = (s: string): AdapterContext => {
    const cfg = stack.config.services[s]!;
    return { stackDir: stack.dir, service: s, serviceDir: path.resolve(stack.dir, cfg.cwd ?? '.'), staging: path.join(staging, 'services', s), env: effectiveEnv(stack, s) };
  };
  const reserved = Object.keys(stack.config.services).flatMap((s) => {
    const b = stack.config.services[s]!.backup;
    return b ? sqliteOrigins(stack.dir, ctxOf(s).serviceDir, b) : [];
  });
  for (const s of services) {
    const b = stack.config.services[s]!.backup!;
    if (b.postgres) items.push(...(await collectPostgres(ctxOf(s), b.postgres)));
    if (b.command) items.push(...(await collectCommand(ctxOf(s), b.command)));
  }
  await opts.between?.();
  try {
    await collectCopiesAndFiles(stack, services, ctxOf, reserved, opts, items, skipped);
  } catch (e) {
    await copiesMade(items).catch(() => undefined); // the copies under way end before the staging folder goes
    throw e;
  }
  const sources: BackupSource[] = services.map((s) => {
    const mine = items.filter((i) => i.service === s);
    return {
      service: s,
      root: stack.dir,
      paths: mine.filter((i) => i.live).map((i) => i.path),
      files: mine.filter((i) => !i.live).map((i) => (i.copy ? { path: i.path, size: i.size, mtime: i.mtimeMs, mode: i.mode, copy: i.copy } : { path: i.path, source: i.source })),
    };
  });
  sources.push({ service: STACK_SERVICE, root: stack.dir, paths: [CONFIG_PATH] });
  return { sources, items, skipped };
}

/**
 * Per service: its databases' copies (started, made on the thread pool while the repository
 * reads the rest) and the walk of its files at once, into `items` and `skipped`. A database
 * copied as a file when `safety` (the services are stopped). On a failure, what was collected
 * is in `items` (the caller waits for the copies under way before it removes the staging folder).
 */
async function collectCopiesAndFiles(
  stack: LoadedStack,
  services: string[],
  ctxOf: (s: string) => AdapterContext,
  reserved: string[],
  opts: CollectOptions,
  items: BackupItem[],
  skipped: BackupRunResult['skipped'],
): Promise<void> {
  for (const s of services) {
    const ctx = ctxOf(s);
    const b = stack.config.services[s]!.backup!;
    if (opts.safety) {
      for (const db of sqliteOrigins(stack.dir, ctx.serviceDir, b)) {
        for (const rel of [db, ...SQLITE_SIDECARS.filter((x) => x !== '.lock').map((x) => db + x)]) {
          const abs = path.join(stack.dir, ...rel.split('/'));
          const st = statSync(abs, { throwIfNoEntry: false });
          if (st?.isFile()) items.push({ service: s, kind: rel === db ? 'sqlite' : 'file', path: rel, source: abs, live: true, size: st.size, mtimeMs: st.mtimeMs, mode: st.mode & 0o7777, note: 'copied as a file (service stopped)' });
        }
      }
    }
    const [dbs, files] = await Promise.allSettled([
      opts.safety ? Promise.resolve([]) : collectSqlite(ctx, b.sqlite, {}, opts.previous?.[s], opts.checks),
      b.files.length ? collectFiles(ctx, b.files, b.exclude, reserved) : Promise.resolve({ items: [], skipped: [] }),
    ]);
    if (dbs.status === 'fulfilled') items.push(...dbs.value);
    if (dbs.status === 'rejected') throw dbs.reason;
    if (files.status === 'rejected') throw files.reason;
    items.push(...files.value.items);
    skipped.push(...files.value.skipped.map((k) => ({ service: s, ...k })));
  }
}
