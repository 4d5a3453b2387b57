/**
 * PostgreSQL: `pg_dump` of one database in plain, uncompressed SQL (so that unchanged tables
 * give unchanged chunks and deduplicate), with `--clean --if-exists` so that the dump can be
 * replayed into the existing database on restore (`psql --single-transaction -v ON_ERROR_STOP=1`).
 *
 * Connection: `backup.postgres.{host, port, user, dbname}`, each defaulting to the service's own
 * PGHOST / PGPORT / PGUSER / PGDATABASE (then 127.0.0.1, 5432, postgres, the user). A password
 * comes from the service's PGPASSWORD (or a ~/.pgpass), never from opsdeck.yaml.
 * The programs: `bin`, else PG_BINDIR, else the newest /usr/lib/postgresql/<major>/bin (Debian),
 * else `pg_config --bindir`, else PATH.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { OpsError } from '../../errors';
import { dumpPath, type AdapterContext, type BackupItem } from './types';

export interface PostgresTarget {
  host?: string;
  port?: number;
  user?: string;
  dbname?: string;
  bin?: string;
  timeout: number;
}

export interface PgConnection {
  host: string;
  port: number;
  user: string;
  dbname: string;
  /** Environment for pg_dump / psql: the PG* variables of the service, plus the connection. */
  env: Record<string, string>;
}

export function pgConnection(cfg: PostgresTarget, serviceEnv: Record<string, string>): PgConnection {
  const host = cfg.host ?? serviceEnv.PGHOST ?? '127.0.0.1';
  const port = cfg.port ?? (serviceEnv.PGPORT ? Number(serviceEnv.PGPORT) : 5432);
  const user = cfg.user ?? serviceEnv.PGUSER ?? 'postgres';
  const dbname = cfg.dbname ?? serviceEnv.PGDATABASE ?? user;
  const pgVars = Object.fromEntries(Object.entries(serviceEnv).filter(([k]) => k.startsWith('PG')));
  return { host, port, user, dbname, env: { ...pgVars, PGHOST: host, PGPORT: String(port), PGUSER: user, PGDATABASE: dbname } };
}

/** The folder holding `tool` (pg_dump, psql), found as described above. */
export async function findPgTool(tool: string, bin?: string): Promise<string> {
  const candidates: string[] = [];
  if (bin) candidates.push(bin);
  if (process.env.PG_BINDIR) candidates.push(process.env.PG_BINDIR);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    for (const v of readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))) candidates.push(path.join(debian, v, 'bin'));
  }
  for (const dir of candidates) {
    const exe = path.join(dir, tool);
    if (existsSync(exe)) return exe;
  }
  const fromConfig = await execa('pg_config', ['--bindir'], { reject: false });
  if (fromConfig.exitCode === 0 && existsSync(path.join(fromConfig.stdout.trim(), tool))) return path.join(fromConfig.stdout.trim(), tool);
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    if (existsSync(path.join(dir, tool))) return path.join(dir, tool);
  }
  throw new OpsError(
    'BACKUP_SOURCE_FAILED',
    `${tool} was not found`,
    bin ? `backup.postgres.bin is ${bin}, which has no ${tool}` : 'install PostgreSQL\'s client programs (Debian: apt-get install postgresql-client), or set backup.postgres.bin',
  );
}

const lastLines = (text: string, n = 5) => text.trim().split('\n').slice(-n).join('\n');

/** Dump the service's database into the staging folder. */
export async function collectPostgres(ctx: AdapterContext, cfg: PostgresTarget): Promise<BackupItem[]> {
  const conn = pgConnection(cfg, ctx.env);
  const pgDump = await findPgTool('pg_dump', cfg.bin);
  const name = `${conn.dbname}.sql`;
  const dest = path.join(ctx.staging, 'postgres', name);
  mkdirSync(path.dirname(dest), { recursive: true });
  const version = (await execa(pgDump, ['--version'], { reject: false })).stdout.trim();
  const r = await execa(
    pgDump,
    ['--format=plain', '--clean', '--if-exists', '--no-password', `--file=${dest}`, '--host', conn.host, '--port', String(conn.port), '--username', conn.user, conn.dbname],
    { env: { ...process.env, ...conn.env }, extendEnv: false, reject: false, timeout: cfg.timeout, cancelSignal: ctx.signal, stdin: 'ignore' },
  );
  if (r.exitCode !== 0) {
    throw new OpsError(
      'BACKUP_SOURCE_FAILED',
      `pg_dump of database ${conn.dbname} at ${conn.host}:${conn.port} (service ${ctx.service}) failed${r.timedOut ? ` after ${cfg.timeout / 1000}s` : ''}: ${lastLines(String(r.stderr || r.shortMessage))}`,
      `is ${ctx.service} running and ready? check backup.postgres (host, port, user, dbname) in opsdeck.yaml`,
    );
  }
  const st = statSync(dest);
  return [
    {
      service: ctx.service,
      kind: 'postgres',
      path: dumpPath('postgres', name),
      source: dest,
      live: false,
      size: st.size,
      mtimeMs: st.mtimeMs,
      mode: 0o600,
      note: version,
    },
  ];
}

/** Replay a plain dump into the service's database (after an in-place restore, the service running). */
export async function restorePostgres(file: string, cfg: PostgresTarget, serviceEnv: Record<string, string>): Promise<void> {
  const conn = pgConnection(cfg, serviceEnv);
  const psql = await findPgTool('psql', cfg.bin);
  const r = await execa(
    psql,
    ['--no-psqlrc', '--quiet', '--no-password', '--single-transaction', '-v', 'ON_ERROR_STOP=1', '--host', conn.host, '--port', String(conn.port), '--username', conn.user, '--dbname', conn.dbname, '--file', file],
    { env: { ...process.env, ...conn.env }, extendEnv: false, reject: false, timeout: cfg.timeout, stdin: 'ignore' },
  );
  if (r.exitCode !== 0) {
    throw new OpsError('BACKUP_RESTORE_FAILED', `psql could not load the dump into ${conn.dbname} at ${conn.host}:${conn.port}: ${lastLines(String(r.stderr || r.shortMessage))}`, 'the database was left as it was before (the load runs in one transaction)');
  }
}
