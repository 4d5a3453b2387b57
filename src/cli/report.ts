/** `opsdeck report`: the operations report of a period (usage, performance, issues, data protection, changes). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { formatBytes, OpsError, type ReportCommand, type ReportFormat, type ReportPeriod } from '../core/contract';
import { listReportsWithoutEngine, pinBaselineWasm, reportWithoutEngine } from '../core/host';
import { dim, table } from './format';
import { ownerOf, printJson, stackDir } from './stack-context';
import { parseTimeOption } from './time-option';

interface ReportOptions {
  period?: ReportPeriod;
  since?: number;
  until?: number;
  format: ReportFormat;
  out?: string;
  save?: boolean;
  list?: boolean;
  json?: boolean;
  dryRun?: boolean;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('the operations report of a period: availability, restarts, latency, incidents, backups, RPO, drills, changes')
    .addOption(new Option('-p, --period <period>', 'the period ending now (or at --until)').choices(['day', 'week', 'month']))
    .option('--since <when>', 'a custom period from a duration ago (10d) or a date-time', (v) => parseTimeOption(v))
    .option('--until <when>', 'the end of the period (default: now)', (v) => parseTimeOption(v))
    .addOption(new Option('-f, --format <format>', 'md (Markdown), html (one self-contained file) or json').choices(['md', 'html', 'json']).default('md'))
    .option('-o, --out <file>', 'write the report into this file instead of printing it')
    .option('--save', "also write it into .opsdeck/reports/ (in the stack's reports.formats) and announce it")
    .option('--list', 'list the reports written in .opsdeck/reports/ instead')
    .option('--json', 'print JSON (the report, or with --list the list)')
    .option('--dry-run', 'say which files --out / --save would write, and write nothing')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck report                                  # last week, Markdown on stdout
  $ opsdeck report --period month --format html --out month.html
  $ opsdeck report --since 2026-11-01 --until 2026-11-15 --json
  $ opsdeck report --list

The engine writes one every week by itself (reports.schedule in opsdeck.yaml, default Monday 08:00).
Works with or without a running engine. See docs/reports.md.`,
    )
    .action(async (opts: ReportOptions, cmd: Command) => {
      const dir = stackDir(cmd);
      const owner = ownerOf(dir);
      // Without an engine this process opens the metrics store once and exits: SQLite's
      // WebAssembly on V8's baseline compiler alone (src/core/wasm-compiler.ts) answers a week's
      // report in ~0.75 s of CPU instead of ~1.1 s, and ~30 MiB smaller (bench/README.md).
      if (!owner) pinBaselineWasm();
      if (opts.list) {
        const list = owner ? await owner.client.listReports() : await listReportsWithoutEngine(dir);
        if (opts.json) return printJson(list);
        if (!list.reports.length) process.stdout.write('no reports written yet\n');
        else process.stdout.write(table(['WRITTEN', 'FORMAT', 'SIZE', 'FILE'], list.reports.map((r) => [new Date(r.at).toISOString(), r.format, formatBytes(r.bytes), r.path])) + '\n');
        if (list.nextRun) process.stdout.write(dim(`next scheduled report: ${list.nextRun}\n`));
        return;
      }
      if (opts.period && opts.since !== undefined) throw new OpsError('BAD_REQUEST', 'give either --period or --since, not both', '--period week is the week ending now (or at --until); --since starts a custom period');
      const format: ReportFormat = opts.json ? 'json' : opts.format;
      const command: ReportCommand = {
        format,
        ...(opts.period ? { period: opts.period } : {}),
        ...(opts.since !== undefined ? { since: opts.since } : {}),
        ...(opts.until !== undefined ? { until: opts.until } : {}),
        ...(opts.save && !opts.dryRun ? { save: true } : {}),
      };
      const answer = owner ? await owner.client.report(command) : await reportWithoutEngine(dir, command);
      const text = answer.text ?? '';
      if (opts.dryRun) {
        const would = [...(opts.out ? [path.resolve(opts.out)] : []), ...(opts.save ? ['.opsdeck/reports/ (the stack\'s reports.formats)'] : [])];
        process.stdout.write(would.length ? `would write (dry run, nothing written):\n${would.map((w) => `  ${w}`).join('\n')}\n` : 'nothing to write (dry run): without --out or --save the report is printed\n');
        return;
      }
      if (opts.out) {
        writeFileSync(opts.out, text);
        process.stderr.write(`wrote ${opts.out} (${formatBytes(Buffer.byteLength(text))})\n`);
      } else process.stdout.write(text.endsWith('\n') ? text : text + '\n');
      for (const f of answer.files) process.stderr.write(`saved ${f.path}\n`);
    });
}
