/**
 * The one-line human text of an engine event, as memory stores, indexes and shows it:
 * "state ready → degraded: upstream: storage", "restart 2 in 1s (crash: exit code 1)", or a log
 * line as the service wrote it (without terminal colour codes).
 */
import { count, formatBytes } from '../format';
import { formatDuration } from '../duration';
import type { EngineEvent } from '../contract/events';

/** Longest text kept for one event; a longer text is cut and says how much was dropped. */
export const MAX_TEXT_CHARS = 4000;

export function eventText(e: EngineEvent): string {
  return oneLine(render(e));
}

function render(e: EngineEvent): string {
  // Backup events with a shape this version does not know (another version's, or hand-made)
  // read like unknown kinds, field by field, rather than failing.
  if (BACKUP_SHAPES[e.type as keyof typeof BACKUP_SHAPES]?.(e) === false) return otherText(e as never);
  switch (e.type) {
    case 'state':
      return `state ${e.from} → ${e.to}${e.reason ? `: ${e.reason}` : ''}`;
    case 'spawn':
      return `spawn pid ${e.pid}: ${e.command.map(quoteArg).join(' ')}`;
    case 'exit': {
      const how = e.error ? `exit: could not start: ${e.error}` : e.signal ? `exit by signal ${e.signal}` : `exit code ${e.code ?? '?'}`;
      const notes = [e.pid !== undefined ? `pid ${e.pid}` : '', e.expected ? 'expected' : ''].filter(Boolean);
      return notes.length ? `${how} (${notes.join(', ')})` : how;
    }
    case 'probe': {
      const took = `${Math.round(e.latencyMs)}ms`;
      if (e.ok) return `${e.probe} probe ok in ${took}`;
      const count = e.failures > 0 ? ` ${e.failures}/${e.threshold}` : '';
      return `${e.probe} probe failed${count} in ${took}${e.error ? `: ${e.error}` : ''}`;
    }
    case 'restart': {
      const detail = e.detail.startsWith(`${e.cause}:`) || e.detail === e.cause ? e.detail : e.detail ? `${e.cause}: ${e.detail}` : e.cause;
      return `restart ${e.attempt} in ${formatDuration(e.delayMs)} (${detail})`;
    }
    case 'retry-reset':
      return `retry counter reset after ${formatDuration(e.after)} running`;
    case 'gave-up':
      return `gave up after ${e.restarts} restart${e.restarts === 1 ? '' : 's'} within ${formatDuration(e.windowMs)}`;
    case 'leftover': {
      const how = e.outcome === 'killed' ? 'killed with SIGKILL after the grace period' : 'stopped';
      const more = e.processes.length > 1 ? ` (${e.processes.length} processes)` : '';
      return `${how} pid ${e.pid}${more}, left running by the previous engine (pid ${e.enginePid}, no longer running)`;
    }
    case 'limit':
      return `${e.limit} limit exceeded: ${e.valueMb} MB > ${e.maxMb} MB`;
    case 'check':
      return `check ${e.ok ? 'ok' : 'failed'} in ${formatDuration(e.durationMs)}${e.output ? `: ${e.output}` : ''}`;
    case 'log':
      return e.line;
    case 'ipc':
      return `IPC ${e.from} → ${e.to}: ${e.summary}`;
    case 'backup': {
      const who = `${e.trigger === 'manual' ? '' : `${e.trigger} `}backup of ${e.services.join(', ')}${e.tags.length ? ` [${e.tags.join(', ')}]` : ''}`;
      if (e.phase === 'started') return `${who} started`;
      if (e.phase === 'failed') return `${who} failed${e.error ? `: ${e.error}` : ''}`;
      const counts = `${count(e.files ?? 0, 'file')} (${e.filesNew ?? 0} new, ${e.filesChanged ?? 0} changed, ${e.filesUnchanged ?? 0} unchanged)`;
      return `${who} completed: snapshot ${e.snapshot ?? '?'}, ${counts}, ${formatBytes(e.bytesAdded ?? 0)} added in ${formatDuration(e.durationMs ?? 0)}`;
    }
    case 'restore': {
      const what = `restore of snapshot ${e.snapshot} (${e.mode}, ${e.services.join(', ')})`;
      if (e.phase === 'started') return `${what} started`;
      const rto = e.recoveryMs === undefined ? '' : ` recovery ${formatDuration(e.recoveryMs)}${e.rtoMs === undefined ? '' : ` (RTO ${formatDuration(e.rtoMs)}: ${e.withinRto ? 'met' : 'MISSED'})`}`;
      if (e.phase === 'completed') return `${what} completed:${rto}`;
      const back = e.phase === 'rolled-back' ? `; rolled back to safety snapshot ${e.safetySnapshot ?? '?'}` : '';
      return `${what} failed${e.error ? `: ${e.error}` : ''}${back}`;
    }
    case 'drill': {
      const what = `recovery drill of snapshot ${e.snapshot} (${e.services.join(', ')})`;
      if (e.phase === 'started') return `${what} started`;
      if (e.phase === 'failed') return `${what} failed${e.error ? `: ${e.error}` : ''}`;
      const rto = e.rtoMs === undefined ? '' : ` (RTO ${formatDuration(e.rtoMs)}: ${e.withinRto ? 'met' : 'MISSED'})`;
      return `${what} passed: recovery ${formatDuration(e.recoveryMs ?? 0)}${rto}`;
    }
    case 'rpo':
      return `${e.ok ? 'RPO met again' : 'RPO breach'}: ${e.detail}`;
    case 'verify': {
      const what = `${e.trigger === 'manual' ? '' : `${e.trigger} `}verify${e.readData ? ` with data${e.subset ? ` (subset ${e.subset})` : ''}` : ' (structure)'}`;
      if (e.error) return `${what} failed: ${e.error}`;
      const damaged = e.damagedSnapshots.length ? `; damaged snapshots: ${e.damagedSnapshots.join(', ')}` : '';
      return `${what} ${e.ok ? 'ok' : 'found damage'}: ${count(e.errors, 'error')}, ${count(e.warnings, 'warning')} in ${formatDuration(e.durationMs)}${damaged}`;
    }
    case 'retention': {
      const what = `${e.trigger === 'manual' ? '' : `${e.trigger} `}retention`;
      if (!e.ok) return `${what} failed${e.error ? `: ${e.error}` : ''}`;
      const freed = e.bytesFreed === undefined ? '' : `, pruned ${formatBytes(e.bytesFreed)}`;
      return `${what}: kept ${count(e.kept, 'snapshot')}, forgot ${e.forgotten.length}${e.forgotten.length ? ` (${e.forgotten.join(', ')})` : ''}${freed}`;
    }
    case 'maintenance': {
      const what = `${e.trigger === 'schedule' ? 'scheduled ' : ''}maintenance ${e.task}`;
      if (!e.ok) return `${what} failed${e.error ? `: ${e.error}` : ''} after ${formatDuration(e.durationMs)}`;
      const freed = e.reclaimedBytes ? `, reclaimed ${formatBytes(e.reclaimedBytes)}` : '';
      return `${what} done in ${formatDuration(e.durationMs)}${freed}: ${e.summary}`;
    }
    case 'cleanup':
      return `cleanup removed ${count(e.files, 'file')} (${formatBytes(e.bytes)}): ${e.kinds.join(', ')}`;
    case 'alert':
      return `alert ${e.phase} ${e.incident} (${e.severity}${e.level ? `, level ${e.level}` : ''}): ${e.summary}`;
    case 'report':
      return `${e.trigger === 'schedule' ? 'scheduled ' : ''}${e.period} report written: ${e.files.join(', ')}`;
    default:
      return otherText(e);
  }
}

