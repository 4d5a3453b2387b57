/**
 * What the webview keeps across being hidden (VS Code tears a hidden view down; with
 * `vscode.setState` it comes back as it was): the chosen range and which sections are open.
 * No data: the host sends the current state as soon as the view is back, and numbers of a
 * former engine must never show. Restored state is checked: whatever does not fit is dropped
 * (the status, sample and backups older versions kept included). No DOM.
 */
import { DEFAULT_HISTORY_RANGE, historyRangeSchema, type HistoryRange } from '../../src/shared/protocol';

export const SECTIONS = ['services', 'cpu', 'memory', 'latency', 'ipc', 'restarts', 'backups'] as const;
export type Section = (typeof SECTIONS)[number];

export interface ViewState {
  v: 1;
  range: HistoryRange;
  open: Record<Section, boolean>;
}

export const DEFAULT_OPEN: Record<Section, boolean> = { services: true, cpu: true, memory: true, latency: false, ipc: true, restarts: true, backups: true };

export const defaultViewState = (): ViewState => ({ v: 1, range: DEFAULT_HISTORY_RANGE, open: { ...DEFAULT_OPEN } });

/** A state from `vscode.getState()`, of any age or shape, as a valid ViewState. */
export function restoreViewState(raw: unknown): ViewState {
  const state = defaultViewState();
  if (typeof raw !== 'object' || raw === null) return state;
  const r = raw as Record<string, unknown>;
  if (r.v !== 1) return state;
  const range = historyRangeSchema.safeParse(r.range);
  if (range.success) state.range = range.data;
  if (typeof r.open === 'object' && r.open !== null) {
    const open = r.open as Record<string, unknown>;
    for (const s of SECTIONS) if (typeof open[s] === 'boolean') state.open[s] = open[s];
  }
  return state;
}
