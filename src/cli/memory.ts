/** `opsdeck memory search QUERY`: the stack's searchable history (events and log lines). */
import type { Command } from 'commander';
import type { MemoryHit, MemoryQuery } from '../core/contract';
import { searchMemoryWithoutEngine } from '../core/host';
import { dim, table } from './format';
import { ownerOf, printJson, stackDir } from './stack-context';
import { parsePositiveInt, parseTimeOption } from './time-option';

interface SearchOptions {
  service?: string[];
  kind?: string[];
  since?: number;
  until?: number;
  limit: number;
  json?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(',').filter(Boolean)];

export function registerMemory(program: Command): void {
  const memory = program
    .command('memory')
    .description("search the stack's history: every event and every captured log line")
    .addHelpText('after', '\nExamples:\n  $ opsdeck memory search "crash*" --service storage');
  memory
    .command('search')
    .description('full-text search, best matches first, with the match highlighted')
    .argument('<query>', 'words, prefix*, "a phrase", a OR b (see docs/memory.md)')
    .option('-s, --service <name>', 'only this service (repeat or comma-separate for several)', collect)
    .option('-k, --kind <kind>', 'only this kind: log, state, restart, probe, exit, check, limit… (repeatable)', collect)
    .option('--since <when>', 'since a duration ago (10m, 2h, 1d) or a date-time', (v) => parseTimeOption(v))
    .option('--until <when>', 'until a duration ago or a date-time', (v) => parseTimeOption(v))
    .option('-l, --limit <n>', 'at most this many hits (max 500)', parsePositiveInt, 20)
    .option('--json', 'print the hits as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck memory search crash --service storage         # when did storage crash?
  $ opsdeck memory search "exit code" --kind restart --since 1d
  $ opsdeck memory search "connection refused" --json

Works with or without a running engine (it reads .opsdeck/memory.db).`,
    )
    .action(async (text: string, opts: SearchOptions, cmd: Command) => {
      const dir = stackDir(cmd);
      const query: MemoryQuery = {
        text,
        limit: Math.min(opts.limit, 500),
        ...(opts.service ? { service: opts.service } : {}),
        ...(opts.kind ? { kind: opts.kind } : {}),
        ...(opts.since !== undefined ? { since: opts.since } : {}),
        ...(opts.until !== undefined ? { until: opts.until } : {}),
      };
      const hits = await search(dir, query);
      if (opts.json) return printJson({ hits });
      if (!hits.length) return void process.stdout.write('no matches\n');
      process.stdout.write(
        table(
          ['WHEN', 'SERVICE', 'KIND', 'MATCH'],
          hits.map((h) => [new Date(h.at).toISOString(), h.service, h.kind, h.snippet]),
        ) + '\n',
      );
      process.stdout.write(dim(`${hits.length} hit${hits.length === 1 ? '' : 's'}, best first\n`));
    });
}

async function search(dir: string, query: MemoryQuery): Promise<MemoryHit[]> {
  const owner = ownerOf(dir);
  if (owner) return (await owner.client.searchMemory(query)).hits;
  // No engine owns the stack: this process takes in the journal the last one left.
  return searchMemoryWithoutEngine(dir, query);
}
