/**
 * The doctor's check model: how a check is made (ok / warn / fail, what was found, the fix and
 * its command, the raw data for --verbose) and how a set of checks is counted.
 */
import type { CheckCategory, CheckStatus, DoctorCheck, DoctorFix } from '../contract/doctor';

export type { CheckCategory, CheckStatus, DoctorCheck, DoctorFix } from '../contract/doctor';

interface CheckParts {
  service?: string;
  fix?: DoctorFix;
  data?: Record<string, unknown>;
  at?: DoctorCheck['at'];
}

/** A check of `category`, its id, title, status and finding. */
export function check(category: CheckCategory, id: string, title: string, status: CheckStatus, found: string, parts: CheckParts = {}): DoctorCheck {
  return {
    id,
    category,
    ...(parts.service !== undefined ? { service: parts.service } : {}),
    title,
    status,
    found,
    ...(parts.fix && status !== 'ok' ? { fix: parts.fix } : {}),
    ...(parts.at ? { at: parts.at } : {}),
    ...(parts.data ? { data: parts.data } : {}),
  };
}

/** A fix in words, with the command that does it when there is one. */
export const fix = (text: string, command?: string): DoctorFix => (command ? { text, command } : { text });

/** How many checks have each status. */
export function summarise(checks: readonly DoctorCheck[]): Record<CheckStatus, number> {
  const summary: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0 };
  for (const c of checks) summary[c.status]++;
  return summary;
}

/** Run `fn`; a check that throws becomes a failed check saying so, never the doctor's end. */
export async function guarded(category: CheckCategory, id: string, title: string, fn: () => Promise<DoctorCheck[]> | DoctorCheck[], service?: string): Promise<DoctorCheck[]> {
  try {
    return await fn();
  } catch (e) {
    return [check(category, id, title, 'warn', `the check itself failed: ${(e as Error).message}`, service === undefined ? {} : { service })];
  }
}
