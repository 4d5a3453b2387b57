/**
 * Everything a backup takes of one service, by adapter: SQLite copies, the PostgreSQL dump, the
 * command's output, then the plain files (which never include the declared databases). Adapters
 * run one after another so a busy machine is not hit by every dump at once.
 */
import path from 'node:path';
import type { ServiceBackupConfig } from '../../config/schema';
import { collectCommand } from './command';
import { collectFiles } from './files';
import { collectPostgres } from './postgres';
import { collectSqlite, type SqliteCopyOptions } from './sqlite';
import type { AdapterContext, BackupItem } from './types';

export * from './types';
export { collectFiles, SQLITE_SIDECARS } from './files';
export { collectSqlite, copiesMade, copySqlite, integrityCheck, isSqliteFile } from './sqlite';
export { SqliteChecks } from './sqlite-checks';
export { collectPostgres, restorePostgres, pgConnection, findPgTool } from './postgres';
export { collectCommand, restoreCommand } from './command';

export interface ServiceCollection {
  items: BackupItem[];
  skipped: { path: string; reason: string }[];
}

/** Stack-relative paths of a service's declared SQLite databases. */
export function sqliteOrigins(stackDir: string, serviceDir: string, cfg: ServiceBackupConfig): string[] {
  return cfg.sqlite.map((f) => path.relative(stackDir, path.resolve(serviceDir, f)).split(path.sep).join('/'));
}

export async function collectService(ctx: AdapterContext, cfg: ServiceBackupConfig, opts: { sqlite?: SqliteCopyOptions; reserved?: string[] } = {}): Promise<ServiceCollection> {
  const items: BackupItem[] = [];
  items.push(...(await collectSqlite(ctx, cfg.sqlite, opts.sqlite)));
  if (cfg.postgres) items.push(...(await collectPostgres(ctx, cfg.postgres)));
  if (cfg.command) items.push(...(await collectCommand(ctx, cfg.command)));
  const reserved = [...sqliteOrigins(ctx.stackDir, ctx.serviceDir, cfg), ...(opts.reserved ?? [])];
  const files = cfg.files.length ? await collectFiles(ctx, cfg.files, cfg.exclude, reserved) : { items: [], skipped: [] };
  items.push(...files.items);
  return { items, skipped: files.skipped };
}

/** Does the service declare anything to back up? */
export const hasBackup = (cfg: ServiceBackupConfig | undefined): cfg is ServiceBackupConfig =>
  !!cfg && (cfg.sqlite.length > 0 || cfg.files.length > 0 || !!cfg.postgres || !!cfg.command);
