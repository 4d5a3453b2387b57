/**
 * Searching the stack's memory (its events and log lines): the query and what a hit is
 * (src/core/memory/memory-store.ts answers it; docs/memory.md). Part of the contract.
 */
export type OneOrMany = string | readonly string[];

export interface MemoryFilter {
  /** Only these services (exact names). An empty list means no filter. */
  service?: OneOrMany;
  /** Only these kinds: 'log', 'state', 'restart', 'exit', 'probe', … (exact). An empty list means no filter. */
  kind?: OneOrMany;
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, inclusive. */
  until?: number;
  /** Hits returned: default 20, at most 500. */
  limit?: number;
}

export interface MemoryQuery extends MemoryFilter {
  /** What to look for; see docs/memory.md. Blank or absent: the newest events that pass the filters. */
  text?: string;
}

export interface MemoryHit {
  id: number;
  /** Epoch ms of the event. */
  at: number;
  service: string;
  kind: string;
  /** The event as one line of text (secrets redacted). */
  text: string;
  /** `text` around the match with each matched word between SNIPPET_OPEN and SNIPPET_CLOSE, cut
   *  with SNIPPET_ELLIPSIS; exactly `text` when the query had no text. */
  snippet: string;
  /** Relevance for a text query, higher is better (see search()); 0 without text. */
  rank: number;
  /** The event as recorded: `{ type, service, at, …its own fields }` (secrets redacted). */
  data: Record<string, unknown>;
}
