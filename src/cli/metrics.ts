/** `opsdeck metrics`: the long-term rollups of the stack (minutes for 48 h, hours for 90 days). */
import { Option, type Command } from 'commander';
import { formatBytes, formatDuration, type RollupAnswer, type RollupQuery, type RollupResolution, type ServiceRollup } from '../core/contract';
import { metricsRollupsWithoutEngine, pinBaselineWasm } from '../core/host';
import { dim, table } from './format';
import { ownerOf, printJson, stackDir } from './stack-context';
import { parseTimeOption } from './time-option';

interface MetricsOptions {
  since?: number;
  until?: number;
  service?: string[];
  resolution?: RollupResolution;
  rows?: boolean;
  json?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(',').filter(Boolean)];

export function registerMetrics(program: Command): void {
  program
    .command('metrics')
    .description('long-term metrics per service: availability, probe latency, CPU, memory, restarts, checks')
    .option('--since <when>', 'from a duration ago (90m, 24h, 7d) or a date-time (default: as far back as kept)', (v) => parseTimeOption(v))
    .option('--until <when>', 'up to a duration ago or a date-time (default: now)', (v) => parseTimeOption(v))
    .option('-s, --service <name>', 'only this service (repeat or comma-separate for several)', collect)
    .addOption(new Option('-r, --resolution <res>', 'minute (kept 48 h) or hour (kept 90 days); default: minute within 48 h, else hour').choices(['minute', 'hour']))
    .option('--rows', 'print every minute or hour instead of one line per service')
    .option('--json', 'print the rollups as JSON (see docs/metrics.md for the shape)')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck metrics --since 24h
  $ opsdeck metrics --since 7d --service api --resolution hour --rows
  $ opsdeck metrics --since 30d --json | jq '.services[] | {at, service, latencyP95Ms}'

Works with or without a running engine (it reads .opsdeck/metrics.db). See docs/metrics.md.`,
    )
    .action(async (opts: MetricsOptions, cmd: Command) => {
      const dir = stackDir(cmd);
      const query: RollupQuery = {
        ...(opts.since !== undefined ? { since: opts.since } : {}),
        ...(opts.until !== undefined ? { until: opts.until } : {}),
        ...(opts.service ? { services: opts.service } : {}),
        ...(opts.resolution ? { resolution: opts.resolution } : {}),
      };
      const owner = ownerOf(dir);
      if (!owner) pinBaselineWasm(); // a one-shot read of the store (as `report`: src/cli/report.ts)
      const answer = owner ? await owner.client.metricsRollups(query) : await metricsRollupsWithoutEngine(dir, query);
      if (opts.json) return printJson(answer);
      process.stdout.write((opts.rows ? rowsTable(answer) : summaryTable(answer)) + '\n');
      process.stdout.write(
        dim(`${answer.resolution} rollups, ${new Date(answer.since).toISOString()} → ${new Date(answer.until).toISOString()} · store ${formatBytes(answer.store.bytes)} (${answer.store.minuteRows} minute rows, ${answer.store.hourRows} hour rows)\n`),
      );
    });
}

const ms = (n: number | undefined) => (n === undefined ? '-' : `${n} ms`);
const pct = (part: number, whole: number) => (whole > 0 ? `${((100 * part) / whole).toFixed(2)} %` : '-');

function summaryTable(a: RollupAnswer): string {
  const names = [...new Set(a.services.map((r) => r.service))].sort();
  if (!names.length) return 'no rollups in this range';
  return table(
    ['SERVICE', 'AVAILABILITY', 'READY', 'P50', 'P95', 'MAX', 'CPU AVG', 'RSS AVG', 'RESTARTS', 'CHECKS FAILED'],
    names.map((name) => {
      const rows = a.services.filter((r) => r.service === name);
      const sum = (f: (r: ServiceRollup) => number) => rows.reduce((acc, r) => acc + f(r), 0);
      const weighted = (f: (r: ServiceRollup) => number | undefined) => {
        const w = rows.filter((r) => f(r) !== undefined);
        const n = w.reduce((acc, r) => acc + r.samples, 0);
        return n ? (w.reduce((acc, r) => acc + f(r)! * r.samples, 0) / n).toFixed(1) : '-';
      };
      const median = (f: (r: ServiceRollup) => number | undefined) => {
        const v = rows.map(f).filter((x): x is number => x !== undefined).sort((x, y) => x - y);
        return v.length ? v[Math.floor(v.length / 2)] : undefined;
      };
      const max = rows.map((r) => r.latencyMaxMs).filter((x): x is number => x !== undefined);
      return [
        name, pct(sum((r) => r.readySec), sum((r) => r.activeSec)), formatDuration(sum((r) => r.readySec) * 1000), ms(median((r) => r.latencyP50Ms)),
        ms(median((r) => r.latencyP95Ms)), ms(max.length ? Math.max(...max) : undefined), `${weighted((r) => r.cpuAvg)} %`, `${weighted((r) => r.rssAvgMb)} MB`,
        String(sum((r) => r.restarts)), String(sum((r) => r.checksFailed)),
      ];
    }),
  ) + dim('\n(P50 / P95: the median of the rows\' percentiles; use --rows for each one)');
}

function rowsTable(a: RollupAnswer): string {
  if (!a.services.length) return 'no rollups in this range';
  const when = (at: number) => new Date(at).toISOString().slice(0, 16).replace('T', ' ');
  return table(
    ['TIME (UTC)', 'SERVICE', 'READY', 'P50', 'P95', 'MAX', 'CPU', 'RSS', 'RESTARTS', 'CHECKS'],
    a.services.map((r) => [
      when(r.at), r.service, formatDuration(r.readySec * 1000), ms(r.latencyP50Ms), ms(r.latencyP95Ms), ms(r.latencyMaxMs),
      r.cpuAvg === undefined ? '-' : `${r.cpuAvg} %`, r.rssAvgMb === undefined ? '-' : `${r.rssAvgMb} MB`, String(r.restarts), `${r.checksOk} ok / ${r.checksFailed} failed`,
    ]),
  );
}
