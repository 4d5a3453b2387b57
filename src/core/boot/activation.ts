/**
 * What tells the init system about the files: `systemctl [--user] daemon-reload` and `enable`,
 * `launchctl bootstrap gui/UID` (or `system`), the user's crontab block; their reverse for
 * uninstall; and what the init system says of each unit for status.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { OpsError } from '../errors';
import type { BootScope, BootTarget, UnitSet } from './model';

export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run one tool, its output captured (never through a shell). */
export function runTool(argv: string[], input?: string): ToolResult {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 60_000, ...(input === undefined ? {} : { input }) });
  return { status: r.error ? null : r.status, stdout: r.stdout ?? '', stderr: r.error ? r.error.message : (r.stderr ?? '') };
}

/** Run commands in order; the first that fails stops with an error naming it. */
export function runAll(commands: string[][], input?: (argv: string[]) => string | undefined): void {
  for (const argv of commands) {
    const r = runTool(argv, input?.(argv));
    if (r.status !== 0) {
      throw new OpsError('SPAWN_FAILED', `\`${argv.join(' ')}\` failed: ${(r.stderr || r.stdout).trim() || `exit ${r.status}`}`, 'the files are written; fix the cause and run `opsdeck units install` again');
    }
  }
}

const systemctl = (scope: BootScope) => (scope === 'user' ? ['systemctl', '--user'] : ['systemctl']);
const launchdDomain = (scope: BootScope) => (scope === 'system' ? 'system' : `gui/${process.getuid?.() ?? 0}`);

/** The commands that load and enable a written unit set. */
export function activateCommands(set: UnitSet, dir: string): string[][] {
  if (set.target === 'systemd') return [[...systemctl(set.scope), 'daemon-reload'], [...systemctl(set.scope), 'enable', ...set.activate]];
  if (set.target === 'launchd') return set.files.map((f) => ['launchctl', 'bootstrap', launchdDomain(set.scope), path.join(dir, f.name)]);
  return set.scope === 'user' ? [['crontab', '-']] : [];
}

/** The commands that stop, disable and unload units (`names`: file names of ours) before they are removed. */
export function deactivateCommands(target: BootTarget, scope: BootScope, names: string[]): string[][] {
  if (!names.length) return [];
  if (target === 'systemd') {
    const units = names.filter((n) => /\.(service|target|timer)$/.test(n));
    return units.length ? [[...systemctl(scope), 'disable', '--now', ...units]] : [];
  }
  if (target === 'launchd') return names.filter((n) => n.endsWith('.plist')).map((n) => ['launchctl', 'bootout', `${launchdDomain(scope)}/${n.replace(/\.plist$/, '')}`]);
  return scope === 'user' ? [['crontab', '-']] : [];
}

/** After files were removed: systemd forgets them. */
export const reloadCommands = (target: BootTarget, scope: BootScope): string[][] => (target === 'systemd' ? [[...systemctl(scope), 'daemon-reload']] : []);

// ---------------------------------------------------------------- the user's crontab block

const begin = (stack: string) => `# >>> opsdeck ${stack} (managed by \`opsdeck units\`)`;
const end = (stack: string) => `# <<< opsdeck ${stack}`;

/** The user's crontab as it is (empty when there is none). */
export function readCrontab(): string {
  const r = runTool(['crontab', '-l']);
  return r.status === 0 ? r.stdout : '';
}

/** `crontab` with this stack's block replaced by `block` (or removed when undefined). */
export function withCronBlock(crontab: string, stack: string, block: string | undefined): string {
  const lines = crontab.split('\n');
  const from = lines.indexOf(begin(stack));
  const to = lines.indexOf(end(stack));
  const kept = from >= 0 && to > from ? [...lines.slice(0, from), ...lines.slice(to + 1)] : lines;
  const text = kept.join('\n').replace(/\n+$/, '');
  const added = block === undefined ? '' : `${begin(stack)}\n${block.replace(/\n+$/, '')}\n${end(stack)}\n`;
  return [text, added].filter(Boolean).join('\n') + (text && !added ? '\n' : '');
}

/** The stack's block in the user's crontab, if any. */
export function cronBlock(crontab: string, stack: string): string | undefined {
  const lines = crontab.split('\n');
  const from = lines.indexOf(begin(stack));
  const to = lines.indexOf(end(stack));
  return from >= 0 && to > from ? lines.slice(from + 1, to).join('\n') + '\n' : undefined;
}

// ---------------------------------------------------------------- what the init system says

export interface UnitState {
  enabled?: boolean;
  loaded?: boolean;
  running?: boolean;
}

/** What the init system says of one file's unit (nothing for cron and for files that are not units). */
export function unitState(target: BootTarget, scope: BootScope, name: string): UnitState {
  if (target === 'systemd' && /\.(service|target|timer)$/.test(name)) {
    const enabled = runTool([...systemctl(scope), 'is-enabled', name]);
    const active = runTool([...systemctl(scope), 'is-active', name]);
    if (enabled.status === null) return {};
    const e = enabled.stdout.trim();
    return { enabled: e === 'enabled' || e === 'enabled-runtime', loaded: e !== '' && e !== 'not-found', running: active.stdout.trim() === 'active' };
  }
  if (target === 'launchd' && name.endsWith('.plist')) {
    const r = runTool(['launchctl', 'print', `${launchdDomain(scope)}/${name.replace(/\.plist$/, '')}`]);
    if (r.status === null) return {};
    return { loaded: r.status === 0, enabled: r.status === 0, running: /state = running/.test(r.stdout) };
  }
  return {};
}
