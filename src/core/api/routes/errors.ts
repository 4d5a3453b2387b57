/**
 * Errors while answering, mapped for the client and logged for the operator: any thrown error as
 * a status and an OpsError (malformed input a 4xx, the rest a 500), internal errors written to
 * the engine log, and an operation streamed as server-sent events that ends in its result or error.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { HTTPException } from 'hono/http-exception';
import { isOpsError, OpsError } from '../../errors';
import { errorBody, statusOf, type ErrorStatus } from '../http-errors';
import { sseResponse, type SseOptions } from '../sse';

/** Run `op` with its progress sent as `progress` events, then `result` (or `error`, an internal one logged) and the end. */
export function streamed<P, R>(opts: SseOptions, op: (onProgress: (p: P) => void) => Promise<R>, log: (err: unknown) => void): Response {
  return sseResponse((out) => {
    op((p) => out.send('progress', p)).then(
      (r) => {
        out.send('result', r);
        out.close();
      },
      (err: unknown) => {
        const [status, e] = asApiError(err);
        if (status === 500) log(err);
        out.send('error', errorBody(e));
        out.close();
      },
    );
  }, opts);
}

/** Any error thrown while answering, as a status and an OpsError. Malformed input is a 4xx. */
export function asApiError(err: unknown): [ErrorStatus, OpsError] {
  if (isOpsError(err)) return [statusOf(err.code), err];
  if (err instanceof HTTPException) {
    if (err.status === 415) {
      return [415, new OpsError('BAD_REQUEST', 'the request body must be JSON', 'send `content-type: application/json`')];
    }
    if (err.status < 500) {
      const message = /malformed json/i.test(err.message) ? 'the request body is not valid JSON' : err.message || `bad request (HTTP ${err.status})`;
      return [400, new OpsError('BAD_REQUEST', message, 'send a JSON object as the body, e.g. {"dry_run": true}')];
    }
  }
  return [500, new OpsError('INTERNAL', `the engine failed: ${err instanceof Error ? err.message : String(err)}`, 'this is a bug in Opsdeck; the engine log (.opsdeck/logs/engine.log) has the details')];
}

/** Write an internal error, with its stack, where the 500's hint says: the engine log (or stderr). */
export function logInternalError(file: string | undefined, request: string, err: unknown): void {
  const detail = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  const entry = `${new Date().toISOString()} opsdeck: ${request} answered 500: ${detail}\n`;
  try {
    if (!file) throw new Error('no engine log file');
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    appendFileSync(file, entry, { mode: 0o600 });
  } catch {
    process.stderr.write(entry);
  }
}
