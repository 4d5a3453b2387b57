/**
 * Starting a stack at login or boot (docs/boot.md): unit sets for systemd, launchd and cron in
 * engine or native mode (generate.ts), installed, checked, compared and removed (installer.ts,
 * status.ts, lint.ts), and what `opsdeck exec` waits for (wait-for.ts, exec-markers.ts).
 * Surfaces reach it through src/core/host.
 */
export type { Launcher, UnitFile, UnitFileStatus, UnitSet, UnitsChange, UnitsStatus } from './model';
export { generateUnits, resolveRequest, type UnitsRequest } from './generate';
export { installUnits, uninstallUnits } from './installer';
export { unitsDiff, unitsStatus, type UnitsDiff } from './status';
export { lintUnits, type LintResult } from './lint';
export { launcherOf, type LauncherParts } from './launcher';
export { DAEMON_GLIBC_TUNABLES, DAEMON_TUNABLES_MARKER, daemonEnvAdditions } from './daemon-env';
export { parseWaitSpec, waitForServices, type WaitSpec } from './wait-for';
export { writeExecMarker } from './exec-markers';
export { checkLaunchdJob, LAUNCHD_KEYS } from './launchd-keys';
export { parseSystemdVersion, detectSystemdVersion } from './systemd-version';
export { onDisk, writeUnitFile } from './unit-files';
