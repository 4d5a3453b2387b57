/**
 * The worker thread of one backup's SQLite check (sqlite-checks.ts starts it; bundled as
 * dist/sqlite-check-worker.js): runs `PRAGMA quick_check` on the staged copy named in its
 * workerData and posts the verdict, so the check's WebAssembly runs beside the repository's
 * chunking instead of before it.
 * It runs on V8's baseline WebAssembly compiler, which sqlite-checks.ts asks for while it runs
 * (src/core/wasm-compiler.ts: optimising SQLite's interpreter would cost ~40 MiB at once).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { integrityCheck, type IntegrityPragma } from './sqlite-integrity';

export interface SqliteCheckWorkerData {
  file: string;
  pragma: IntegrityPragma;
}

const { file, pragma } = workerData as SqliteCheckWorkerData;
void integrityCheck(file, pragma).then((verdict) => parentPort!.postMessage(verdict));
