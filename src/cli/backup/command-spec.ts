/**
 * The shape of one row of the backup commands' table: what commander declares (name, arguments,
 * options, help), which backups it reaches and whether it takes the stack lock, the work, and how
 * its result prints (JSON, human, exit code). `run-command.ts` runs a row; `register.ts` declares it.
 */
import type { BackupProgress, BackupService, RestoreProgress, VerifyProgress } from '../../core/contract';
import type { ProgressKind } from './progress';

/** One commander option: `.option(flags, description[, parse[, default]])`. */
export interface OptionSpec {
  flags: string;
  description: string;
  parse?: (value: string, previous: never) => unknown;
  default?: unknown;
  /** How --help shows the default when the value itself reads badly (60000 for "60s"). */
  defaultLabel?: string;
}

/** The options every backup command has. */
export interface CommonOptions {
  json?: boolean;
  dryRun?: boolean;
}

/** What the work of a command is given: its arguments, its options, and where progress goes. */
export interface CommandInput<A, O> {
  args: A;
  opts: O;
  onProgress(p: BackupProgress | RestoreProgress | VerifyProgress): void;
}

/**
 * When a run without an owning engine takes the stack lock (and records its events in memory):
 * commands that write the repository or touch services do; `unless --dry-run` for those whose dry
 * run only reads.
 */
export type LockWhen = 'always' | 'never' | 'unless --dry-run';

/** The work on the stack's backups: the owning engine's over its API, else a one-shot engine's. */
export interface OnBackups<A, O, R> {
  lock: LockWhen;
  call(service: BackupService, input: CommandInput<A, O>): Promise<R>;
}

/** Work on the stack folder itself, whether or not an engine owns the stack (`backups init`). */
export interface OnStackDir<A, O, R> {
  onDir(dir: string, input: CommandInput<A, O>): Promise<R>;
}

export interface CommandSpec<A extends unknown[], O extends CommonOptions, R> {
  name: string;
  description: string;
  /** `<required>` or `[optional]`, in order; the action gets them as `args`. */
  arguments?: { name: string; description: string }[];
  options: OptionSpec[];
  /** Shown after the options in `--help` (examples, notes, exit codes). */
  help: string;
  /** Refuses contradictory options, before the stack is even looked for. */
  check?(opts: O): void;
  /** A progress bar (or lines) on stderr, when `shown` says so. */
  progress?: { kind: ProgressKind; shown(opts: O): boolean };
  run: OnBackups<A, O, R> | OnStackDir<A, O, R>;
  /** What `--json` prints (default: the result itself). */
  json?(result: R): unknown;
  /** What is printed otherwise (a newline follows). */
  human(result: R): string;
  /** The exit code a result sets (default: none, so 0). */
  exitCode?(result: R): number;
}

/** A row of the table with its types erased: the declaration, and the action commander calls. */
export interface BackupCommand {
  name: string;
  description: string;
  arguments: { name: string; description: string }[];
  options: OptionSpec[];
  help: string;
  /** Commander's action arguments: the command's arguments, its options, the command. */
  action(...params: unknown[]): Promise<void>;
}

/** A command with subcommands (`backups`): the group's own description and help, then its rows. */
export interface CommandGroup {
  name: string;
  description: string;
  help: string;
  commands: BackupCommand[];
}
