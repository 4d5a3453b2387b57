/** The `opsdeck` commander program: global options and one register call per command group. */
import { Command } from 'commander';
import { VERSION } from './version';
import { registerValidate } from './validate';

export function createProgram(): Command {
  const program = new Command('opsdeck')
    .description('Run, watch, back up and restore your local multi-service stack.')
    .version(VERSION, '-V, --version', 'print the version of opsdeck')
    .option('--verbose', 'print stack traces and more detail on errors')
    .showHelpAfterError('(run opsdeck --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck validate                 # check ./opsdeck.yaml
  $ opsdeck validate --help          # options and examples of one command`,
    );
  registerValidate(program);
  return program;
}
