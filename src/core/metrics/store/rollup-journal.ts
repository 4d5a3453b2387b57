/**
 * The rollup journal: how closed minutes and marks leave the engine's thread without SQLite. The
 * recorder appends one batch of JSON lines a minute to `<stack>/.opsdeck/metrics-journal/current.jsonl`;
 * seal() renames it to `sealed-<n>.jsonl` so that the store worker takes in complete files while
 * the next minutes go to a new current file. A killed engine loses at most its open minute; a
 * line cut short by a kill is skipped. Owner-only: the folder is 0700, the files 0600.
 */
import { appendFileSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE, privateDir } from '../../private-files';
import type { JournalEntry } from './rows';

const CURRENT = 'current.jsonl';
const SEALED = /^sealed-(\d{15})\.jsonl$/;

export const rollupJournalDir = (opsdeckDir: string) => join(opsdeckDir, 'metrics-journal');
/** The store itself (opened only where SQLite may be loaded: the store worker, or a command's own process). */
export const metricsDbPath = (opsdeckDir: string) => join(opsdeckDir, 'metrics.db');

export class RollupJournal {
  private seq: number;

  constructor(readonly dir: string) {
    privateDir(dir);
    this.seq = (sealedFiles(dir).map((f) => Number(SEALED.exec(f)![1])).at(-1) ?? 0) + 1;
    // A current file left by an engine that died is complete now: ready for the store.
    this.seal();
  }

  /** Append entries to the current file (throws when the disk refuses). */
  append(entries: readonly JournalEntry[]): void {
    if (!entries.length) return;
    appendFileSync(join(this.dir, CURRENT), entries.map((e) => JSON.stringify(e) + '\n').join(''), { mode: PRIVATE_FILE_MODE });
  }

  /** Bytes in the current file (not yet sealed). */
  currentBytes(): number {
    try {
      return statSync(join(this.dir, CURRENT)).size;
    } catch {
      return 0;
    }
  }

  /** End the current file: what was appended is ready for the store. */
  seal(): void {
    if (!this.currentBytes()) return;
    renameSync(join(this.dir, CURRENT), join(this.dir, `sealed-${String(this.seq++).padStart(15, '0')}.jsonl`));
  }
}

/** The sealed files of `dir`, oldest first (and, with `withCurrent`, the current one last: no engine writes it). */
export function sealedFiles(dir: string, withCurrent = false): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const sealed = names.filter((n) => SEALED.test(n)).sort();
  return withCurrent && names.includes(CURRENT) ? [...sealed, CURRENT] : sealed;
}

/** Read each file's entries (a line that is not whole JSON is skipped), hand them over, then delete the file. */
export function drainJournal(dir: string, withCurrent: boolean, take: (entries: JournalEntry[]) => void): number {
  let n = 0;
  for (const name of sealedFiles(dir, withCurrent)) {
    const path = join(dir, name);
    const entries: JournalEntry[] = [];
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        entries.push(JSON.parse(line) as JournalEntry);
      } catch {
        // cut short by a kill
      }
    }
    take(entries);
    unlinkSync(path);
    n += entries.length;
  }
  return n;
}
