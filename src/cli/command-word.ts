/**
 * Which command a command line names, for dist/cli.js to load the bundle that answers it (main.ts):
 * the first argument after the global options given in their plain shapes (`-C DIR`, `--stack DIR`,
 * `--verbose`). Anything else before it (`--help`, `-V`, `--stack=DIR`, an unknown option) leaves
 * the command unknown, and the whole program answers.
 */
export function commandWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-C' || arg === '--stack') i++;
    else if (arg !== '--verbose') return arg.startsWith('-') ? undefined : arg;
  }
  return undefined;
}
