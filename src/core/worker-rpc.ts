/**
 * Request / reply between an engine and one of its worker threads (the memory worker, the metrics
 * store worker): each request carries an id, each reply says ok with a result or an error
 * (an OpsError's code, message and hint survive the thread boundary). `serveWorkerRequests` is
 * the worker's side, WorkerCalls the engine's.
 */
import { parentPort, type Worker } from 'node:worker_threads';
import { isOpsError, OpsError, type OpsErrorCode } from './errors';

export type WorkerReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: { code?: string; message: string; hint?: string } };

/** In a worker: answer every request with `handle`'s result or error; a `close` request ends the thread after its reply. */
export function serveWorkerRequests<M extends { id: number; op: string }>(handle: (m: M) => unknown): void {
  parentPort!.on('message', (m: M) => {
    let reply: WorkerReply;
    try {
      reply = { id: m.id, ok: true, result: handle(m) };
    } catch (err) {
      reply = isOpsError(err)
        ? { id: m.id, ok: false, error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } }
        : { id: m.id, ok: false, error: { message: err instanceof Error ? err.message : String(err) } };
    }
    parentPort!.postMessage(reply);
    if (m.op === 'close') parentPort!.close();
  });
}

/** The engine's side: the calls waiting for a reply from a worker. */
export class WorkerCalls {
  private readonly calls = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();

  get size(): number {
    return this.calls.size;
  }

  /** Wait for the reply to request `id`. */
  wait(id: number): Promise<unknown> {
    return new Promise((resolve, reject) => this.calls.set(id, { resolve, reject }));
  }

  /** Route `w`'s replies to their calls; when it fails or exits, `failed(why)` says what every waiting call is rejected with. */
  listen(w: Worker, onGone: () => void, failed: (why: string) => OpsError): void {
    w.on('message', (m: WorkerReply) => {
      const call = this.calls.get(m.id);
      if (!call) return;
      this.calls.delete(m.id);
      if (m.ok) call.resolve(m.result);
      else call.reject(new OpsError((m.error.code ?? 'INTERNAL') as OpsErrorCode, m.error.message, m.error.hint));
    });
    const fail = (why: string) => {
      onGone();
      for (const c of this.calls.values()) c.reject(failed(why));
      this.calls.clear();
    };
    w.on('error', (err) => fail(err.message));
    w.on('exit', (code) => fail(`exit code ${code}`));
  }
}
