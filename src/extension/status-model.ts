/**
 * What the status bar, the Services tree and the context keys show for the state model's
 * snapshot (the engine's status, the latest metrics sample, the backup status, the connection):
 * texts, icons, colours (as theme colour ids), markdown tooltips, plain-word accessibility labels.
 * Pure functions of those and a few settings, with no VS Code in them, so they are unit tested
 * and the VS Code side only copies them onto items.
 */
import {
  type BackupStatus,
  count,
  type EngineStatus,
  formatDuration,
  type IpcLevel,
  type IpcThresholds,
  levelFor,
  type PlanResult,
  type ProfilesInfo,
  type ServiceMetrics,
  type ServiceState,
  type ServiceStatus,
  type StackMetrics,
} from '../core/contract';

export type ConnectionMode = 'embedded' | 'attach' | 'none';
export type Background = 'statusBarItem.warningBackground' | 'statusBarItem.errorBackground';

export interface ItemModel {
  text: string;
  /** Markdown (theme icons and `command:` links of this extension enabled). */
  tooltip: string;
  /** What a screen reader says: plain words, no markdown. */
  accessibility: string;
  backgroundColor?: Background;
}

/** The IPC score a view shows (the store's `currentIpc`: the newest of the metrics sample and the status). */
export type IpcShown = EngineStatus['ipc'];

export interface ConnectionInfo {
  mode: ConnectionMode;
  /** Why there is no engine, or what went wrong last. */
  problem?: string;
  /** pid and owner kind of the engine we talk to. */
  engine?: { pid: number; owner: string };
}

/** Running: anything but stopped and failed (what Stop and Restart apply to). */
export const isRunning = (s: { state: ServiceState }) => s.state !== 'stopped' && s.state !== 'failed';
const inProfile = (status: EngineStatus) => status.services.filter((s) => s.inProfile);

/** `ready/total` of the active profile's services (a one-shot service that completed counts as ready). */
export function readyCount(status: EngineStatus): { ready: number; total: number } {
  const list = inProfile(status);
  return { ready: list.filter((s) => s.state === 'ready' || s.completed).length, total: list.length };
}

export type StackCondition = 'failed' | 'degraded' | 'starting' | 'ok' | 'stopped';

/** The stack's condition as the status bar colours it. */
export function stackCondition(status: EngineStatus): StackCondition {
  const list = inProfile(status);
  const running = status.services.filter(isRunning);
  if (list.some((s) => s.state === 'failed') || (running.length > 0 && list.some((s) => s.health === 'CRITICAL'))) return 'failed';
  if (status.services.some((s) => s.state === 'degraded' || s.state === 'backoff')) return 'degraded';
  if (status.services.some((s) => s.state === 'starting' || s.state === 'stopping')) return 'starting';
  return running.length === 0 ? 'stopped' : 'ok';
}

export const STATE_ICON: Record<ServiceState, { icon: string; color?: string }> = {
  ready: { icon: 'pass-filled', color: 'testing.iconPassed' },
  starting: { icon: 'loading~spin' },
  stopping: { icon: 'loading~spin' },
  degraded: { icon: 'warning', color: 'list.warningForeground' },
  backoff: { icon: 'history', color: 'list.warningForeground' },
  failed: { icon: 'error', color: 'list.errorForeground' },
  stopped: { icon: 'circle-outline', color: 'disabledForeground' },
};

/** Escape text for markdown (service names and reasons come from config and processes). */
export function md(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~$]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

const clock = (ms: number) => new Date(ms).toLocaleTimeString();

/** The metrics sample of a service, when it is of the process the status shows (a sample outlives its process). */
export function metricsOf(s: ServiceStatus, metrics: StackMetrics | undefined): ServiceMetrics | undefined {
  const m = metrics?.services.find((x) => x.service === s.name);
  return m && isRunning(s) && m.pid !== undefined && m.pid === s.pid ? m : undefined;
}

const percent = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)}%`;

/**
 * What the tree shows next to a service's name:
 * `ready · OK · 1.2% CPU · 45 MB · up 5.2m · 2 restarts · http://127.0.0.1:7101`.
 */
