/**
 * The CLI's quick path: `status`, `health` and `profile list`, asked of a stack whose engine runs,
 * are answered here, in dist/cli.js, with one request over the engine's socket — without loading
 * the commander program, the engine, the config schemas, YAML or the backup code (all in
 * dist/cli-program.js). Anything else, and these when the argument list has any other shape, when
 * no engine owns the stack or when it does not answer, is left to the program (main.ts), which
 * then does and prints exactly what it always did: the help, the errors and the answers without
 * an engine stay the program's.
 */
import { ReadClient } from '../core/client';
import { findStackDir, readOwner } from '../core/host';
import { isOpsError } from '../core/contract';
import { reportError } from '../daemon/report-error';
import { answerHealth, printProfiles, printStatus } from './engine-answers';

/** A command line the quick path answers. */
export interface QuickCommand {
  command: 'status' | 'health' | 'profile list';
  /** `-C` / `--stack`. */
  stack?: string;
  verbose: boolean;
  json: boolean;
  /** health: `--check`. */
  check: boolean;
  /** status, health: the services named. */
  services: string[];
}

/** The options each command takes, besides the global ones. */
const FLAGS: Record<QuickCommand['command'], readonly string[]> = {
  status: ['--json'],
  health: ['--json', '--check'],
  'profile list': ['--json'],
};

/**
 * `args` (after `node cli.js`) as a command the quick path answers, or undefined: only the plain
 * shapes — the global `-C DIR` / `--stack DIR` (once) and `--verbose` anywhere, the command's own
 * flags after its name, and for `status` and `health` service names. Anything else (`--help`, `--stack=DIR`,
 * `--`, an unknown option, a typo) is the program's to answer or to reject.
 */
export function quickCommand(args: readonly string[]): QuickCommand | undefined {
  let stack: string | undefined;
  let verbose = false;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-C' || arg === '--stack') {
      const value = args[++i];
      if (stack !== undefined || value === undefined || value.startsWith('-')) return undefined;
      stack = value;
    } else if (arg === '--verbose') verbose = true;
    else rest.push(arg);
  }
  const command = rest[0] === 'status' || rest[0] === 'health' ? rest[0] : rest[0] === 'profile' && rest[1] === 'list' ? 'profile list' : undefined;
  if (!command) return undefined;
  const flags = new Set<string>();
  const services: string[] = [];
  for (const arg of rest.slice(command.split(' ').length)) {
    if (FLAGS[command].includes(arg)) flags.add(arg);
    else if (command !== 'profile list' && !arg.startsWith('-')) services.push(arg);
    else return undefined;
  }
  return { command, ...(stack === undefined ? {} : { stack }), verbose, json: flags.has('--json'), check: flags.has('--check'), services };
}

/**
 * Answers `args` when the quick path can: true once answered (output printed, process.exitCode
 * set), false to hand the command to the program — also when the engine cannot be reached (the
 * program then reports that as it always does), so nothing here ever differs from the program.
 */
export async function answerQuickly(args: readonly string[]): Promise<boolean> {
  const cmd = quickCommand(args);
  if (!cmd) return false;
  let socket: string | undefined;
  try {
    socket = readOwner(findStackDir(cmd.stack))?.socket;
  } catch {
    return false; // no stack here, an unreadable lock…: the program says what is wrong
  }
  if (!socket) return false;
  const client = new ReadClient(socket);
  try {
    if (cmd.command === 'status') printStatus(await client.status(cmd.services), cmd.json);
    else if (cmd.command === 'profile list') printProfiles(await client.profiles(), cmd.json);
    else await answerHealth(() => client.health(cmd.check, cmd.services), cmd.json);
  } catch (err) {
    if (isOpsError(err) && err.code === 'ENGINE_UNREACHABLE') return false;
    process.exitCode = reportError(err, cmd.verbose);
  }
  return true;
}
