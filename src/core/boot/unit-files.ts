/**
 * The files of a unit folder as Opsdeck sees them: each one ours (its header names this stack
 * and folder), someone else's, or missing; the stack's own files the current set no longer has;
 * and how a file is written (atomically, with its mode).
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readHeader } from './header';
import type { UnitFile, UnitSet } from './model';
import { isStackFileName } from './names';

export interface OnDisk {
  path: string;
  state: 'missing' | 'ours' | 'foreign';
  text?: string;
  mode?: number;
}

/** Is `text` a file Opsdeck wrote for this stack (name and folder)? */
export function isOurs(text: string, set: Pick<UnitSet, 'stack' | 'stackDir'>): boolean {
  const h = readHeader(text);
  return !!h && h.stack === set.stack && h.stackDir === set.stackDir;
}

/** One file of the set as it is in `dir`. */
export function onDisk(dir: string, name: string, set: Pick<UnitSet, 'stack' | 'stackDir'>): OnDisk {
  const p = path.join(dir, name);
  let text: string;
  let mode: number;
  try {
    text = readFileSync(p, 'utf8');
    mode = statSync(p).mode & 0o777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { path: p, state: 'missing' };
    throw e;
  }
  return { path: p, state: isOurs(text, set) ? 'ours' : 'foreign', text, mode };
}

/** Files of ours for this stack in `dir` that `set` does not have (left by another mode or a removed service). */
export function staleFiles(dir: string, set: Pick<UnitSet, 'stack' | 'stackDir' | 'files'>): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const wanted = new Set(set.files.map((f) => f.name));
  return names
    .filter((n) => !wanted.has(n) && isStackFileName(set.stack, n))
    .filter((n) => {
      try {
        return isOurs(readFileSync(path.join(dir, n), 'utf8'), set);
      } catch {
        return false;
      }
    })
    .sort();
}

/** Write `file` into `dir` atomically (a temporary file renamed), with its mode. */
export function writeUnitFile(dir: string, file: UnitFile): void {
  mkdirSync(dir, { recursive: true });
  const target = path.join(dir, file.name);
  const tmp = path.join(dir, `.${file.name}.${process.pid}.tmp`);
  writeFileSync(tmp, file.text, { mode: file.mode });
  chmodSync(tmp, file.mode);
  renameSync(tmp, target);
}