export function serviceDescription(s: ServiceStatus, now: number, metrics?: StackMetrics): string {
  const parts: string[] = [s.state];
  const running = isRunning(s);
  if (running && s.health !== 'UNKNOWN') parts.push(s.health);
  const m = metricsOf(s, metrics);
  if (m?.cpuPercent !== undefined) parts.push(`${percent(m.cpuPercent)} CPU`);
  const rss = m?.rssMb ?? (running ? s.rssMb : undefined);
  if (rss !== undefined) parts.push(`${Math.round(rss)} MB`);
  if (running && s.startedAt !== undefined) parts.push(`up ${formatDuration(Math.max(0, now - s.startedAt))}`);
  parts.push(count(s.restarts, 'restart'));
  if (!s.inProfile) parts.push('not in profile');
  // Last: the longest, cut first in a narrow sidebar (the tooltip has it too).
  if (s.endpoint) parts.push(s.endpoint);
  return parts.join(' · ');
}

/**
 * A tree item's context value, for its menus: `service-running` (stop, restart), `service-stopped`
 * (start), `service-failed` (start, restart); with `-outside` when the service is not in the active
 * profile (start becomes "Start (not in profile)").
 */
export function serviceContextValue(s: ServiceStatus): string {
  const state = s.state === 'failed' ? 'failed' : isRunning(s) ? 'running' : 'stopped';
  return `service-${state}${s.inProfile ? '' : '-outside'}`;
}

/** One line under a service in the tree: a probe, the last restart, the backup status. */
export interface DetailModel {
  /** Unique under its service (`probe:readiness`, `restart`, `backup`). */
  key: string;
  label: string;
  description: string;
  icon: string;
  color?: string;
  /** Plain text. */
  tooltip: string;
  contextValue: string;
}

const NEUTRAL = 'descriptionForeground';

/** The details a service expands to: its probes (last result, latency), last restart, backup status. */
export function serviceDetails(s: ServiceStatus, metrics: StackMetrics | undefined, backups: BackupStatus | undefined, now: number): DetailModel[] {
  const out: DetailModel[] = [];
  const m = metricsOf(s, metrics);
  for (const role of ['readiness', 'liveness'] as const) {
    const p = s.lastProbe[role];
    if (!p) continue;
    const p95 = m?.probeP95Ms !== undefined ? ` · p95 ${Math.round(m.probeP95Ms)} ms` : '';
    out.push({
      key: `probe:${role}`,
      label: `${role} probe`,
      description: `${p.ok ? 'ok' : 'failed'} · ${Math.round(p.latencyMs)} ms${p95}${p.error ? ` · ${p.error}` : ''}`,
      icon: p.ok ? 'pass' : 'error',
      ...(p.ok ? { color: 'testing.iconPassed' } : { color: 'list.errorForeground' }),
      tooltip: `Last ${role} probe of ${s.name}: ${p.ok ? 'passed' : 'failed'} in ${Math.round(p.latencyMs)} ms${p.error ? ` (${p.error})` : ''}`,
      contextValue: 'service-probe',
    });
  }
  if (!s.lastProbe.readiness && !s.lastProbe.liveness) {
    out.push({ key: 'probe', label: 'probes', description: isRunning(s) ? 'no result yet' : 'not running', icon: 'pulse', color: NEUTRAL, tooltip: `No probe of ${s.name} has run yet`, contextValue: 'service-probe' });
  }
  if (s.lastCheck) {
    out.push({
      key: 'check',
      label: 'health check',
      description: `${s.lastCheck.ok ? 'passed' : 'failed'} in ${Math.round(s.lastCheck.durationMs)} ms`,
      icon: s.lastCheck.ok ? 'pass' : 'error',
      color: s.lastCheck.ok ? 'testing.iconPassed' : 'list.errorForeground',
      tooltip: s.lastCheck.output.trim() || `Last check of ${s.name}: ${s.lastCheck.ok ? 'passed' : 'failed'}`,
      contextValue: 'service-check',
    });
  }
  out.push(restartDetail(s, now));
  const backup = backupDetail(s, backups);
  if (backup) out.push(backup);
  return out;
}

