/**
 * Which entries of a snapshot a restore takes: those of the services asked for, then those an
 * include glob (src/core/glob.ts, the one dialect) matches on `path` or `service/path`; a matched
 * folder brings everything below it. The repository's restore and the orchestration's restores
 * (backup/restore.ts) both select with it.
 */
import { OpsError } from '../../errors';
import { compileGlob, type Glob } from '../../glob';
import type { Snapshot, SnapshotEntry } from './model';

export interface EntrySelection {
  /** Only these services (none: all). */
  services?: readonly string[];
  /** Only entries an include glob matches (none: all). */
  include?: readonly string[];
}

/** Does an entry match one of the include globs (on its path or service/path)? No globs: yes. */
export function matchesInclude(entry: { service: string; path: string }, include: readonly string[] | readonly Glob[]): boolean {
  if (include.length === 0) return true;
  const globs = include.map((g) => (typeof g === 'string' ? compileGlob(g, 'include glob') : g));
  const withService = `${entry.service}/${entry.path}`;
  return globs.some((g) => g.matches(entry.path) || g.matches(withService));
}

/** The default answer to services the snapshot has no entry of. */
function serviceUnknown(s: Snapshot, unknown: string[], known: Set<string>): never {
  throw new OpsError('SERVICE_UNKNOWN', `snapshot ${s.id.slice(0, 12)} has no data for ${unknown.join(', ')}`, `it holds: ${[...known].sort().join(', ') || 'nothing'}`);
}

/**
 * The entries of `s` the selection takes, in manifest order. Services asked for that have no
 * entry in the snapshot go to `onUnknown` (which throws to refuse them); by default SERVICE_UNKNOWN.
 */
export function selectEntries(s: Snapshot, selection: EntrySelection, onUnknown?: (unknown: string[]) => void): SnapshotEntry[] {
  const services = selection.services?.length ? new Set(selection.services) : undefined;
  if (services) {
    const known = new Set(s.entries.map((e) => e.service));
    const unknown = [...services].filter((x) => !known.has(x));
    if (unknown.length) {
      if (onUnknown) onUnknown(unknown);
      else serviceUnknown(s, unknown, known);
    }
  }
  const globs = (selection.include ?? []).map((g) => compileGlob(g, 'include glob'));
  return s.entries.filter((e) => (!services || services.has(e.service)) && matchesInclude(e, globs));
}
