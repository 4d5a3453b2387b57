/** `opsdeck profile list|use NAME`: which services run, with which environment. */
import type { Command } from 'commander';
import { loadConfig, rememberProfile, withProfile, withRememberedProfile } from '../core/host';
import { printProfiles } from './engine-answers';
import { formatPlan } from './format';
import { ownerOf, printJson, stackDir } from './stack-context';

export function registerProfile(program: Command): void {
  const profile = program
    .command('profile')
    .description('list profiles or switch to another one')
    .addHelpText('after', '\nExamples:\n  $ opsdeck profile list\n  $ opsdeck profile use minimal --dry-run');

  profile
    .command('list')
    .description('list the profiles of the stack; the active one is marked')
    .option('--json', 'print {active, profiles:[{name, services}]} as JSON')
    .addHelpText('after', '\nExamples:\n  $ opsdeck profile list\n  $ opsdeck profile list --json')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const dir = stackDir(cmd);
      const owner = ownerOf(dir);
      printProfiles(owner ? await owner.client.profiles() : localProfiles(withRememberedProfile(await loadConfig(dir))), !!opts.json);
    });

  profile
    .command('use')
    .description('switch profile: stop what it leaves out, restart what changes, start what it adds')
    .argument('<name>', 'the profile')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--json', 'print the plan as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck profile use minimal
  $ opsdeck profile use dev --dry-run

The choice is remembered in .opsdeck/state.json and used by the next \`opsdeck up\`.
Without a running engine it is only remembered.`,
    )
    .action(async (name: string, opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const dir = stackDir(cmd);
      const owner = ownerOf(dir);
      if (owner) {
        const result = await owner.client.useProfile(name, !!opts.dryRun);
        if (opts.json) return printJson(result);
        return void process.stdout.write(formatPlan(result.plan, result.dryRun) + `\n${result.dryRun ? '' : `profile: ${name}\n`}`);
      }
      const next = withProfile(await loadConfig(dir), name);
      if (!opts.dryRun) rememberProfile(next);
      if (opts.json) return printJson({ dryRun: !!opts.dryRun, plan: [], remembered: !opts.dryRun });
      process.stdout.write(opts.dryRun ? `would remember profile ${name} for the next \`opsdeck up\` (dry run, nothing changed)\n` : `profile ${name} will be used by the next \`opsdeck up\` (no engine is running)\n`);
    });
}

function localProfiles(stack: Awaited<ReturnType<typeof loadConfig>>) {
  return {
    active: stack.profile ?? null,
    profiles: Object.entries(stack.config.profiles).map(([name, p]) => ({ name, services: p.services ?? Object.keys(stack.config.services) })),
  };
}
