/**
 * The worker thread of one backup's SQLite check (sqlite-checks.ts starts it; bundled as
 * dist/sqlite-check-worker.js): runs `PRAGMA quick_check` on the staged copy named in its
 * workerData and posts the verdict, so the check's WebAssembly runs beside the repository's
 * chunking instead of before it.
 *
 * Memory: the check reads every page through SQLite's bytecode interpreter, which is hot enough
 * that V8 recompiles it with its optimising compiler, and that compilation of one huge function
 * takes ~40 MiB at once (measured: a 151 MiB database's quick_check peaks at 93 MiB of RSS with
 * it, 56 MiB on the baseline compiler alone, in about the same time). The check runs beside the
 * chunking, off the critical path, so it stays on the baseline compiler (`liftoff_only`, set just
 * before the module is compiled, cleared once the verdict is in: V8's flags are the process's,
 * and the engine's other SQLite stores keep their optimised code).
 */
import { setFlagsFromString } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { integrityCheck, type IntegrityPragma } from './sqlite-integrity';

export interface SqliteCheckWorkerData {
  file: string;
  pragma: IntegrityPragma;
}

const { file, pragma } = workerData as SqliteCheckWorkerData;
setFlagsFromString('--liftoff-only');
void integrityCheck(file, pragma).then((verdict) => {
  setFlagsFromString('--no-liftoff-only');
  parentPort!.postMessage(verdict);
});
