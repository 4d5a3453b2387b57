/**
 * The running release of a stack with releases (docs/releases.md), for the status bar tooltip and
 * the Services view: the version `current` points to and how the last operation ended, read from
 * the stack folder (the `current` link and .opsdeck/releases.json), again whenever the ledger changes.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import type { Ledger } from '../core/contract';
import type { ReleaseSummary, StackStore } from './state/stack-store';

/** The release as the views say it: `Release 2 (last: update 2 → 3 rolled-back)`. */
export const releaseLine = (r: ReleaseSummary): string => `Release ${r.current}${r.last ? ` (last: ${r.last})` : ''}`;

/** The running release of the stack in `dir`, or undefined for a stack without releases. */
export function readRelease(dir: string): ReleaseSummary | undefined {
  let current: string;
  try {
    current = basename(readlinkSync(join(dir, 'current')));
  } catch {
    return undefined;
  }
  try {
    const ledger = JSON.parse(readFileSync(join(dir, '.opsdeck', 'releases.json'), 'utf8')) as Ledger;
    const e = ledger.entries.at(-1);
    return { current, ...(e ? { last: `${e.op} ${e.from ? `${e.from} → ` : ''}${e.version} ${e.result === 'in-progress' ? `interrupted at ${e.stage}` : e.result}` } : {}) };
  } catch {
    return { current };
  }
}

export class ReleaseState implements vscode.Disposable {
  private watcher: vscode.FileSystemWatcher | undefined;
  private watchedDir: string | undefined;

  constructor(
    private readonly stackDir: () => string | undefined,
    private readonly store: StackStore,
  ) {}

  /** Read it now (and watch the ledger of the stack's folder from then on). */
  refresh(): void {
    const dir = this.stackDir();
    if (dir !== this.watchedDir) {
      this.watcher?.dispose();
      this.watcher = undefined;
      this.watchedDir = dir;
      if (dir) {
        this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(join(dir, '.opsdeck')), 'releases.json'));
        const again = () => this.refresh();
        this.watcher.onDidChange(again);
        this.watcher.onDidCreate(again);
      }
    }
    this.store.setRelease(dir ? readRelease(dir) : undefined);
  }

  dispose(): void {
    this.watcher?.dispose();
  }
}
