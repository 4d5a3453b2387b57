/**
 * What the status bar and the Services tree show for an engine status: texts, icons, colours
 * (as theme colour ids), markdown tooltips. Pure functions of the status and a few settings, with
 * no VS Code in them, so they are unit tested and the VS Code side only copies them onto items.
 */
import { type EngineStatus, formatDuration, type IpcLevel, type IpcThresholds, levelFor, type ProfilesInfo, type ServiceState, type ServiceStatus } from '../core/contract';

export type ConnectionMode = 'embedded' | 'attach' | 'none';
export type Background = 'statusBarItem.warningBackground' | 'statusBarItem.errorBackground';

export interface ItemModel {
  text: string;
  /** Markdown (theme icons and `command:` links of this extension enabled). */
  tooltip: string;
  backgroundColor?: Background;
}

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

/** `ready · up 5.2m · 2 restarts` (what the tree shows next to a service's name). */
export function serviceDescription(s: ServiceStatus, now: number): string {
  const parts: string[] = [s.state];
  if (isRunning(s) && s.startedAt !== undefined) parts.push(`up ${formatDuration(Math.max(0, now - s.startedAt))}`);
  parts.push(`${s.restarts} restart${s.restarts === 1 ? '' : 's'}`);
  if (!s.inProfile) parts.push('not in profile');
  return parts.join(' · ');
}

/** The markdown tooltip of one service (tree item; also the rows of the status tooltip). */
export function serviceTooltip(s: ServiceStatus): string {
  const lines = [
    `$(${STATE_ICON[s.state].icon}) **${md(s.name)}** (${md(s.tier)}) — ${s.state}: ${md(s.reason)}`,
    '',
    `Health: ${s.health}${s.pid !== undefined ? ` · pid ${s.pid}` : ''}${s.startedAt !== undefined && isRunning(s) ? ` · up since ${clock(s.startedAt)}` : ''} · ${s.restarts} restart${s.restarts === 1 ? '' : 's'}`,
  ];
  if (s.rssMb !== undefined) lines.push('', `Memory: ${Math.round(s.rssMb)} MB`);
  if (s.lastCheck) lines.push('', `Last check: ${s.lastCheck.ok ? 'passed' : 'failed'} in ${Math.round(s.lastCheck.durationMs)} ms`);
  if (s.lastExit && (s.lastExit.code !== 0 || s.lastExit.signal)) {
    lines.push('', `Last exit: ${s.lastExit.signal ? `signal ${s.lastExit.signal}` : `code ${s.lastExit.code}`}${s.lastExit.error ? ` (${md(s.lastExit.error)})` : ''}`);
  }
  if (!s.inProfile) lines.push('', '_Not in the active profile._');
  return lines.join('\n');
}

/** The IPC level the extension shows: the engine's, unless settings override the thresholds. */
export function effectiveIpcLevel(status: EngineStatus, override: Partial<IpcThresholds> | undefined, previous: IpcLevel = 'ok'): IpcLevel {
  if (!override || (override.warn === undefined && override.critical === undefined)) return status.ipc.level;
  const t: IpcThresholds = { warn: override.warn ?? 70, critical: override.critical ?? 90 };
  return levelFor(status.ipc.score, previous, t);
}

const engineLine = (c: ConnectionInfo) =>
  c.mode === 'embedded'
    ? `Engine: embedded in VS Code${c.engine ? ` (pid ${c.engine.pid})` : ''}`
    : c.mode === 'attach'
      ? `Engine: attached to ${c.engine ? `\`${md(c.engine.owner)}\` (pid ${c.engine.pid})` : 'a running engine'}`
      : 'Engine: not connected';

/** The three status bar items: stack status, IPC score, active profile. */
export function statusBarModel(
  status: EngineStatus | undefined,
  conn: ConnectionInfo,
  opts: { ipcLevel?: IpcLevel; profiles?: ProfilesInfo } = {},
): { status: ItemModel; ipc: ItemModel; profile: ItemModel } {
  if (!status) {
    const why = conn.problem ? `\n\n${md(conn.problem)}` : '';
    const off: ItemModel = { text: '$(debug-disconnect) Opsdeck', tooltip: `**Opsdeck** — ${engineLine(conn)}${why}\n\n[Show Engine Output](command:opsdeck.showEngineOutput)` };
    return { status: off, ipc: { text: 'IPC –', tooltip: 'IPC score: no engine connected' }, profile: { text: '$(layers) –', tooltip: 'No engine connected' } };
  }
  const { ready, total } = readyCount(status);
  const condition = stackCondition(status);
  const icon = condition === 'starting' ? '$(sync~spin)' : '$(pulse)';
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
    ...(condition === 'failed' ? { backgroundColor: 'statusBarItem.errorBackground' as const } : condition === 'degraded' ? { backgroundColor: 'statusBarItem.warningBackground' as const } : {}),
  };

  const level = opts.ipcLevel ?? status.ipc.level;
  const ipcItem: ItemModel = {
    text: `IPC ${Math.round(status.ipc.score)}`,
    tooltip: [
      `**IPC score ${Math.round(status.ipc.score)}** (0–100, higher is worse) — ${level}`,
      '',
      md(status.ipc.summary),
      '',
      '[Open Metrics](command:opsdeck.openDashboard)',
    ].join('\n'),
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
  };
  return { status: statusItem, ipc: ipcItem, profile: profileItem };
}
