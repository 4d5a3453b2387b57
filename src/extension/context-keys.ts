/**
 * The context keys the manifest's `when` clauses read (package.json menus: no Start Stack while the
 * stack runs, no Stop Stack while it is stopped, no Create Stack where a stack exists), set from
 * the state model's snapshot (state/stack-store.ts) whenever it changes; only changed keys are sent.
 */
import * as vscode from 'vscode';
import type { StackStore } from './state/stack-store';
import { contextKeys } from './status-model';

export class ContextKeys implements vscode.Disposable {
  private readonly sent = new Map<string, unknown>();
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly store: StackStore,
    private readonly hasStack: () => boolean,
  ) {
    this.subscription = store.onDidChange(() => this.update());
    this.update();
  }

  /** Set the keys of the current snapshot (also after a change the store does not see: a stack created). */
  update(): void {
    const snap = this.store.snapshot;
    for (const [key, value] of Object.entries(contextKeys(this.hasStack(), snap.connection, snap.status, snap.backupsAvailable))) {
      if (this.sent.has(key) && this.sent.get(key) === value) continue;
      this.sent.set(key, value);
      void vscode.commands.executeCommand('setContext', key, value);
    }
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
