/**
 * The engine's one event bus. Everything that happens to a service is an event; the API,
 * memory, metrics and the extension only consume them. Events are delivered with their secrets
 * redacted (src/core/redact.ts), so no consumer can pass one on.
 */
import { redactDeep } from './redact';

import type { Disposable, EngineEvent, EventOf, EventType } from './contract/events';

export class EventBus {
  private readonly byType = new Map<EventType, Set<(e: EngineEvent) => void>>();
  private readonly any = new Set<(e: EngineEvent) => void>();
  private readonly queue: EngineEvent[] = [];
  private dispatching = false;

  on<T extends EventType>(type: T, fn: (e: EventOf<T>) => void): Disposable {
    let set = this.byType.get(type);
    if (!set) this.byType.set(type, (set = new Set()));
    const f = fn as (e: EngineEvent) => void;
    set.add(f);
    return { dispose: () => void set.delete(f) };
  }

  onAny(fn: (e: EngineEvent) => void): Disposable {
    this.any.add(fn);
    return { dispose: () => void this.any.delete(fn) };
  }

  /**
   * Deliver an event to its listeners. An event emitted by a listener is queued and delivered
   * after the current one to every listener, so all listeners see events in the same order.
   */
  emit(e: EngineEvent): void {
    this.queue.push(redactDeep(e));
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) this.deliver(next);
    } finally {
      this.dispatching = false;
    }
  }

  private deliver(e: EngineEvent): void {
    for (const fn of [...(this.byType.get(e.type) ?? []), ...this.any]) {
      try {
        fn(e);
      } catch (err) {
        // A consumer's bug must never break supervision.
        process.emitWarning(`opsdeck event listener failed on ${e.type}: ${(err as Error).message}`);
      }
    }
  }
}