const BACKUP_SHAPES = {
  backup: (e: EngineEvent) => typeof (e as { phase?: unknown }).phase === 'string' && Array.isArray((e as { services?: unknown }).services) && Array.isArray((e as { tags?: unknown }).tags),
  restore: (e: EngineEvent) => typeof (e as { phase?: unknown }).phase === 'string' && Array.isArray((e as { services?: unknown }).services),
  drill: (e: EngineEvent) => typeof (e as { phase?: unknown }).phase === 'string' && Array.isArray((e as { services?: unknown }).services),
  rpo: (e: EngineEvent) => typeof (e as { detail?: unknown }).detail === 'string',
  verify: (e: EngineEvent) => Array.isArray((e as { damagedSnapshots?: unknown }).damagedSnapshots),
  retention: (e: EngineEvent) => Array.isArray((e as { forgotten?: unknown }).forgotten),
};

/**
 * Events the union does not know yet (the compiler says so: `e` is `never` here, so a new kind
 * without a case above fails to type-check) still get a readable line at run time:
 * `<type> key=value …` from their own fields.
 */
function otherText(e: never): string {
  const { type, at: _at, service: _service, ...rest } = e as { type?: unknown; at?: unknown; service?: unknown } & Record<string, unknown>;
  const fields = Object.entries(rest)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [String(type ?? 'event'), ...fields].join(' ');
}

// Colour and cursor escapes that services write for terminals (CSI … final byte, OSC … BEL/ST).
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** One line: no terminal escapes, line breaks shown as ⏎, no other control characters, bounded length. */
export function oneLine(text: string): string {
  let s = text.replace(ANSI, '').replace(/\r?\n|\r/g, ' ⏎ ').replace(/\t/g, ' ').replace(CONTROL, '');
  if (s.length > MAX_TEXT_CHARS) s = `${s.slice(0, MAX_TEXT_CHARS)}… (${s.length - MAX_TEXT_CHARS} more chars)`;
  return s;
}

function quoteArg(a: string): string {
  return a === '' || /[\s"'\\]/.test(a) ? JSON.stringify(a) : a;
}
