/**
 * Which of V8's compilers turn SQLite's WebAssembly (node-sqlite3-wasm) into machine code. V8
 * compiles a module at once with its baseline compiler (Liftoff), then the functions that run hot
 * once more with its optimising compiler (TurboFan). For SQLite the hot one is its bytecode
 * interpreter, a single huge function, and optimising it takes ~40 MiB of memory at once
 * (measured: a quick_check of a 151 MiB database peaks at 93 MiB of RSS with it, 56 MiB on the
 * baseline compiler alone, in about the same time). So the work that reads a whole database once,
 * where that peak would be most of a backup's memory (a backup's check, a restore's integrity
 * check), runs on the baseline compiler; so does a one-shot CLI command, which lives too short
 * for the optimised code to pay off.
 *
 * V8's flags are the process's: `baselineWasm()` sets it for a while (counted, so overlapping
 * users keep it until the last is done); `pinBaselineWasm()` keeps it for the process's life.
 * `--liftoff-only` also turns off two flags of V8's (`--wasm-tier-up`, `--wasm-dynamic-tiering`),
 * which `--no-liftoff-only` does not turn on again: putting it back names all three, or an
 * engine's SQLite stays on the baseline compiler after its first backup, and a code cache made
 * after it (src/cli/bundle-loader.ts, at exit) is refused by the next process, whose flags differ.
 */
import { setFlagsFromString } from 'node:v8';

let users = 0;
let pinned = false;

/** V8's flags as a new process has them, `--liftoff-only` and what it implied undone. */
const BOTH_COMPILERS = '--no-liftoff-only --wasm-tier-up --wasm-dynamic-tiering';

/** The baseline compiler only, until the function returned is called. */
export function baselineWasm(): () => void {
  if (users++ === 0) setFlagsFromString('--liftoff-only');
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (--users === 0 && !pinned) setFlagsFromString(BOTH_COMPILERS);
  };
}

/** The baseline compiler only, for the rest of the process (one-shot commands). */
export function pinBaselineWasm(): void {
  // at exit, before anything else listening (the code cache is made then), the flags go back
  if (!pinned) process.prependListener('exit', () => setFlagsFromString(BOTH_COMPILERS));
  pinned = true;
  setFlagsFromString('--liftoff-only');
}
