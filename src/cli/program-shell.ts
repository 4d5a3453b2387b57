/** The `opsdeck` commander program without its commands (program.ts adds them all; report-program-main.ts adds `report`). */
import { Command } from 'commander';
import { OPSDECK_VERSION as VERSION } from '../core/contract';

/**
 * The program without its commands: the name, the version, the global options, the help and the
 * error settings. createProgram() adds every command; dist/cli-report.js (report-program-main.ts)
 * adds `report` alone, so it answers that command exactly as the whole program does.
 */
export function programShell(): Command {
  return new Command('opsdeck')
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
}
