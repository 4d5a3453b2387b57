/**
 * `opsdeck restore ID`: a snapshot, whole or in part, into a folder (`--target DIR`) or into the
 * stack itself (`--in-place`: stop, safety snapshot, stage and verify, swap, start, health gate;
 * any failure rolls back to the safety snapshot). See docs/backup.md.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { count, formatBytes, shortId } from '../core/format';
import type { RestoreRunResult } from '../core/backup/types';
import { formatDuration } from '../core/duration';
import { OpsError } from '../core/errors';
import { durationArg, progressReporter, runJsonAware, withBackups } from './backup';
import { bold, dim, green, red, yellow } from './format';
import { displayDir, printJson, stackDir } from './stack-context';

interface RestoreOptions {
  service?: string[];
  include?: string[];
  target?: string;
  inPlace?: boolean;
  dryRun?: boolean;
  healthTimeout: number;
  keepSpecialBits?: boolean;
  json?: boolean;
  progress: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
const collectOne = (v: string, prev: string[] = []) => [...prev, v];

export function formatRestore(r: RestoreRunResult): string {
  if (r.dryRun) {
    return [
      `${bold('plan')} (dry run, nothing changed): restore snapshot ${shortId(r.snapshot)} (${r.snapshotTime}) ${r.mode === 'in-place' ? 'in place' : `into ${displayDir(r.target)}`}`,
      ...r.plan.map((p, i) => `  ${i + 1}. ${p}`),
    ].join('\n');
  }
  const lines = [
    `${green('restored')} snapshot ${bold(shortId(r.snapshot))} (${r.snapshotTime}) ${r.mode === 'in-place' ? 'in place' : `into ${displayDir(r.target)}`}: ${count(r.files.length, 'file')}, ${formatBytes(r.bytes)}, ${r.verified} verified by SHA-256`,
  ];
  for (const w of r.warnings ?? []) lines.push(yellow(`  warning    ${w}`));
  for (const s of r.sqlite) lines.push(`  sqlite     ${s.service}/${s.path}: integrity_check ${s.integrity}`);
  if (r.safetySnapshot) lines.push(`  safety     snapshot ${shortId(r.safetySnapshot)} holds the data from before (\`opsdeck restore ${shortId(r.safetySnapshot)} --in-place\` undoes this)`);
  if (r.mode === 'in-place') {
    lines.push(`  recovery   ${formatDuration(r.recoveryMs)} (restore ${formatDuration(r.phases.restoreMs)}, start ${formatDuration(r.phases.startMs)}, checks ${formatDuration(r.phases.checkMs)})`);
    for (const o of r.objectives) lines.push(`  RTO        ${o.service}: ${o.rtoMs === undefined ? 'none declared' : `${formatDuration(o.rtoMs)} ${o.withinRto ? green('met') : red('MISSED')}`}`);
  } else lines.push(dim(`  took       ${formatDuration(r.recoveryMs)}`));
  return lines.join('\n');
}

export function registerRestore(program: Command): void {
  program
    .command('restore')
    .description('restore a snapshot (whole, one service, or some paths) into a folder or in place')
    .argument('<id>', 'a snapshot id, a unique prefix of one, or `latest`')
    .option('-s, --service <name>', 'only this service (repeat or comma-separate for several)', collect)
    .option('-i, --include <glob>', 'only paths matching this glob, on `path` or `service/path` (repeatable)', collectOne)
    .option('--target <dir>', 'restore into this new or empty folder, as <dir>/<service>/<path>')
    .option('--in-place', 'restore into the stack: stop, safety snapshot, verify, swap, start, health gate, rollback on failure')
    .option('--health-timeout <duration>', 'in place: how long each service may take to be ready', durationArg, 60_000)
    .option('--keep-special-bits', 'keep setuid/setgid bits from the snapshot (default: stripped, like tar without -p)')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--json', 'print the result as JSON')
    .option('--no-progress', 'no progress bar or progress lines')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck restore latest --target /tmp/restored          # everything, into a folder
  $ opsdeck restore 1a2b3c4d --service storage --in-place  # one service, in place
  $ opsdeck restore latest --include 'data/*.db' --in-place --dry-run
  $ opsdeck restore latest --service storage --in-place --json

In place, opsdeck.yaml is only restored when named (--include opsdeck.yaml).
Files and folders come back without setuid/setgid bits unless --keep-special-bits is given
(the sticky bit is kept).
Exit codes: 0 restored (and, in place, healthy), 1 error (in place: rolled back, as the message
says; nothing restored).`,
    )
    .action(async (id: string, opts: RestoreOptions, cmd: Command) => {
      await runJsonAware(cmd, opts.json, async () => {
        if (opts.target && opts.inPlace) throw new OpsError('BAD_REQUEST', '--target and --in-place exclude each other', 'give --target DIR to restore into a folder, or --in-place to restore into the stack');
        if (!opts.target && !opts.inPlace) throw new OpsError('BAD_REQUEST', 'say where to restore: --target DIR or --in-place', '--target DIR writes <DIR>/<service>/<path>; --in-place replaces the stack\'s data (safety snapshot first, health gate after)');
        const progress = progressReporter('restore', opts.progress && !opts.json && !opts.dryRun);
        try {
          const r = await withBackups(stackDir(cmd), { lock: !opts.dryRun }, ({ service }) =>
            service.restore(
              id,
              {
                ...(opts.service ? { services: opts.service } : {}),
                ...(opts.include ? { include: opts.include } : {}),
                ...(opts.target ? { target: path.resolve(opts.target) } : {}),
                ...(opts.inPlace ? { inPlace: true } : {}),
                healthTimeoutMs: opts.healthTimeout,
                ...(opts.keepSpecialBits ? { keepSpecialBits: true } : {}),
                dryRun: !!opts.dryRun,
              },
              { onProgress: (p) => progress.update(p) },
            ),
          );
          progress.stop();
          if (opts.json) printJson(r);
          else process.stdout.write(formatRestore(r) + '\n');
        } finally {
          progress.stop();
        }
      });
    });
}
