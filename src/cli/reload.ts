/** `opsdeck reload [--dry-run]`: read opsdeck.yaml again and apply it to the running stack. */
import type { Command } from 'commander';
import type { PlanResult } from '../core/contract';
import { displayPath, loadConfig } from '../core/host';
import { dim } from './format';
import { ownerOf, printJson, stackDir } from './stack-context';

export function registerReload(program: Command): void {
  program
    .command('reload')
    .description('read opsdeck.yaml again and apply it: stop removed services, restart changed ones, start added ones')
    .option('--dry-run', 'print what would change and change nothing')
    .option('--json', 'print the plan as JSON ({dryRun, plan:[{action, service, wave, reason}]})')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck reload --dry-run     # what saving opsdeck.yaml changed: services added, removed, restarted and why
  $ opsdeck reload               # apply it to the running stack
  $ opsdeck reload --json

A service restarts when its command, env, cwd, shell, probes, restart policy, limits or stop
settings changed; other changes (tier, depends_on, ipc, backup) apply without a restart.
Services added to the file start only while the stack runs. A file with errors changes
nothing: every problem is printed at its line:column (exit code 1).
Without a running engine, the file is only checked: the next \`opsdeck up\` reads it.`,
    )
    .action(async (opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const dir = stackDir(cmd);
      const owner = ownerOf(dir);
      if (!owner) {
        const stack = await loadConfig(dir);
        if (opts.json) return printJson({ dryRun: true, plan: [], running: false });
        return void process.stdout.write(`no engine is running: ${displayPath(stack.file)} is valid and the next \`opsdeck up\` uses it\n`);
      }
      const result = await owner.client.reload(!!opts.dryRun);
      if (opts.json) return printJson(result);
      process.stdout.write(formatReload(result) + '\n');
    });
}

/** The plan step by step, each with its reason (what changed in the file). */
export function formatReload({ plan, dryRun }: PlanResult): string {
  if (plan.length === 0) return dryRun ? 'opsdeck.yaml changes nothing that runs (dry run)' : 'opsdeck.yaml reloaded: nothing to restart, start or stop';
  const head = dryRun ? 'plan (dry run, nothing changed):' : 'reloaded opsdeck.yaml:';
  return [head, ...plan.map((p, i) => `  ${i + 1}. ${p.action} ${p.service} ${dim(`(${p.reason})`)}`)].join('\n');
}
