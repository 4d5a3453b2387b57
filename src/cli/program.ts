/** The `opsdeck` commander program: global options and one register call per command group. */
import { Command } from 'commander';
import { OPSDECK_VERSION as VERSION } from '../core/contract';
import { registerAlerts } from './alerts';
import { registerBackup, registerRestore } from './backup/register';
import { registerCleanup } from './cleanup';
import { registerDoctor } from './doctor';
import { registerInit } from './init';
import { registerLogs } from './logs';
import { registerMaintain } from './maintain';
import { registerMemory } from './memory';
import { registerMonitor } from './monitor';
import { registerMetrics } from './metrics';
import { registerProfile } from './profile';
import { registerReleases } from './releases';
import { registerReload } from './reload';
import { registerReport } from './report';
import { registerServiceCommands } from './service';
import { registerStatus } from './status';
import { registerUnits } from './units/register';
import { registerExec } from './exec';
import { registerUp } from './up';
import { registerValidate } from './validate';

export function createProgram(): Command {
  const program = new Command('opsdeck')
    .description('Run, watch, back up and restore your local multi-service stack.')
    .version(VERSION, '-V, --version', 'print the version of opsdeck')
    .option('-C, --stack <path>', 'the stack folder or its opsdeck.yaml (default: nearest folder upward with one)')
    .option('--verbose', 'print stack traces and more detail on errors')
    .showHelpAfterError('(run opsdeck --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck init && opsdeck up       # a new stack, started in the foreground
  $ opsdeck up --detach && opsdeck status
  $ opsdeck -C examples/default health --check
  $ opsdeck logs api -f
  $ opsdeck up --help                # options and examples of one command

Exit codes: 0 success, 1 error (message and hint on stderr), 2 internal error;
\`health\` and \`monitor\` use 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. See docs/cli.md.`,
    );
  registerInit(program);
  registerValidate(program);
  registerUp(program);
  registerServiceCommands(program);
  registerStatus(program);
  registerLogs(program);
  registerProfile(program);
  registerReload(program);
  registerMemory(program);
  registerMetrics(program);
  registerReport(program);
  registerBackup(program);
  registerRestore(program);
  registerMaintain(program);
  registerCleanup(program);
  registerDoctor(program);
  registerUnits(program);
  registerExec(program);
  registerAlerts(program);
  registerMonitor(program);
  registerReleases(program);
  return program;
}
