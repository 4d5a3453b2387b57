/**
 * Boot-test harness: a machine's journal, read from the host with
 * `journalctl --directory=ROOT/var/log/journal --output=json` (the machine runs with
 * --link-journal=no, so its persistent journal is there, booted or not).
 */
import { join } from 'node:path';
import { mustRunHost } from './host-command';

export interface JournalEntry {
  /** Epoch ms (from __REALTIME_TIMESTAMP, µs). */
  at: number;
  bootId: string;
  message: string;
  /** The unit that logged it (_SYSTEMD_UNIT), or that systemd's own message is about (UNIT). */
  unit: string | undefined;
  identifier: string | undefined;
  fields: Record<string, unknown>;
}

/** MESSAGE is a string, or an array of bytes when it is not valid UTF-8. */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return Buffer.from(v as number[]).toString('utf8');
  return '';
}

/** The entries of the machine's journal in `root`, oldest first; `args` are more journalctl arguments (filters). */
export async function readJournal(root: string, args: string[] = []): Promise<JournalEntry[]> {
  const out = await mustRunHost('journalctl', [`--directory=${join(root, 'var/log/journal')}`, '--output=json', '--no-pager', ...args], { timeoutMs: 60_000 });
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const f = JSON.parse(l) as Record<string, unknown>;
      return {
        at: Math.floor(Number(f.__REALTIME_TIMESTAMP) / 1000),
        bootId: String(f._BOOT_ID ?? ''),
        message: text(f.MESSAGE),
        unit: (f._SYSTEMD_UNIT as string | undefined) ?? (f.UNIT as string | undefined),
        identifier: f.SYSLOG_IDENTIFIER as string | undefined,
        fields: f,
      };
    });
}

/** The boot ids of the journal, in the order they booted. */
export function bootIds(entries: JournalEntry[]): string[] {
  const ids: string[] = [];
  for (const e of entries) if (e.bootId && !ids.includes(e.bootId)) ids.push(e.bootId);
  return ids;
}
