/**
 * The one error type of Opsdeck. `code` is stable (scripts and the CLI's exit codes rely on it),
 * `message` says what is wrong, `hint` says what to do about it.
 */
export type OpsErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'GRAPH_CYCLE'
  | 'GRAPH_UNKNOWN_DEPENDENCY'
  | 'SERVICE_UNKNOWN'
  | 'PROFILE_UNKNOWN'
  | 'STACK_LOCKED'
  | 'ENGINE_UNREACHABLE'
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'NOT_AVAILABLE'
  | 'MEMORY_QUERY_INVALID'
  | 'MEMORY_OPEN_FAILED'
  | 'MEMORY_WRITE_FAILED'
  | 'MEMORY_CLOSED'
  | 'SPAWN_FAILED'
  | 'STACK_NOT_RUNNING'
  | 'INTERNAL';

export class OpsError extends Error {
  override readonly name = 'OpsError';
  constructor(
    readonly code: OpsErrorCode,
    message: string,
    readonly hint?: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** `error: …` and `hint: …` lines, the way the CLI prints them. */
  format(): string {
    return this.hint ? `error: ${this.message}\nhint: ${this.hint}` : `error: ${this.message}`;
  }
}

export function isOpsError(e: unknown): e is OpsError {
  return e instanceof OpsError;
}
