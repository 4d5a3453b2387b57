/**
 * `opsdeck deploy`, `update`, `rollback` and `releases`: releases of the stack (docs/releases.md),
 * with progress lines, a summary with timings, and --json.
 */
import { existsSync, mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { ROLLBACK_DATA, type ReleaseRunResult, type RollbackData } from '../core/contract';
import { findStackDir, ReleaseManager, RELEASE_PAUSE_ENV } from '../core/host';
import { errorJson } from './exit';
import { formatList, formatRun, progressLine } from './release-format';
import { cliReleaseHost } from './release-host';
import { globals, printJson } from './stack-context';

interface RunOpts {
  json?: boolean;
  dryRun?: boolean;
}

/** The deployment folder: --stack (created for a deploy), else the nearest stack folder, else (deploy) here. */
function deployDir(cmd: Command, create: boolean, peek = false): string {
  const given = globals(cmd).stack;
  if (peek && given) return path.basename(given) === 'opsdeck.yaml' ? path.dirname(path.resolve(given)) : path.resolve(given);
  if (given) {
    const dir = path.basename(given) === 'opsdeck.yaml' ? path.dirname(path.resolve(given)) : path.resolve(given);
    if (create && !existsSync(dir)) mkdirSync(dir, { recursive: true });
    return dir;
  }
  try {
    return findStackDir(undefined);
  } catch (e) {
    if (create) return process.cwd();
    throw e;
  }
}

function rmdirIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // not there, or not empty
  }
}

const manager = (dir: string) => new ReleaseManager(cliReleaseHost(dir), { ...(process.env[RELEASE_PAUSE_ENV] ? { pauseAt: process.env[RELEASE_PAUSE_ENV] } : {}) });

async function runOp(opts: RunOpts, op: (onProgress?: (p: Parameters<typeof progressLine>[0]) => void) => Promise<ReleaseRunResult>): Promise<void> {
  let result: ReleaseRunResult;
  try {
    result = await op(opts.json ? undefined : (p) => process.stdout.write(progressLine(p) + '\n'));
  } catch (e) {
    if (!opts.json) throw e;
    printJson({ ok: false, error: errorJson(e) });
    process.exitCode = 1;
    return;
  }
  if (opts.json) printJson(result);
  else process.stdout.write(formatRun(result) + '\n');
  process.exitCode = result.ok ? 0 : 1;
}

export function registerReleases(program: Command): void {
  program
    .command('deploy')
    .description('deploy a release into this folder: checks, fetch, install, migrations, start in order, health gate')
    .option('--to <version>', 'the version to deploy (default: the newest the source offers); not --version, which is opsdeck\'s own')
    .option('--from <source>', 'where releases come from when opsdeck.yaml does not say: a git repository, a folder, app-{version}.tgz or npm:<package>')
    .option('--dry-run', 'run the checks and print the plan; change nothing')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck -C /srv/shop deploy --from /src/shop.git            # newest tag v<version>, into an empty folder
  $ opsdeck -C /srv/shop deploy --from ./dist/shop-{version}.tgz --to 1.2.0
  $ opsdeck deploy --dry-run                                     # the checks and the plan only

The folder gets releases/<version>/, a current link to it, opsdeck.yaml linking to
current/opsdeck.yaml and the ledger .opsdeck/releases.json. Missing programs, a port in use, too
little disk or a newer Opsdeck needed are listed with how to fix them, and nothing is changed.
On a folder that already runs a release, deploy is an update (see opsdeck update --help).`,
    )
    .action(async (opts: RunOpts & { to?: string; from?: string }, cmd: Command) => {
      const existed = existsSync(deployDir(cmd, false, true));
      const dir = deployDir(cmd, !opts.dryRun);
      // A refused first deploy leaves no folder it created.
      if (!existed) process.once('beforeExit', () => rmdirIfEmpty(dir));
      await runOp(opts, (onProgress) => manager(dir).deploy({ ...(opts.to ? { version: opts.to } : {}), ...(opts.from ? { from: opts.from } : {}), dryRun: !!opts.dryRun }, onProgress ? { onProgress } : {}));
    });

  program
    .command('update')
    .description('update the stack to a newer release, rolling back automatically when anything fails')
    .option('--to <version>', 'the version (default: the newest the source offers)')
    .option('--allow-downgrade', 'allow a version older than the running one')
    .option('--dry-run', 'run the version checks and print the plan; change nothing')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck update --dry-run         # the checks and the plan only
  $ opsdeck update                   # to the newest version
  $ opsdeck update --to 2.1.0 --json

Checks first (nothing changes when one fails): the version exists, is newer (unless
--allow-downgrade), its requires hold, its opsdeck.yaml validates, its migrations chain from the
schema the ledger records. Then: install beside the running release, the pre-update snapshot,
stop what changes, migrate up, switch current, start behind the health gate. A failure rolls back
automatically (down-steps in reverse, or the snapshot when a step has no down) and exits 1.
An operation a kill interrupted is recovered first (back to the release before it).`,
    )
    .action(async (opts: RunOpts & { to?: string; allowDowngrade?: boolean }, cmd: Command) => {
      const dir = deployDir(cmd, false);
      await runOp(opts, (onProgress) => manager(dir).update({ ...(opts.to ? { to: opts.to } : {}), allowDowngrade: !!opts.allowDowngrade, dryRun: !!opts.dryRun }, onProgress ? { onProgress } : {}));
    });

  program
    .command('rollback')
    .description('go back to the previous (or a named) installed release, the data following as --data says')
    .option('--to <version>', 'the release to go back to (default: the one that ran before)')
    .addOption(new Option('--data <mode>', 'down: run the down-steps (a safety snapshot first); restore: the snapshot taken before the update; keep: leave the data').choices([...ROLLBACK_DATA]).default('down'))
    .option('--dry-run', 'print the plan; change nothing')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck rollback                      # back to the release before, data by its down-steps
  $ opsdeck rollback --to 1.4.0 --data restore
  $ opsdeck rollback --dry-run --json

--data down (the default) keeps what was written since the update: only what the down-steps
drop is lost, and a safety snapshot taken first keeps even that. --data restore brings back the
snapshot taken before the update (writes since then are lost); --data keep changes no data.
When a step has no down, down is refused (nothing changed) and the message says so.`,
    )
    .action(async (opts: RunOpts & { to?: string; data: RollbackData }, cmd: Command) => {
      const dir = deployDir(cmd, false);
      await runOp(opts, (onProgress) => manager(dir).rollback({ ...(opts.to ? { to: opts.to } : {}), data: opts.data, dryRun: !!opts.dryRun }, onProgress ? { onProgress } : {}));
    });

  program
    .command('releases')
    .description('list the releases (installed, offered by the source) and the ledger of deploys, updates and rollbacks')
    .option('--json', 'print them as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck releases
  $ opsdeck releases --json | jq .current`,
    )
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const list = await manager(deployDir(cmd, false)).list();
      if (opts.json) printJson(list);
      else process.stdout.write(formatList(list) + '\n');
    });
}
