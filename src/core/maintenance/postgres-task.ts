/**
 * The maintenance of a service's PostgreSQL database (`backup.postgres`, the connection the
 * backups use: src/core/backup/adapters/postgres.ts): VACUUM (ANALYZE), then REINDEX DATABASE,
 * CONCURRENTLY from PostgreSQL 12 on (no lock that blocks writers), with a bloat estimate before
 * and after: the dead rows of every user table as a share of its size (pg_stat_user_tables).
 * Everything goes through psql, as the backups' restore does.
 */
import { execa } from 'execa';
import { effectiveEnv, type LoadedStack } from '../config/load';
import { findPgTool, pgConnection } from '../backup/adapters';
import type { PgConnection } from '../backup/adapters/postgres';
import { formatBytes } from '../format';
import { skippedPlan, type MaintenanceTask } from './task';

/** Estimated bloat: dead rows' share of each user table's size, summed; dead and live rows; the database's size. */
const BLOAT_SQL = `SELECT coalesce(round(sum(pg_table_size(relid) * n_dead_tup::float8 / nullif(n_live_tup + n_dead_tup, 0))), 0)::bigint,
 coalesce(sum(n_dead_tup), 0)::bigint, coalesce(sum(n_live_tup), 0)::bigint, pg_database_size(current_database()), current_setting('server_version_num')::int
 FROM pg_stat_user_tables`;

interface Bloat {
  bloatBytes: number;
  deadRows: number;
  liveRows: number;
  databaseBytes: number;
  serverVersion: number;
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

async function psql(conn: PgConnection, bin: string | undefined, sql: string, timeoutMs: number): Promise<string> {
  const exe = await findPgTool('psql', bin);
  const r = await execa(exe, ['--no-psqlrc', '--no-password', '-X', '-A', '-t', '-F', '|', '-v', 'ON_ERROR_STOP=1', '--host', conn.host, '--port', String(conn.port), '--username', conn.user, '--dbname', conn.dbname, '-c', sql], {
    env: { ...process.env, ...conn.env },
    extendEnv: false,
    reject: false,
    timeout: timeoutMs,
    stdin: 'ignore',
  });
  if (r.exitCode !== 0) throw new Error(`psql on ${conn.dbname} at ${conn.host}:${conn.port} failed: ${String(r.stderr || r.shortMessage).trim().split('\n').slice(-3).join(' ')}`);
  return String(r.stdout).trim();
}

async function bloat(conn: PgConnection, bin: string | undefined, timeoutMs: number): Promise<Bloat> {
  const [b, dead, live, size, version] = (await psql(conn, bin, BLOAT_SQL, timeoutMs)).split('|').map(Number);
  return { bloatBytes: b ?? 0, deadRows: dead ?? 0, liveRows: live ?? 0, databaseBytes: size ?? 0, serverVersion: version ?? 0 };
}

export function postgresTask(stack: LoadedStack, service: string): MaintenanceTask {
  const cfg = stack.config.services[service]!.backup!.postgres!;
  const conn = () => pgConnection(cfg, effectiveEnv(stack, service));
  const reindexSql = (b: Bloat, c: PgConnection) => `REINDEX DATABASE ${b.serverVersion >= 120000 ? 'CONCURRENTLY ' : ''}${quoteIdent(c.dbname)}`;
  return {
    id: `${service}:postgres`,
    service,
    kind: 'postgres',
    title: 'PostgreSQL: VACUUM (ANALYZE), REINDEX (concurrently from 12), bloat estimate before and after',
    requiresStop: false,
    daily: true,
    steps: ['vacuum', 'reindex', 'bloat after'],
    async plan() {
      const c = conn();
      let b: Bloat;
      try {
        b = await bloat(c, cfg.bin, cfg.timeout);
      } catch (e) {
        return skippedPlan(`${(e as Error).message} (is ${service} running?)`);
      }
      return {
        plan: [`VACUUM (ANALYZE) on ${c.dbname}: about ${formatBytes(b.bloatBytes)} of dead rows (${b.deadRows}) become reusable`, reindexSql(b, c)],
        before: { ...b },
        reclaimedBytes: b.bloatBytes,
      };
    },
    async run(_ctx, steps, plan) {
      const c = conn();
      const before = plan.before as unknown as Bloat;
      await steps.run('vacuum', async () => {
        await psql(c, cfg.bin, 'VACUUM (ANALYZE)', cfg.timeout);
        return `VACUUM (ANALYZE) of ${c.dbname} done`;
      });
      await steps.run('reindex', async () => {
        const sql = reindexSql(before, c);
        await psql(c, cfg.bin, sql, cfg.timeout);
        return sql;
      });
      let after: Bloat | undefined;
      await steps.run('bloat after', async () => {
        after = await bloat(c, cfg.bin, cfg.timeout);
        return `estimated bloat ${formatBytes(before.bloatBytes)} → ${formatBytes(after.bloatBytes)}, dead rows ${before.deadRows} → ${after.deadRows}`;
      });
      return {
        after: { ...after! },
        reclaimedBytes: Math.max(0, before.bloatBytes - after!.bloatBytes),
        summary: `${c.dbname}: bloat ${formatBytes(before.bloatBytes)} → ${formatBytes(after!.bloatBytes)}, dead rows ${before.deadRows} → ${after!.deadRows}`,
      };
    },
  };
}
