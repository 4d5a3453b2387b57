/**
 * An engine event as memory stores it: one row with its time, service, kind, one line of text
 * (secrets redacted) and the event's other fields as JSON. The journal (journal.ts) writes rows in
 * this form and the store (memory-store.ts) indexes them.
 */
import type { EventBus } from '../events';
import { eventText } from './event-text';
import { redactDeep, redactSecrets } from '../redact';
import type { Disposable, EngineEvent } from '../contract/events';

export interface MemoryRow {
  /** Epoch ms of the event. */
  at: number;
  service: string;
  /** The event's type: `log`, `state`, `restart`, … */
  kind: string;
  text: string;
  /** The event's other fields, JSON. */
  data: string;
}

/** The row for one event; `now` stands in for an event without a usable time. */
export function toMemoryRow(e: EngineEvent, now: number): MemoryRow {
  const { type, service, at, ...fields } = redactDeep(e) as EngineEvent & Record<string, unknown>;
  const stored = { type, service, at, ...fields } as EngineEvent;
  let text = eventText(stored);
  if (type !== 'log') text = redactSecrets(text); // a log line is already redacted; other texts join several fields
  // The log line is the row's text in the common case; it is not stored twice.
  if (type === 'log' && fields.line === text) delete fields.line;
  return {
    at: typeof at === 'number' && Number.isFinite(at) ? Math.round(at) : now,
    service: String(service ?? ''),
    kind: String(type),
    text,
    data: JSON.stringify(fields),
  };
}

/**
 * Which events memory keeps: every event but a passing probe, unless the previous result of the
 * same probe (service and role) was a failure. Failures and recoveries are kept; the thousands of
 * "probe ok" a healthy stack makes an hour are not. One filter per recording bus (it remembers
 * the last result of each probe).
 */
export function probeFilter(): (e: EngineEvent) => boolean {
  const passing = new Map<string, boolean>();
  return (e) => {
    if (e.type !== 'probe') return true;
    const key = `${e.service}\0${e.probe}`;
    const wasPassing = passing.get(key) ?? true;
    passing.set(key, e.ok);
    return !(e.ok && wasPassing);
  };
}

/** The row read back from JSON (a journal line), or undefined when it is not a whole row. */
export function parseMemoryRow(line: string): MemoryRow | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.at !== 'number' || !Number.isFinite(r.at) || typeof r.service !== 'string' || typeof r.kind !== 'string' || typeof r.text !== 'string' || typeof r.data !== 'string') return undefined;
  return { at: r.at, service: r.service, kind: r.kind, text: r.text, data: r.data };
}

/** Give `record` every event the bus carries that memory keeps (see probeFilter), until disposed. */
export function recordFrom(bus: EventBus, record: (e: EngineEvent) => void): Disposable {
  const keep = probeFilter();
  return bus.onAny((e) => {
    if (keep(e)) record(e);
  });
}
