// Temporary: the schemas moved to src/core/contract/schemas (removed when importers are updated).
export * from '../contract/schemas/common';
export * from '../contract/schemas/status';
export * from '../contract/schemas/logs';
export * from '../contract/schemas/events';
export * from '../contract/schemas/memory';
export * from '../contract/schemas/metrics';
export * from '../contract/schemas/backups';
