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
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'NOT_AVAILABLE'
  | 'MEMORY_QUERY_INVALID'
  | 'MEMORY_OPEN_FAILED'
  | 'MEMORY_WRITE_FAILED'
  | 'MEMORY_CLOSED'
  | 'METRICS_STORE_FAILED'
  | 'SPAWN_FAILED'
  | 'STACK_NOT_RUNNING'
  | 'UNITS_FOREIGN_FILE'
  | 'EXPORT_IMAGE_MISSING'
  | 'EXPORT_IMAGE_MAP_INVALID'
  | 'WAIT_TIMEOUT'
  // Backup repository (src/core/backup/repo)
  | 'BACKUP_REPO_NOT_FOUND'
  | 'BACKUP_REPO_EXISTS'
  | 'BACKUP_REPO_INVALID'
  | 'BACKUP_REPO_LOCKED'
  | 'BACKUP_KEY_REQUIRED'
  | 'BACKUP_KEY_INVALID'
  | 'BACKUP_SNAPSHOT_NOT_FOUND'
  | 'BACKUP_SNAPSHOT_AMBIGUOUS'
  | 'BACKUP_MANIFEST_UNSAFE'
  | 'BACKUP_SOURCE_FAILED'
  | 'BACKUP_NO_SPACE'
  | 'BACKUP_WRITE_FAILED'
  | 'BACKUP_DATA_MISSING'
  | 'BACKUP_DATA_CORRUPT'
  | 'BACKUP_RESTORE_FAILED'
  | 'BACKUP_POLICY_INVALID'
  | 'BACKUP_ABORTED'
  // Alerts (src/core/alerts)
  | 'ALERT_NOT_FOUND'
  | 'ALERT_SECRET_INVALID'
  | 'ALERT_CHANNEL_FAILED'
  // Releases (src/core/releases)
  | 'RELEASE_CHECK_FAILED'
  | 'RELEASE_NOT_FOUND'
  | 'RELEASE_FAILED'
  | 'RELEASE_SOURCE_FAILED'
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
