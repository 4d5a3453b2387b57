/**
 * The integrity checks of one backup's SQLite copies, run off the critical path: each staged copy
 * is checked with `PRAGMA quick_check` by the system's sqlite3 program where there is one
 * (sqlite-native-check.ts: its `ok` is taken, anything else is checked again), otherwise in a
 * worker thread with SQLite's WebAssembly (sqlite-check-worker.ts), while the
 * repository chunks and stores it and the other files; the backup waits for the verdicts only
 * before it writes the snapshot (BackupOptions.beforeSnapshot), and a failed check fails it there,
 * so no snapshot references the copy. A failed check also aborts `signal`, which the backup is
 * given, so the repository stops storing data no snapshot will use. The copies are checked one
 * after another (one thread at a time beside the repository's workers).
 * A restore checks the databases it writes the same way, with the full `integrity_check`
 * (restore-checks.ts: each as soon as it is written and its SHA-256 verified, beside the writing of
 * the other files), and reads the verdicts with verdicts().
 */
import type { Worker } from 'node:worker_threads';
import { OpsError } from '../../errors';
import { baselineWasm } from '../../wasm-compiler';
import { startWorkerFile } from '../../worker-file';
import type { SqliteCheckWorkerData } from './sqlite-check-worker';
import type { IntegrityPragma, IntegrityVerdict } from './sqlite-integrity';
import { nativeIntegrityCheck, nativeSqlite3 } from './sqlite-native-check';

interface Check {
  /** The live database the copy was made of (named in the error). */
  database: string;
  verdict: Promise<IntegrityVerdict>;
}

export class SqliteChecks {
  private readonly checks: Check[] = [];
  private readonly running = new Set<Worker>();
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly failed = new AbortController();
  /** Stops the sqlite3 programs still running when the checks are closed. */
  private readonly stopped = new AbortController();
  /** The sqlite3 program (null: none), looked for on the PATH when the first check runs. */
  private sqlite3: string | null | undefined;
  /** Aborted as soon as a check fails. */
  readonly signal = this.failed.signal;

  constructor(
    private readonly pragma: IntegrityPragma = 'quick_check',
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** Queue the check of `copy`, the staged copy of `database`. */
  start(database: string, copy: string): void {
    const verdict = this.chain.then(() => this.run(copy));
    void verdict.then((v) => {
      if (!v.ok && !this.closed) this.failed.abort();
    });
    this.chain = verdict;
    this.checks.push({ database, verdict });
  }

  /** Wait for every check queued so far; BACKUP_SOURCE_FAILED naming the first copy that failed. */
  async verdict(): Promise<void> {
    for (const c of this.checks) {
      const v = await c.verdict;
      if (!v.ok) throw new OpsError('BACKUP_SOURCE_FAILED', `the copy of SQLite database ${c.database} fails its ${this.pragma}: ${v.detail}`, 'run `PRAGMA integrity_check` on the live database: it may be damaged');
    }
  }

  /** Wait for every check queued so far: each database (as named to start()) with its verdict, in order. */
  async verdicts(): Promise<{ database: string; verdict: IntegrityVerdict }[]> {
    const out: { database: string; verdict: IntegrityVerdict }[] = [];
    for (const c of this.checks) out.push({ database: c.database, verdict: await c.verdict });
    return out;
  }

  /** Stop the checks still running (the backup failed otherwise), before their copies are removed. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopped.abort();
    await Promise.all([...this.running].map((w) => w.terminate()));
  }

  private async run(file: string): Promise<IntegrityVerdict> {
    if (this.closed) return { ok: false, detail: 'the backup ended before the check ran' };
    this.sqlite3 ??= nativeSqlite3(this.env) ?? null;
    if (this.sqlite3) {
      const native = await nativeIntegrityCheck(this.sqlite3, file, this.pragma, this.stopped.signal);
      if (native?.ok) return native;
      if (this.closed) return { ok: false, detail: 'the backup ended before the check ran' };
    }
    return this.runOnThread(file);
  }

  /** The check with SQLite's WebAssembly, in a worker thread. */
  private runOnThread(file: string): Promise<IntegrityVerdict> {
    return new Promise((resolve) => {
      const workerData: SqliteCheckWorkerData = { file, pragma: this.pragma };
      // the check reads the whole copy once: SQLite's WebAssembly on the baseline compiler (src/core/wasm-compiler.ts)
      const compiler = baselineWasm();
      let w: Worker;
      try {
        w = startWorkerFile('sqlite-check-worker.js', new URL('./sqlite-check-worker.ts', import.meta.url), { execArgv: [], workerData });
      } catch (e) {
        compiler();
        resolve({ ok: false, detail: (e as Error).message });
        return;
      }
      this.running.add(w);
      const done = (v: IntegrityVerdict) => {
        compiler();
        this.running.delete(w);
        resolve(v);
      };
      w.on('message', (v: IntegrityVerdict) => done(v));
      w.on('error', (e) => done({ ok: false, detail: `the check's thread failed: ${e.message}` }));
      w.on('exit', (code) => done({ ok: false, detail: `the check's thread exited (code ${code}) without a verdict` }));
    });
  }
}