/** `last restart: crash (exit code 1) · 2.1m ago`, or the last exit, or none. */
function restartDetail(s: ServiceStatus, now: number): DetailModel {
  const r = s.lastRestart;
  if (r) {
    const ago = `${formatDuration(Math.max(0, now - r.at))} ago`;
    return { key: 'restart', label: 'last restart', description: `${r.cause}: ${r.detail} · ${ago}`, icon: 'debug-restart', color: 'list.warningForeground', tooltip: `${s.name} was restarted by the engine at ${clock(r.at)} (${r.cause}: ${r.detail}); ${count(s.restarts, 'restart')} since it was last started on request`, contextValue: 'service-restart' };
  }
  const exit = s.lastExit && (s.lastExit.code !== 0 || s.lastExit.signal) ? (s.lastExit.signal ? `signal ${s.lastExit.signal}` : `code ${s.lastExit.code}`) : undefined;
  return exit
    ? { key: 'restart', label: 'last exit', description: `${exit}${s.lastExit?.error ? ` (${s.lastExit.error})` : ''}`, icon: 'debug-stop', color: 'list.warningForeground', tooltip: `${s.name} last ended with ${exit}`, contextValue: 'service-restart' }
    : { key: 'restart', label: 'restarts', description: 'none', icon: 'debug-restart', color: NEUTRAL, tooltip: `The engine has not restarted ${s.name}`, contextValue: 'service-restart' };
}

/** The service's backup: newest good snapshot and its age, and its RPO; neutral when it declares no backup. */
function backupDetail(s: ServiceStatus, backups: BackupStatus | undefined): DetailModel | undefined {
  if (!backups) return undefined;
  const b = backups.services.find((x) => x.service === s.name);
  if (!b) return { key: 'backup', label: 'backup', description: 'not configured', icon: 'archive', color: NEUTRAL, tooltip: `${s.name} declares no backup in opsdeck.yaml`, contextValue: 'service-backup' };
  const age = b.newest ? `${formatDuration(b.newest.ageMs)} ago` : 'none yet';
  const rpo = b.rpo === 'none' ? '' : b.rpo === 'ok' ? ' · RPO ok' : ' · RPO breached';
  return {
    key: 'backup',
    label: 'backup',
    description: `${age}${rpo}`,
    icon: 'archive',
    ...(b.rpo === 'breach' ? { color: 'list.warningForeground' } : b.newest ? { color: 'testing.iconPassed' } : { color: NEUTRAL }),
    tooltip: b.newest ? `Newest good backup of ${s.name}: snapshot ${b.newest.snapshot.slice(0, 8)} at ${new Date(b.newest.time).toLocaleString()}${rpo}` : `No backup of ${s.name} yet${rpo}`,
    contextValue: 'service-backup',
  };
}

/** The one tree item shown while there is no engine: says so, and why. */
export function noEngineModel(conn: ConnectionInfo): { label: string; description: string; tooltip: string } {
  const why = conn.problem ?? 'connecting to the engine…';
  return { label: 'No engine', description: why, tooltip: `${engineLine(conn)}: ${why}` };
}

/** The markdown tooltip of one service (tree item; also the rows of the status tooltip). */
export function serviceTooltip(s: ServiceStatus): string {
  const lines = [
    `$(${STATE_ICON[s.state].icon}) **${md(s.name)}** (${md(s.tier)}) — ${s.state}: ${md(s.reason)}`,
    '',
    `Health: ${s.health}${s.pid !== undefined ? ` · pid ${s.pid}` : ''}${s.startedAt !== undefined && isRunning(s) ? ` · up since ${clock(s.startedAt)}` : ''} · ${s.restarts} restart${s.restarts === 1 ? '' : 's'}`,
  ];
  if (s.rssMb !== undefined) lines.push('', `Memory: ${Math.round(s.rssMb)} MB`);
  if (s.endpoint) lines.push('', `Answers at: ${md(s.endpoint)}`);
  if (s.lastCheck) lines.push('', `Last check: ${s.lastCheck.ok ? 'passed' : 'failed'} in ${Math.round(s.lastCheck.durationMs)} ms`);
  if (s.lastExit && (s.lastExit.code !== 0 || s.lastExit.signal)) {
    lines.push('', `Last exit: ${s.lastExit.signal ? `signal ${s.lastExit.signal}` : `code ${s.lastExit.code}`}${s.lastExit.error ? ` (${md(s.lastExit.error)})` : ''}`);
  }
  if (!s.inProfile) lines.push('', '_Not in the active profile._');
  return lines.join('\n');
}

