/**
 * The one runner of every backup command: check the options, find the stack, reach its backups
 * (the owning engine, else a one-shot engine holding the lock when the row says), show progress,
 * then print the result as JSON or for humans and set the exit code. Errors print like any
 * command's, or as `{ok: false, error}` on stdout with --json.
 */
import type { Command } from 'commander';
import { reportError } from '../../daemon/report-error';
import { errorJson, exitCodeOf } from '../exit';
import { globals, printJson, stackDir } from '../stack-context';
import { withBackups } from './access';
import type { BackupCommand, CommandInput, CommandSpec, CommonOptions, LockWhen } from './command-spec';
import { progressReporter } from './progress';

/** A row of the table, typed where it is written, ready for commander. */
export function defineCommand<A extends unknown[], O extends CommonOptions, R>(spec: CommandSpec<A, O, R>): BackupCommand {
  return {
    name: spec.name,
    description: spec.description,
    arguments: spec.arguments ?? [],
    options: spec.options,
    help: spec.help,
    action: (...params) => {
      const cmd = params.at(-1) as Command;
      return runCommand(spec, params.slice(0, -2) as A, params.at(-2) as O, cmd);
    },
  };
}

async function runCommand<A extends unknown[], O extends CommonOptions, R>(spec: CommandSpec<A, O, R>, args: A, opts: O, cmd: Command): Promise<void> {
  await runJsonAware(cmd, opts.json, async () => {
    spec.check?.(opts);
    const dir = stackDir(cmd);
    const progress = progressReporter(spec.progress?.kind ?? 'backup', spec.progress?.shown(opts) ?? false);
    try {
      const input: CommandInput<A, O> = { args, opts, onProgress: (p) => progress.update(p) };
      const { run } = spec;
      const result = 'onDir' in run ? await run.onDir(dir, input) : await withBackups(dir, { lock: locks(run.lock, opts) }, ({ service }) => run.call(service, input));
      progress.stop();
      if (opts.json) printJson(spec.json ? spec.json(result) : result);
      else process.stdout.write(spec.human(result) + '\n');
      return spec.exitCode?.(result);
    } finally {
      progress.stop();
    }
  });
}

const locks = (when: LockWhen, opts: CommonOptions) => when === 'always' || (when === 'unless --dry-run' && !opts.dryRun);

/** Run a command body; with --json an error is printed as `{ok: false, error}` on stdout. */
export async function runJsonAware(cmd: Command, json: boolean | undefined, body: () => Promise<number | void>): Promise<void> {
  try {
    const code = await body();
    if (typeof code === 'number') process.exitCode = code;
  } catch (err) {
    if (!json) {
      process.exitCode = reportError(err, globals(cmd).verbose ?? false);
      return;
    }
    printJson({ ok: false, error: errorJson(err) });
    process.exitCode = exitCodeOf(err);
  }
}
