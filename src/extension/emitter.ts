/**
 * A minimal typed event emitter with disposable subscriptions, shaped like `vscode.Event` so
 * the vscode-free parts of the extension (engine connection, policies) can be unit tested
 * without VS Code and still be consumed like VS Code events.
 */
export interface Disposable {
  dispose(): void;
}

export type Listener<T> = (value: T) => void;
export type Event<T> = (listener: Listener<T>) => Disposable;

export class Emitter<T> implements Disposable {
  private listeners = new Set<Listener<T>>();

  /** Subscribe; the returned disposable unsubscribes. */
  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  };

  /** Deliver to every listener; one listener's exception never stops the others. */
  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (e) {
        process.emitWarning(`opsdeck extension listener failed: ${(e as Error).message}`);
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