/** The IPC level the extension shows: the engine's, unless settings override the thresholds. */
export function effectiveIpcLevel(ipc: IpcShown, override: Partial<IpcThresholds> | undefined, previous: IpcLevel = 'ok'): IpcLevel {
  if (!override || (override.warn === undefined && override.critical === undefined)) return ipc.level;
  const t: IpcThresholds = { warn: override.warn ?? 70, critical: override.critical ?? 90 };
  return levelFor(ipc.score, previous, t);
}

const engineLine = (c: ConnectionInfo) =>
  c.mode === 'embedded'
    ? `Engine: embedded in VS Code${c.engine ? ` (pid ${c.engine.pid})` : ''}`
    : c.mode === 'attach'
      ? `Engine: attached to ${c.engine ? `\`${md(c.engine.owner)}\` (pid ${c.engine.pid})` : 'a running engine'}`
      : 'Engine: not connected';

/** The three status bar items: stack status, IPC score (`ipc`: the newest, default the status's), active profile. */
export function statusBarModel(
  status: EngineStatus | undefined,
  conn: ConnectionInfo,
  opts: { ipc?: IpcShown; ipcLevel?: IpcLevel; profiles?: ProfilesInfo } = {},
): { status: ItemModel; ipc: ItemModel; profile: ItemModel } {
  if (!status) return noEngineItems(conn);
  const { ready, total } = readyCount(status);
  const condition = stackCondition(status);
  const icon = condition === 'starting' ? '$(sync~spin)' : '$(pulse)';
  const ipc = opts.ipc ?? status.ipc;
  const level = opts.ipcLevel ?? ipc.level;
  const score = Math.round(ipc.score);
  const rows = status.services.map(
    (s) =>
      `| $(${STATE_ICON[s.state].icon}) | ${md(s.name)}${s.inProfile ? '' : ' _(not in profile)_'} | ${s.state} | ${isRunning(s) && s.startedAt !== undefined ? clock(s.startedAt) : '–'} | ${s.restarts} | ${s.health} |`,
  );
  const tooltip = [
    `**${md(status.stack)}** — ${ready}/${total} ready · health ${status.health.level}${status.profile ? ` · profile \`${md(status.profile)}\`` : ''}`,
    '',
    '| | service | state | up since | restarts | health |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `${md(status.health.summary)}`,
    '',
    engineLine(conn) + (conn.problem ? ` — ${md(conn.problem)}` : ''),
    '',
    '[Services](command:opsdeck.services.focus) · [Run Health Check](command:opsdeck.runHealthCheck) · [View Logs](command:opsdeck.viewLogs)',
  ].join('\n');
  const statusItem: ItemModel = {
    text: `${icon} ${ready}/${total}`,
    tooltip,
    accessibility: statusAccessibility(status, ipc, level),
    ...(condition === 'failed' ? { backgroundColor: 'statusBarItem.errorBackground' as const } : condition === 'degraded' ? { backgroundColor: 'statusBarItem.warningBackground' as const } : {}),
  };

  const ipcItem: ItemModel = {
    text: `IPC ${score}`,
    tooltip: [`**IPC score ${score}** (0–100, higher is worse) — ${level}`, '', md(ipc.summary), '', '[Open Metrics](command:opsdeck.openDashboard)'].join('\n'),
    accessibility: `Opsdeck IPC score ${score} of 100, ${level}: ${ipc.summary}`,
    ...(level === 'critical' ? { backgroundColor: 'statusBarItem.errorBackground' as const } : level === 'warn' ? { backgroundColor: 'statusBarItem.warningBackground' as const } : {}),
  };

  const profileLines = (opts.profiles?.profiles ?? []).map(
    (p) => `- ${p.name === status.profile ? '$(check) ' : ''}\`${md(p.name)}\`: ${md(p.services.join(', '))}${p.description ? ` — ${md(p.description)}` : ''}`,
  );
  const profileItem: ItemModel = {
    text: `$(layers) ${status.profile ?? 'all'}`,
    tooltip: [
      status.profile ? `**Profile \`${md(status.profile)}\`**` : '**No profile**: every service of the stack',
      ...(profileLines.length ? ['', ...profileLines] : []),
      '',
      '[Switch Profile](command:opsdeck.switchProfile)',
    ].join('\n'),
    accessibility: status.profile ? `Opsdeck profile ${status.profile}; switch profile` : 'Opsdeck: no profile, every service runs; switch profile',
  };
  return { status: statusItem, ipc: ipcItem, profile: profileItem };
}

