/**
 * The host's door: how a surface gets hold of a stack. `openStack` attaches to the running owner
 * or becomes one (or holds the stack for one command) and returns the contract's EngineLike;
 * EngineHost is the owner itself (the daemon and `opsdeck up` run one). The rest works on a stack
 * without an engine: reading and checking its opsdeck.yaml, its profiles, its logs and memory,
 * stopping what a dead engine left running. Surfaces import from here, src/core/contract or
 * src/core/client only (docs/architecture.md).
 */
export { openStack, runningOwner, type OpenMode, type OpenStackOptions, type OpenedStack } from './open-stack';
export { EngineHost, type HostOptions } from './engine-host';
export { findStackDir } from './stack-dir';
export { downWithoutEngine } from './down-without-engine';
export { searchMemoryWithoutEngine } from './memory-without-engine';
export { initBackups } from './init-backups';
export { readOwner, type LockInfo } from '../stack-lock';
export { pinBaselineWasm } from '../wasm-compiler';

// The stack file, read without an engine.
export { CONFIG_FILE, assertServiceName, formatIssues, loadConfig, parseConfig, type ConfigIssue, type LoadedStack, type LoadOptions } from '../config/load';
export { displayPath } from '../config/issues';
export { rememberProfile, upPlan, withProfile, withRememberedProfile } from '../profiles';
export { withDependencies } from '../graph';
export { assertKnownServices } from '../health/summary';
export { tailLog } from '../logs/read-log';

// The doctor: checks, support bundle and profiles of a stack, with or without an engine.
export { assertBundleName, DEFAULT_PROFILE_MS, profileService, runDoctor, writeBundle, type BundleEntry, type DoctorOptions, type ProfileOptions } from '../doctor';
// Start at login or boot: unit files, their install and status, and `opsdeck exec`'s waits (docs/boot.md).
export * from '../boot';
// Alerts without an engine: the persisted incident history, and `opsdeck monitor`'s verdict.
export { incidentHistory } from '../alerts/history';
export { MONITOR_EXIT, monitorFromView, monitorWithoutEngine, unknownReport } from '../alerts/monitor';
export { parseMatcher, formatMatcher } from '../alerts/silences';
export { listReportsWithoutEngine, metricsRollupsWithoutEngine, reportWithoutEngine } from './metrics-without-engine';
// The control API's TCP listener tokens (.opsdeck/api-tokens.json), with or without an engine (docs/api.md).
export { ensureTokens, readTokens, rotateTokens, tokenFile } from '../api/tokens';
export { listenUrl } from '../api/auth';
// `opsdeck export`: opsdeck.yaml onto Docker Compose or Kubernetes (docs/export.md).
export { defaultOutDir, exportStack, exportTarget, mappingTableMarkdown, type ExportOptions } from '../export';
// Releases: deploy, update, rollback and the ledger (docs/releases.md).
export { ReleaseManager, type ReleaseEngineHost } from '../releases/manager';
export { PAUSE_ENV as RELEASE_PAUSE_ENV } from '../releases/run';
