/** `opsdeck validate [path]`: load opsdeck.yaml, report whether it is valid. Changes nothing. */
import path from 'node:path';
import type { Command } from 'commander';
import { displayPath, loadConfig } from '../core/host';
import { EXIT_OK, reportError } from '../daemon/report-error';
import { errorJson, exitCodeOf } from './exit';

interface ValidateOptions {
  profile?: string;
  json?: boolean;
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check an opsdeck.yaml (schema, dependencies, profiles) without starting anything')
    .argument('[path]', 'the stack folder or its opsdeck.yaml (default: the current folder)')
    .option('-p, --profile <name>', 'validate with this profile active instead of active_profile')
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck validate                              # ./opsdeck.yaml
  $ opsdeck validate examples/default --profile minimal
  $ opsdeck -C examples/default validate          # the same folder through the global -C
  $ opsdeck validate stack/opsdeck.yaml --json    # {"ok":true,"file":…,"services":3,"profile":"dev"}

Exit codes: 0 valid, 1 invalid (error and hint on stderr), 2 internal error.`,
    )
    .action(async (target: string | undefined, opts: ValidateOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<{ verbose?: boolean; stack?: string }>();
      // The positional path wins; otherwise the global -C/--stack, then the current folder.
      process.exitCode = await validate(target ?? globals.stack, opts, globals.verbose ?? false);
    });
}

async function validate(target: string | undefined, opts: ValidateOptions, verbose: boolean): Promise<number> {
  const file = path.resolve(target ?? process.cwd());
  try {
    const loaded = await loadConfig(file, opts.profile === undefined ? {} : { profile: opts.profile });
    const services = loaded.services.length;
    const profile = loaded.profile ?? null;
    if (opts.json) {
      print({ ok: true, file: loaded.file, services, profile });
    } else {
      const what = `${services} service${services === 1 ? '' : 's'}, ${profile === null ? 'no profile' : `profile ${profile}`}`;
      process.stdout.write(`ok: ${displayPath(loaded.file)} (${what})\n`);
    }
    return EXIT_OK;
  } catch (err) {
    if (!opts.json) return reportError(err, verbose);
    print({ ok: false, error: errorJson(err) });
    return exitCodeOf(err);
  }
}

function print(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
