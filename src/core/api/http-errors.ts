/**
 * Errors over HTTP: an OpsError becomes a status and the body `{ error: { code, message, hint?,
 * issues? } }`; a body becomes an OpsError again on the client's side. Bad input is never a 500.
 */
import type { ZodError } from 'zod';
import { OpsError, type OpsErrorCode } from '../errors';
import type { ErrorBody } from '../contract/schemas/common';

/**
 * Codes the API adds to the engine's. `NOT_AVAILABLE`: the engine has no such feature (501).
 * `NOT_FOUND`: no such route (404).
 */
export const NOT_AVAILABLE: OpsErrorCode = 'NOT_AVAILABLE';
export const NOT_FOUND: OpsErrorCode = 'NOT_FOUND';

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 415 | 500 | 501;

const STATUS: Record<string, ErrorStatus> = {
  SERVICE_UNKNOWN: 404,
  PROFILE_UNKNOWN: 404,
  NOT_FOUND: 404,
  CONFIG_INVALID: 400,
  BAD_REQUEST: 400,
  MEMORY_QUERY_INVALID: 400,
  STACK_LOCKED: 409,
  UNITS_FOREIGN_FILE: 409,
  EXPORT_IMAGE_MISSING: 400,
  EXPORT_IMAGE_MAP_INVALID: 400,
  NOT_AVAILABLE: 501,
  // the TCP listener's tokens (auth.ts)
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  // backups
  BACKUP_SNAPSHOT_NOT_FOUND: 404,
  BACKUP_REPO_NOT_FOUND: 404,
  BACKUP_SNAPSHOT_AMBIGUOUS: 400,
  BACKUP_POLICY_INVALID: 400,
  BACKUP_KEY_REQUIRED: 400,
  BACKUP_KEY_INVALID: 400,
  BACKUP_MANIFEST_UNSAFE: 400,
  BACKUP_REPO_LOCKED: 409,
  BACKUP_REPO_EXISTS: 409,
  // alerts
  ALERT_NOT_FOUND: 404,
  // releases
  RELEASE_NOT_FOUND: 404,
  RELEASE_CHECK_FAILED: 409,
};

export const statusOf = (code: string): ErrorStatus => STATUS[code] ?? 500;

export function errorBody(e: OpsError, issues?: ErrorBody['error']['issues']): ErrorBody {
  return {
    error: {
      code: e.code,
      message: e.message,
      ...(e.hint ? { hint: e.hint } : {}),
      ...(issues?.length ? { issues } : {}),
    },
  };
}

/**
 * The issues an error carries for the body: those of CONFIG_INVALID (opsdeck.yaml's problems,
 * each at `line:column` of the file) as `{ path: key path, message: "line:col message (hint)" }`.
 */
export function issuesOf(e: OpsError): ErrorBody['error']['issues'] {
  const issues = (e.details as { issues?: unknown } | undefined)?.issues;
  if (e.code !== 'CONFIG_INVALID' || !Array.isArray(issues)) return undefined;
  return (issues as { line: number; column: number; path: string; message: string; hint: string }[]).map((i) => ({
    path: i.path,
    message: `${i.line}:${i.column} ${i.message}${i.hint ? ` (hint: ${i.hint})` : ''}`,
    code: 'config',
  }));
}

/** A failed zod validation of part of a request (`query`, `param`, `json`) as a 400 body. */
export function validationBody(target: string, error: ZodError): ErrorBody {
  const part = target === 'json' ? 'body' : target;
  const issues = error.issues.map((i) => ({
    path: [part, ...i.path.map(String)].join('.'),
    message: i.message,
    code: i.code,
  }));
  const first = issues[0];
  const message = first ? `invalid request ${part}: ${first.path}: ${first.message}` : `invalid request ${part}`;
  return errorBody(new OpsError('BAD_REQUEST', message, 'see /openapi.json for what this endpoint takes'), issues);
}

/** The error an endpoint answers when the engine lacks the feature behind it. */
export const notAvailable = (feature: string) =>
  new OpsError(NOT_AVAILABLE, `${feature} is not available in this engine`, 'update Opsdeck, or run an engine built with this feature');

/** An error answer (status + body) as the OpsError it stands for. */
export function fromErrorBody(status: number, body: unknown): OpsError {
  const err = (body as Partial<ErrorBody> | undefined)?.error;
  if (err && typeof err.code === 'string' && typeof err.message === 'string') {
    return new OpsError(err.code as OpsErrorCode, err.message, err.hint, err.issues ? { status, issues: err.issues } : { status });
  }
  return new OpsError('INTERNAL', `the engine answered HTTP ${status} without an error body`, undefined, { status, body });
}
