/**
 * Which command a command line names, for dist/cli.js to load the bundle that answers it (main.ts):
 * the first argument after the global options given in their plain shapes (`-C DIR`, `--stack DIR`,
 * `--verbose`). Anything else before it (`--help`, `-V`, `--stack=DIR`, an unknown option) leaves
 * the command unknown, and the whole program answers.
 */
export function commandWord(args: readonly string[]): string | undefined {
  const at = commandAt(args);
  return at === undefined ? undefined : args[at];
}

function commandAt(args: readonly string[]): number | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-C' || arg === '--stack') i++;
    else if (arg !== '--verbose') return arg.startsWith('-') ? undefined : i;
  }
  return undefined;
}

/**
 * The command and, when the next argument is a plain word, its subcommand (`backups verify`,
 * `backup`): what the CLI's code cache (bundle-loader.ts) says it was made for.
 */
export function commandPhrase(args: readonly string[]): string | undefined {
  const at = commandAt(args);
  if (at === undefined) return undefined;
  const next = args[at + 1];
  return next !== undefined && /^[a-z][a-z-]{0,30}$/.test(next) ? `${args[at]} ${next}` : args[at];
}
