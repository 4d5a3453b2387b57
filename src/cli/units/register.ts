/**
 * `opsdeck units generate|install|uninstall|status|diff|lint`: start the stack at login or boot
 * with systemd, launchd or cron (docs/boot.md).
 */
import type { Command } from 'commander';
import { generateUnits, installUnits, lintUnits, uninstallUnits, unitsDiff, unitsStatus } from '../../core/host';
import { errorJson, exitCodeOf } from '../exit';
import { printJson } from '../stack-context';
import { reportError } from '../../daemon/report-error';
import { formatChange, formatDiff, formatLint, formatSet, formatStatus } from './format';
import { unitsOptions, unitsRequest, type UnitsFlags } from './request';
import { writeGenerated } from './write-out';

const HELP = `
Examples:
  $ opsdeck units generate                       # print the units for this machine's init system
  $ opsdeck units generate --target launchd --mode native --out ./units
  $ opsdeck units install --dry-run              # what would be written and enabled
  $ opsdeck units install                        # user units: start at login
  $ sudo opsdeck units install --system          # system units: start at boot
  $ opsdeck units status                         # installed? enabled? running? drifted?
  $ opsdeck units diff                           # after editing opsdeck.yaml
  $ opsdeck units uninstall

Modes: engine (default) runs \`opsdeck daemon\` at boot; native gives each service its own unit.
boot: in opsdeck.yaml sets the defaults (mode, target, scope, delay). See docs/boot.md.`;

/** Run `body` and print its answer: JSON with --json (errors too), else `human`. */
async function answer<T>(flags: UnitsFlags, verbose: boolean, body: () => Promise<T>, human: (v: T) => string, exitOf: (v: T) => number = () => 0): Promise<void> {
  try {
    const value = await body();
    if (flags.json) printJson(value);
    else process.stdout.write(human(value));
    process.exitCode = exitOf(value);
  } catch (err) {
    if (!flags.json) {
      process.exitCode = reportError(err, verbose);
      return;
    }
    printJson({ ok: false, error: errorJson(err) });
    process.exitCode = exitCodeOf(err);
  }
}

const verboseOf = (cmd: Command) => !!cmd.optsWithGlobals<{ verbose?: boolean }>().verbose;

export function registerUnits(program: Command): void {
  const group = program.command('units').description('start the stack at login or boot: systemd units, launchd plists or cron lines from opsdeck.yaml').addHelpText('after', HELP);

  unitsOptions(group.command('generate').description('print (or write with --out) the units opsdeck.yaml makes; installs nothing'))
    .option('--out <dir>', 'write the files into this folder instead of printing them')
    .option('--dry-run', 'with --out: say what would be written, write nothing')
    .action(async (flags: UnitsFlags & { out?: string }, cmd: Command) =>
      answer(flags, verboseOf(cmd), async () => {
        const { stack, req } = await unitsRequest(cmd, flags);
        const set = await generateUnits(stack, req);
        return flags.out ? { ...set, written: writeGenerated(set.files, flags.out, set, !!flags.dryRun), dryRun: !!flags.dryRun } : set;
      }, (v) => ('written' in v ? `${v.dryRun ? 'would write' : 'wrote'} ${v.written.join(', ')} in ${flags.out}\n` : formatSet(v))),
    );

  unitsOptions(group.command('install').description('write the units, reload the init system and enable them (never over a file Opsdeck did not write)'))
    .option('--dry-run', 'say what would be written, removed and run; change nothing')
    .action(async (flags: UnitsFlags, cmd: Command) =>
      answer(flags, verboseOf(cmd), async () => {
        const { stack, req } = await unitsRequest(cmd, flags);
        return installUnits(stack, req, { dryRun: !!flags.dryRun });
      }, (c) => formatChange(c, 'install')),
    );

  unitsOptions(group.command('uninstall').description('stop, disable and remove this stack\'s units (only files Opsdeck wrote for it)'))
    .option('--dry-run', 'say what would be removed and run; change nothing')
    .action(async (flags: UnitsFlags, cmd: Command) =>
      answer(flags, verboseOf(cmd), async () => {
        const { stack, req } = await unitsRequest(cmd, flags);
        return uninstallUnits(stack, req, { dryRun: !!flags.dryRun });
      }, (c) => formatChange(c, 'uninstall')),
    );

  unitsOptions(group.command('status').description('installed? enabled? loaded? running? drifted from opsdeck.yaml?')).action(async (flags: UnitsFlags, cmd: Command) =>
    answer(flags, verboseOf(cmd), async () => {
      const { stack, req } = await unitsRequest(cmd, flags);
      return unitsStatus(stack, req);
    }, formatStatus),
  );

  unitsOptions(group.command('diff').description('the installed units against what the current opsdeck.yaml generates (exit 1 when they differ)')).action(async (flags: UnitsFlags, cmd: Command) =>
    answer(flags, verboseOf(cmd), async () => {
      const { stack, req } = await unitsRequest(cmd, flags);
      return unitsDiff(stack, req);
    }, formatDiff, (d) => (d.changed ? 1 : 0)),
  );

  unitsOptions(group.command('lint').description('check the generated units with the init system\'s tools (systemd-analyze verify) and launchd.plist(5) (exit 1 on a problem)')).action(
    async (flags: UnitsFlags, cmd: Command) =>
      answer(flags, verboseOf(cmd), async () => {
        const { stack, req } = await unitsRequest(cmd, flags);
        return lintUnits(await generateUnits(stack, req));
      }, formatLint, (l) => (l.ok ? 0 : 1)),
  );
}
