/**
 * Redis housekeeping of a service that declares `maintenance.redis`: BGREWRITEAOF (rewrite the
 * append-only file in the background) and MEMORY PURGE (give memory the allocator holds back to
 * the system), each only when configured, through redis-cli; used memory and the AOF size before
 * and after (INFO).
 */
import { execa } from 'execa';
import { effectiveEnv, type LoadedStack } from '../config/load';
import { formatBytes } from '../format';
import { skippedPlan, type MaintenanceTask } from './task';

type RedisConfig = NonNullable<NonNullable<LoadedStack['config']['services'][string]['maintenance']>['redis']>;

async function redisCli(cfg: RedisConfig, env: Record<string, string>, args: string[]): Promise<string> {
  const where = cfg.socket ? ['-s', cfg.socket] : ['-h', cfg.host ?? '127.0.0.1', '-p', String(cfg.port ?? (env.REDIS_PORT ? Number(env.REDIS_PORT) : 6379))];
  const r = await execa(cfg.cli ?? 'redis-cli', [...where, ...args], { reject: false, timeout: 60_000, stdin: 'ignore', env: env.REDISCLI_AUTH ? { REDISCLI_AUTH: env.REDISCLI_AUTH } : {} });
  const out = String(r.stdout).trim();
  if (r.exitCode !== 0 || /^(ERR|WRONGTYPE|NOAUTH|Could not connect)/m.test(out)) throw new Error(`redis-cli ${args.join(' ')} failed: ${(out || String(r.stderr || r.shortMessage)).split('\n')[0]}`);
  return out;
}

/** Numbers of INFO's memory and persistence sections. */
async function info(cfg: RedisConfig, env: Record<string, string>): Promise<Record<string, number>> {
  const text = await redisCli(cfg, env, ['INFO', 'memory']).then(async (m) => m + '\n' + (await redisCli(cfg, env, ['INFO', 'persistence'])));
  const get = (k: string) => Number(new RegExp(`^${k}:(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { usedMemory: get('used_memory'), usedMemoryRss: get('used_memory_rss'), aofBytes: get('aof_current_size') };
}

export function redisTask(stack: LoadedStack, service: string): MaintenanceTask {
  const cfg = stack.config.services[service]!.maintenance!.redis!;
  const env = () => effectiveEnv(stack, service);
  const commands = [...(cfg.rewrite_aof ? ['BGREWRITEAOF'] : []), ...(cfg.memory_purge ? ['MEMORY PURGE'] : [])];
  return {
    id: `${service}:redis`,
    service,
    kind: 'redis',
    title: `Redis: ${commands.join(', ') || 'nothing configured (maintenance.redis: rewrite_aof, memory_purge)'}`,
    requiresStop: false,
    daily: true,
    steps: commands.map((c) => c.toLowerCase()),
    async plan() {
      if (!commands.length) return skippedPlan('maintenance.redis configures neither rewrite_aof nor memory_purge');
      try {
        return { plan: commands, before: await info(cfg, env()) };
      } catch (e) {
        return skippedPlan(`${(e as Error).message} (is ${service} running?)`);
      }
    },
    async run(_ctx, steps, plan) {
      for (const c of commands) await steps.run(c.toLowerCase(), () => redisCli(cfg, env(), c.split(' ')));
      const after = await info(cfg, env());
      const before = plan.before;
      return {
        after,
        reclaimedBytes: Math.max(0, (before.usedMemoryRss ?? 0) - (after.usedMemoryRss ?? 0)),
        summary: `${commands.join(', ')}: RSS ${formatBytes(before.usedMemoryRss ?? 0)} → ${formatBytes(after.usedMemoryRss ?? 0)}`,
      };
    },
  };
}
