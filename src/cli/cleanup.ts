/**
 * `opsdeck cleanup`: remove what the stack no longer needs from its own folders (docs/maintenance.md#cleanup),
 * through the owning engine when one runs, else with an engine of this process holding the stack
 * lock (not for --dry-run); prints what goes (or would go) per kind, and the total.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { count, formatBytes, formatDuration, OPSDECK_VERSION as VERSION, parseDuration, type CleanupResult } from '../core/contract';
import { openStack } from '../core/host';
import { runJsonAware } from './backup/run-command';
import { dim, table } from './format';
import { printJson, stackDir } from './stack-context';

interface CleanupOptions {
  dryRun?: boolean;
  olderThan: number;
  verbose?: boolean;
  json?: boolean;
}

/** `--older-than`: a duration such as 30d, 12h or 0s. */
export function olderThanArg(v: string): number {
  const ms = parseDuration(v);
  if (ms === undefined) throw new InvalidArgumentError(`"${v}" is not a duration: write a number and a unit, e.g. 30d, 12h, 90m or 0s`);
  return ms;
}

function formatCleanup(r: CleanupResult, list: boolean): string {
  if (!r.files) return `nothing to clean up (older than ${formatDuration(r.olderThanMs)})${r.dryRun ? ' (dry run)' : ''}`;
  const rows = r.kinds.map((k) => [k.kind, String(k.files), formatBytes(k.bytes)]);
  rows.push(['total', String(r.files), formatBytes(r.bytes)]);
  const items = list ? r.items.map((i) => `  ${i.kind.padEnd(8)} ${i.path} ${dim(`${formatBytes(i.bytes)}, ${i.reason}`)}`).join('\n') + '\n' : '';
  const head = r.dryRun ? `would remove ${count(r.files, 'item')} (${formatBytes(r.bytes)}); dry run, nothing removed:` : `removed ${count(r.files, 'item')} (${formatBytes(r.bytes)}):`;
  return `${head}\n${items}${table(['KIND', 'ITEMS', 'SIZE'], rows)}`;
}

export function registerCleanup(program: Command): void {
  program
    .command('cleanup')
    .description('remove what the stack no longer needs from its own folders: old logs, restore leftovers, reports, stale locks, temp files')
    .option('-n, --dry-run', 'list what would go; remove nothing')
    .addOption(new Option('--older-than <age>', 'only what is older than this (rotated logs beyond logs.keep go whatever their age)').argParser(olderThanArg).default(30 * 86_400_000, '30d'))
    .option('-l, --list', 'list every item, not only the totals per kind')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck cleanup --dry-run                  # what would go, per kind, and the total
  $ opsdeck cleanup --older-than 7d --list
  $ opsdeck cleanup --json

Kinds: logs (rotated beyond logs.keep, or old), restore (staging folders and safety snapshots
of finished restores), drills (old sandboxes), reports (.opsdeck/reports), sockets and locks
(only when no live process holds them), temp (staging of backups that did not finish).
Nothing outside the stack's own folders is touched. See docs/maintenance.md.`,
    )
    .action(async (opts: CleanupOptions & { list?: boolean }, cmd: Command) => {
      await runJsonAware(cmd, opts.json, async () => {
        const dir = stackDir(cmd);
        const stack = await openStack(dir, { mode: 'own-briefly', owner: 'cleanup', version: VERSION, lock: !opts.dryRun });
        try {
          const result = await stack.engine.maintenance.cleanup({ dryRun: !!opts.dryRun, olderThanMs: opts.olderThan });
          if (opts.json) printJson(result);
          else process.stdout.write(formatCleanup(result, !!opts.list) + '\n');
        } finally {
          await stack.close();
        }
      });
    });
}
