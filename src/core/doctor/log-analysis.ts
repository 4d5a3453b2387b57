/**
 * The doctor's log analysis, per service, over a window: the top error signatures (signature.ts)
 * with their counts, first and last seen, and how many crashes each preceded; and the crashes
 * themselves (exits the engine did not ask for) by cause — exit code, signal, and an OOM kill
 * when the kernel log says so. Read from the service's log (src/core/logs), whose `opsdeck`
 * lines say when the process started, changed state and exited, so it works without an engine.
 */
import type { LogLine } from '../contract/logs';
import { formatDuration } from '../duration';
import { tailLog } from '../logs/read-log';
import { check, fix, type DoctorCheck } from './check';
import type { ReportLogError } from '../contract/reports';
import type { DoctorContext } from './context';
import { readOomKills, type OomKills } from './kernel-oom';
import { errorSignature, isErrorLine } from './signature';

/** A signature's counts; the report's ReportLogError adds the service it came from. */
export type SignatureStats = Omit<ReportLogError, 'service'>;

export interface Crash {
  at: number;
  pid?: number;
  /** `exit code 1`, `killed by SIGKILL`, `could not start: …`. */
  cause: string;
  oom?: string;
}

export interface LogAnalysis {
  service: string;
  lines: number;
  errorLines: number;
  signatures: SignatureStats[];
  crashes: Crash[];
}

const MAX_LINES = 200_000;
const PRECEDES_WITHIN_MS = 60_000;
const STARTED = /^started pid (\d+)/;
const STATE = /^\S+ \u2192 (\S+):/;
const EXITED = /^exited \((.*)\)$/;

/** Analyse lines of one service's log, oldest first. */
export function analyseLines(service: string, lines: readonly LogLine[]): LogAnalysis {
  const stats = new Map<string, SignatureStats>();
  const crashes: Crash[] = [];
  let pid: number | undefined;
  let stopping = false;
  /** Signatures seen since the process started: signature → last time. */
  let sinceStart = new Map<string, number>();
  let errorLines = 0;
  for (const l of lines) {
    if (l.stream === 'opsdeck') {
      const started = STARTED.exec(l.line);
      if (started) {
        pid = Number(started[1]);
        stopping = false;
        sinceStart = new Map();
        continue;
      }
      const state = STATE.exec(l.line);
      if (state) {
        if (state[1] === 'stopping') stopping = true;
        continue;
      }
      const exited = EXITED.exec(l.line);
      if (exited) {
        if (!stopping) {
          crashes.push({ at: l.at, ...(pid !== undefined ? { pid } : {}), cause: exited[1]! });
          for (const [sig, at] of sinceStart) if (l.at - at <= PRECEDES_WITHIN_MS) stats.get(sig)!.crashesPreceded++;
        }
        sinceStart = new Map();
        pid = undefined;
      }
      continue;
    }
    if (!isErrorLine(l.line)) continue;
    errorLines++;
    const sig = errorSignature(l.line);
    const s = stats.get(sig);
    if (s) {
      s.count++;
      s.lastSeen = l.at;
    } else stats.set(sig, { signature: sig, count: 1, firstSeen: l.at, lastSeen: l.at, example: l.line.slice(0, 300), crashesPreceded: 0 });
    sinceStart.set(sig, l.at);
  }
  const signatures = [...stats.values()].sort((a, b) => b.count - a.count || b.lastSeen - a.lastSeen);
  return { service, lines: lines.length, errorLines, signatures, crashes };
}

export function analyseLog(ctx: DoctorContext, service: string): LogAnalysis {
  const lines = tailLog(ctx.logDir, service, { since: ctx.now - ctx.windowMs, lines: MAX_LINES, keep: ctx.stack.config.logs.keep });
  return analyseLines(service, lines);
}

const TOP = 5;

export async function logChecks(ctx: DoctorContext): Promise<DoctorCheck[]> {
  const analyses = ctx.services.map((s) => analyseLog(ctx, s));
  // The kernel log is read only when some crash was a SIGKILL (what the OOM killer sends).
  const oom: OomKills | undefined = analyses.some((a) => a.crashes.some((c) => c.cause === 'killed by SIGKILL')) ? await readOomKills() : undefined;
  const window = formatDuration(ctx.windowMs);
  return analyses.flatMap((a) => {
    for (const c of a.crashes) {
      const line = c.pid !== undefined ? oom?.killed.get(c.pid) : undefined;
      if (line) c.oom = line;
    }
    return [errorsCheck(a, window), crashesCheck(a, window, oom)];
  });
}

function errorsCheck(a: LogAnalysis, window: string): DoctorCheck {
  const title = `Errors in the log (last ${window})`;
  if (!a.signatures.length) return check('logs', 'logs.errors', title, 'ok', `no error lines in ${a.lines} lines`, { service: a.service, data: { lines: a.lines } });
  const top = a.signatures.slice(0, TOP);
  const found = `${a.errorLines} error lines, ${a.signatures.length} kinds; most: "${top[0]!.signature}" ×${top[0]!.count}`;
  return check('logs', 'logs.errors', title, 'warn', found, {
    service: a.service,
    fix: fix(`read them in context`, `opsdeck memory search --service ${a.service} "${firstWords(top[0]!.example)}"`),
    data: { lines: a.lines, errorLines: a.errorLines, signatures: top },
  });
}

const firstWords = (line: string) => line.replace(/["\\]/g, '').split(/\s+/).slice(0, 4).join(' ');

function crashesCheck(a: LogAnalysis, window: string, oom: OomKills | undefined): DoctorCheck {
  const title = `Crashes (last ${window})`;
  if (!a.crashes.length) return check('logs', 'logs.crashes', title, 'ok', 'no crash', { service: a.service });
  const causes = new Map<string, number>();
  for (const c of a.crashes) {
    const cause = c.oom ? 'OOM kill' : c.cause;
    causes.set(cause, (causes.get(cause) ?? 0) + 1);
  }
  const byCause = [...causes].sort((x, y) => y[1] - x[1]).map(([c, n]) => `${c} ×${n}`).join(', ');
  const oomKilled = a.crashes.some((c) => c.oom);
  const blamed = a.signatures.filter((s) => s.crashesPreceded > 0).slice(0, 3);
  const before = blamed.length ? `; before them: "${blamed[0]!.signature}"` : '';
  return check('logs', 'logs.crashes', title, oomKilled || a.crashes.length >= 3 ? 'fail' : 'warn', `${a.crashes.length} crash${a.crashes.length === 1 ? '' : 'es'}: ${byCause}${before}`, {
    service: a.service,
    fix: oomKilled ? fix(`${a.service} ran out of memory: raise the machine's memory or lower its use (limits.memory_mb warns earlier)`) : fix(`read the lines before each exit`, `opsdeck logs ${a.service} -n 200`),
    data: { crashes: a.crashes.slice(-20), precededBy: blamed, kernelLog: oom ? (oom.readable ? 'read' : `not readable: ${oom.error}`) : 'not needed' },
  });
}
