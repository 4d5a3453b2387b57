/**
 * Putting restored files into the stack: each live file (and, for an SQLite database, its
 * journal / WAL / shared-memory / lock companions, which belong to the old database) is moved
 * aside into the restore's `previous/` folder, then the restored file is renamed into its place.
 * A rename within one file system is atomic, so every path holds either the old file or the new
 * one, never a half-written mix; every step is journaled so it can be undone in reverse order.
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, renameSync, rmSync, cpSync } from 'node:fs';
import path from 'node:path';
import { SQLITE_SIDECARS } from './adapters/files';
import { resolveInside } from './repo';

export interface SwapStep {
  /** Absolute path in the stack. */
  target: string;
  /** Where the old file went (undefined: there was none). */
  previous?: string;
  /** The restored file placed at target (undefined for a move-aside only). */
  placed: boolean;
}

/** Rename, or copy then remove across file systems (EXDEV). */
export function move(from: string, to: string): void {
  mkdirSync(path.dirname(to), { recursive: true });
  try {
    renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    // Copy next to the destination first, then rename there: still atomic at the destination.
    const tmp = `${to}.opsdeck-tmp-${process.pid}`;
    const st = lstatSync(from);
    if (st.isDirectory()) cpSync(from, tmp, { recursive: true, verbatimSymlinks: true });
    else copyFileSync(from, tmp);
    renameSync(tmp, to);
    rmSync(from, { recursive: true, force: true });
  }
}

const exists = (p: string) => {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
};

export class Swap {
  readonly steps: SwapStep[] = [];

  constructor(
    private readonly stackDir: string,
    /** Where replaced files are kept until the restore is done. */
    private readonly previousDir: string,
  ) {}

  /** Move the live file at `rel` (and its SQLite companions when `sqlite`) aside. */
  moveAside(rel: string, sqlite = false): void {
    const target = resolveInside(this.stackDir, rel);
    const paths = [target, ...(sqlite ? SQLITE_SIDECARS.map((s) => target + s) : [])];
    for (const p of paths) {
      if (!exists(p)) continue;
      const previous = path.join(this.previousDir, path.relative(this.stackDir, p));
      move(p, previous);
      this.steps.push({ target: p, previous, placed: false });
    }
  }

  /** Put the restored file `staged` at `rel`, moving what is there aside first. */
  place(rel: string, staged: string, sqlite = false): void {
    this.moveAside(rel, sqlite);
    const target = resolveInside(this.stackDir, rel);
    move(staged, target);
    this.steps.push({ target, placed: true });
  }

  /** Undo every step, newest first: remove what was placed, bring back what was moved aside. */
  undo(): void {
    for (const step of [...this.steps].reverse()) {
      if (step.placed) rmSync(step.target, { recursive: true, force: true });
      else if (step.previous && existsSync(step.previous)) move(step.previous, step.target);
    }
    this.steps.length = 0;
  }
}