/** "Opsdeck: 2 of 3 services ready, IPC 12 ok, profile dev" (the status item's accessibility label). */
export function statusAccessibility(status: EngineStatus, ipc: IpcShown = status.ipc, level: IpcLevel = ipc.level): string {
  const { ready, total } = readyCount(status);
  return `Opsdeck: ${ready} of ${count(total, 'service')} ready, IPC ${Math.round(ipc.score)} ${level}, ${status.profile ? `profile ${status.profile}` : 'no profile'}`;
}

/** Without an engine every item says so, and why (never the last known state). */
function noEngineItems(conn: ConnectionInfo): { status: ItemModel; ipc: ItemModel; profile: ItemModel } {
  const why = conn.problem ?? 'connecting to the engine…';
  const tip = (what: string) => `**Opsdeck: no engine** — ${what}\n\n${engineLine(conn)}: ${md(why)}\n\n[Show Engine Output](command:opsdeck.showEngineOutput)`;
  return {
    status: { text: '$(debug-disconnect) Opsdeck', tooltip: tip('no stack status'), accessibility: `Opsdeck: no engine, ${why}` },
    ipc: { text: 'IPC –', tooltip: tip('no IPC score'), accessibility: `Opsdeck IPC score: none, no engine: ${why}` },
    profile: { text: '$(layers) –', tooltip: tip('no active profile known'), accessibility: `Opsdeck profile: unknown, no engine: ${why}` },
  };
}

/** `running`: every service of the profile runs; `partial`: some; `stopped`: none; `none`: no engine. */
export type StackState = 'running' | 'partial' | 'stopped' | 'none';

export function stackState(status: EngineStatus | undefined): StackState {
  if (!status) return 'none';
  const list = inProfile(status);
  const running = list.filter(isRunning).length;
  if (status.services.some(isRunning) && (list.length === 0 || running === list.length)) return 'running';
  return running > 0 || status.services.some(isRunning) ? 'partial' : 'stopped';
}

/** The context keys the manifest's `when` clauses read (package.json menus), from the snapshot. */
export function contextKeys(hasStack: boolean, conn: ConnectionInfo, status: EngineStatus | undefined, backupsAvailable: boolean): Record<string, unknown> {
  const state = stackState(status);
  return {
    'opsdeck.active': hasStack,
    'opsdeck.connected': conn.mode !== 'none',
    'opsdeck.mode': conn.mode,
    // Backup commands appear only when this engine's OpenAPI lists the backup routes.
    'opsdeck.backupsAvailable': backupsAvailable,
    'opsdeck.stackRunning': state === 'running' || state === 'partial',
    'opsdeck.stackState': state,
  };
}

/** The question before a profile switch that stops services; undefined when it stops none. */
export function profileSwitchQuestion(target: string, plan: PlanResult): string | undefined {
  const stops = [...new Set(plan.plan.filter((p) => p.action === 'stop').map((p) => p.service))];
  if (stops.length === 0) return undefined;
  const names = stops.length === 1 ? stops[0]! : `${stops.slice(0, -1).join(', ')} and ${stops[stops.length - 1]}`;
  return `Switch to profile ${target}? It stops ${names}, which ${stops.length === 1 ? 'is' : 'are'} not in it.`;
}
