/** `opsdeck status` and `opsdeck health [SERVICE…]`: what runs, and whether it works. */
import type { Command } from 'commander';
import type { StackHealth } from '../core/contract';
import { assertKnownServices, assertServiceName, loadConfig, withRememberedProfile } from '../core/host';
import { answerHealth, printStatus } from './engine-answers';
import { bold, table } from './format';
import { ownerOf, printJson, stackDir } from './stack-context';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show every service (or only the services named): state, pid, uptime, restarts, health and why')
    .argument('[services...]', 'only these services, in the stack\'s order (the headline counts them alone)')
    .option('--json', 'print the engine status as JSON (see docs/cli.md for its shape)')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck status
  $ opsdeck status api storage
  $ opsdeck status --json | jq '.services[] | {name, state}'

Exit codes: 0 shown (whether or not the stack runs), 1 error (a service name not in the stack, with a did-you-mean hint).`,
    )
    .action(async (names: string[], opts: { json?: boolean }, cmd: Command) => {
      const dir = stackDir(cmd);
      const owner = ownerOf(dir);
      if (!owner) {
        const stack = withRememberedProfile(await loadConfig(dir));
        const all = Object.keys(stack.config.services);
        names.forEach((n) => assertServiceName(stack, n));
        const listed = names.length ? all.filter((n) => names.includes(n)) : stack.services;
        const services = listed.map((name) => ({ name, tier: stack.config.services[name]!.tier, state: 'stopped' }));
        if (opts.json) printJson({ running: false, stack: stack.config.name, dir: stack.dir, profile: stack.profile ?? null, services });
        else {
          const profile = stack.profile ? ` · profile ${stack.profile}` : '';
          process.stdout.write(`${bold(stack.config.name)}: not running${profile} (start it with \`opsdeck up\`)\n`);
          process.stdout.write(table(['SERVICE', 'TIER', 'STATE'], services.map((s) => [s.name, s.tier, s.state])) + '\n');
        }
        return;
      }
      printStatus(await owner.client.status(names), !!opts.json);
    });

  program
    .command('health')
    .description('OK / WARNING / CRITICAL / UNKNOWN for the stack and each service (or only the services named), as an exit code')
    .argument('[services...]', 'only these services: their health alone decides the level and the exit code')
    .option('--check', "also run the full-functionality check of every running service (or of those named) first")
    .option('--json', 'print the health as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck health                   # from the engine's probes
  $ opsdeck health storage           # only storage: its health is the exit code
  $ opsdeck health --check --json    # run the full-functionality checks too

Exit codes (as monitoring plugins): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (e.g. no engine running);
a service name not in the stack is an error (with a did-you-mean hint) and exits 2.`,
    )
    .action(async (services: string[], opts: { check?: boolean; json?: boolean }, cmd: Command) => {
      const dir = stackDir(cmd);
      const owner = ownerOf(dir);
      await answerHealth(async (): Promise<StackHealth> => {
        if (owner) return owner.client.health(!!opts.check, services);
        if (services.length) assertKnownServices(services, Object.keys((await loadConfig(dir)).config.services));
        return { level: 'UNKNOWN', summary: 'no engine is running for this stack', services: [] };
      }, !!opts.json);
    });
}
