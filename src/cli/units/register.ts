/**
 * `opsdeck units generate|install|uninstall|status|diff|lint`: start the stack at login or boot
 * with systemd, launchd or cron (docs/boot.md).
 */
import type { Command } from 'commander';
import { generateUnits, installUnits, lintUnits, type LoadedStack, uninstallUnits, type UnitSet, unitsDiff, type UnitsRequest, unitsStatus } from '../../core/host';
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

type Work<F, T> = (s: { stack: LoadedStack; req: UnitsRequest; flags: F }) => T | Promise<T>;

/**
 * The action of a `units` command: read the stack and the request from the flags, do `work`,
 * print its answer (JSON with --json, errors too; else `human`) and exit with `exitOf` of it.
 */
function unitsAction<F extends UnitsFlags, T>(work: Work<F, T>, human: (v: T, flags: F) => string, exitOf: (v: T) => number = () => 0) {
  return async (flags: F, cmd: Command): Promise<void> => {
    try {
      const { stack, req } = await unitsRequest(cmd, flags);
      const value = await work({ stack, req, flags });
      if (flags.json) printJson(value);
      else process.stdout.write(human(value, flags));
      process.exitCode = exitOf(value);
    } catch (err) {
      if (!flags.json) {
        process.exitCode = reportError(err, !!cmd.optsWithGlobals<{ verbose?: boolean }>().verbose);
        return;
      }
      printJson({ ok: false, error: errorJson(err) });
      process.exitCode = exitCodeOf(err);
    }
  };
}

/** Each subcommand's examples (its --help). */
const EXAMPLES: Record<string, string[]> = {
  generate: ['opsdeck units generate                       # systemd units (launchd on macOS), printed', 'opsdeck units generate --target launchd --mode native --out ./units', 'opsdeck units generate --target cron --json | jq -r .files[0].text'],
  install: ['opsdeck units install --dry-run              # the files and commands, nothing changed', 'opsdeck units install --mode native', 'sudo opsdeck units install --system           # started at boot, as root'],
  uninstall: ['opsdeck units uninstall --dry-run', 'sudo opsdeck units uninstall --system'],
  status: ['opsdeck units status', 'opsdeck units status --json | jq .drifted'],
  diff: ['opsdeck units diff                           # after editing opsdeck.yaml', 'opsdeck units diff --system && echo current'],
  lint: ['opsdeck units lint --mode native --system    # systemd-analyze verify of the system units', 'opsdeck units lint --target launchd'],
};
const examples = (name: string) => `\nExamples:\n${EXAMPLES[name]!.map((e) => `  $ ${e}`).join('\n')}\n\nSee docs/boot.md.`;
const sub = (group: Command, name: string, description: string) => unitsOptions(group.command(name).description(description).addHelpText('after', examples(name)));

export function registerUnits(program: Command): void {
  const group = program.command('units').description('start the stack at login or boot: systemd units, launchd plists or cron lines from opsdeck.yaml').addHelpText('after', HELP);

  sub(group, 'generate', 'print (or write with --out) the units opsdeck.yaml makes; installs nothing')
    .option('--out <dir>', 'write the files into this folder instead of printing them')
    .option('--dry-run', 'with --out: say what would be written, write nothing')
    .action(
      unitsAction<UnitsFlags & { out?: string }, UnitSet | (UnitSet & { written: string[]; dryRun: boolean })>(
        async ({ stack, req, flags }) => {
          const set = await generateUnits(stack, req);
          return flags.out ? { ...set, written: writeGenerated(set.files, flags.out, set, !!flags.dryRun), dryRun: !!flags.dryRun } : set;
        },
        (v, flags) => ('written' in v ? `${v.dryRun ? 'would write' : 'wrote'} ${v.written.join(', ')} in ${flags.out}\n` : formatSet(v)),
      ),
    );

  sub(group, 'install', 'write the units, reload the init system and enable them (never over a file Opsdeck did not write)')
    .option('--dry-run', 'say what would be written, removed and run; change nothing')
    .action(unitsAction(({ stack, req, flags }) => installUnits(stack, req, { dryRun: !!flags.dryRun }), (c) => formatChange(c, 'install')));

  sub(group, 'uninstall', 'stop, disable and remove this stack\'s units (only files Opsdeck wrote for it)')
    .option('--dry-run', 'say what would be removed and run; change nothing')
    .action(unitsAction(({ stack, req, flags }) => uninstallUnits(stack, req, { dryRun: !!flags.dryRun }), (c) => formatChange(c, 'uninstall')));

  sub(group, 'status', 'installed? enabled? loaded? running? drifted from opsdeck.yaml?').action(unitsAction(({ stack, req }) => unitsStatus(stack, req), formatStatus));

  sub(group, 'diff', 'the installed units against what the current opsdeck.yaml generates (exit 1 when they differ)').action(
    unitsAction(({ stack, req }) => unitsDiff(stack, req), formatDiff, (d) => (d.changed ? 1 : 0)),
  );

  sub(group, 'lint', 'check the generated units with the init system\'s tools (systemd-analyze verify) and launchd.plist(5) (exit 1 on a problem)').action(
    unitsAction(async ({ stack, req }) => lintUnits(await generateUnits(stack, req)), formatLint, (l) => (l.ok ? 0 : 1)),
  );
}
