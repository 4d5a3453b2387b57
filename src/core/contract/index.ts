/**
 * The contract's door: everything a surface (CLI, daemon, extension, webview feed, scripts) may
 * know of the engine — its vocabulary (events, status, health, metrics, logs, memory, backups),
 * EngineLike, the error type and codes, and how durations, sizes and times are written. Surfaces
 * import from here, from src/core/client or from src/core/host, nowhere else in src/core
 * (eslint.config.mjs; docs/architecture.md).
 */
export * from './alerts';
export * from './api-access';
export * from './backups';
export * from './engine';
export * from './doctor';
export * from './events';
export * from './health';
export * from './logs';
export * from './maintenance';
export * from './memory';
export * from './metrics';
export * from './status';
export * from './units';
export * from './export';
export type { MemoryHits } from './schemas/memory';

// Leaves of src/core that belong to the vocabulary: the error codes every answer uses, how
// durations and sizes are written, the clock that times everything.
export { OpsError, isOpsError, type OpsErrorCode } from '../errors';
export { DURATION_PATTERN, formatDuration, keepWithinArg, parseDuration } from '../duration';
export { count, formatBytes, shortId } from '../format';
export { OPSDECK_VERSION } from '../version';
export { FakeClock, systemClock, type Clock, type TimerHandle } from '../clock';
export * from './metrics-store';
export * from './reports';
export * from './releases';
