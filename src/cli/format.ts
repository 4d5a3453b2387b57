/** Text rendering shared by CLI commands: tables, plans, durations, colours (TTY only). */
import { type EngineStatus, formatDuration, type PlanStep, type ServiceStatus } from '../core/contract';

const useColour = () => process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (s: string) => (useColour() ? `\x1b[${code}m${s}\x1b[0m` : s);
export const green = paint(32);
export const yellow = paint(33);
export const red = paint(31);
export const dim = paint(2);
export const bold = paint(1);

const STATE_COLOUR: Record<string, (s: string) => string> = {
  ready: green, degraded: yellow, starting: yellow, backoff: yellow, stopping: yellow, failed: red, stopped: dim,
};

/** A plain table: columns padded to their widest cell (colour codes not counted). */
export function table(header: string[], rows: string[][]): string {
  // eslint-disable-next-line no-control-regex
  const visible = (s: string) => s.replace(/\x1b\[\d+m/g, '').length;
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visible(c)))).join('  ').trimEnd();
  return [line(header.map(bold)), ...rows.map(line)].join('\n');
}

export function statusTable(status: EngineStatus, now = Date.now()): string {
  const rows = status.services.map((s: ServiceStatus) => [
    s.name,
    s.tier,
    (STATE_COLOUR[s.state] ?? ((x: string) => x))(s.state),
    s.pid === undefined ? '-' : String(s.pid),
    s.startedAt === undefined ? '-' : formatDuration(now - s.startedAt),
    String(s.restarts),
    s.health,
    s.reason,
  ]);
  return table(['SERVICE', 'TIER', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'HEALTH', 'REASON'], rows);
}

/**
 * `shop: 2/3 ready · health OK · IPC 12 · profile dev · engine pid 4242`: the services of the active
 * profile ready out of those listed; when every service listed is outside the profile (`status
 * worker`), how many they are, not `0/0 ready`.
 */
export function statusHeadline(status: EngineStatus): string {
  const ready = status.services.filter((s) => s.inProfile && (s.state === 'ready' || s.completed)).length;
  const total = status.services.filter((s) => s.inProfile).length;
  const outside = status.services.length - total;
  const count = total === 0 && outside > 0 ? `${outside} outside the active profile` : `${ready}/${total} ready`;
  const profile = status.profile ? ` · profile ${status.profile}` : '';
  const ipc = status.ipc.level === 'critical' ? red : status.ipc.level === 'warn' ? yellow : (s: string) => s;
  return `${bold(status.stack)}: ${count} · health ${status.health.level} · ${ipc(`IPC ${status.ipc.score}`)}${profile} · engine pid ${status.engine.pid}`;
}

/** A plan as numbered waves: what runs together, in which order. */
export function formatPlan(plan: PlanStep[], dryRun: boolean): string {
  if (plan.length === 0) return dryRun ? 'plan: nothing to do (dry run, nothing changed)' : 'nothing to do';
  const groups: string[] = [];
  for (const action of ['stop', 'restart', 'start'] as const) {
    const steps = plan.filter((p) => p.action === action);
    const waves = [...new Set(steps.map((s) => s.wave))].sort((a, b) => a - b);
    for (const w of waves) {
      const names = steps.filter((s) => s.wave === w).map((s) => s.service);
      groups.push(`${action} ${names.join(', ')}${names.length > 1 ? ' (together)' : ''}`);
    }
  }
  const head = dryRun ? 'plan (dry run, nothing changed):' : 'done:';
  return [head, ...groups.map((g, i) => `  ${i + 1}. ${g}`)].join('\n');
}
