/**
 * A MetricsSource over the control API client: the part of the source that is only API calls.
 * The extension core supplies `run` (usually `commandRunner(vscode.commands.executeCommand)`) and
 * may supply `onEvent` (to share the event stream it already follows for the status bar). Without
 * `onEvent`, each subscription opens its own event stream for as long as it lasts (the view
 * subscribes only while visible), reconnecting after a break.
 */
import type { EngineEvent } from '../../core/contract';
import type { ApiClient } from '../../core/client';
import { DEFAULT_IPC_THRESHOLDS } from '../../core/contract';
import { SAMPLED_HISTORY_MS, type CHART_METRICS } from '../../shared/protocol';
import type { MetricsSource, SourceDisposable } from './metrics-source';
import { historyFromRollups } from './rollup-history';

export interface ApiMetricsSourceOptions {
  run: MetricsSource['run'];
  onEvent?: MetricsSource['onEvent'];
  /** Wait before reopening a broken event stream (default 2 s). */
  reconnectMs?: number;
}

/** What the view charts, and the restart counter behind the timeline when memory is off. */
const HISTORY: readonly [...typeof CHART_METRICS, 'restarts'] = ['cpuPercent', 'rssMb', 'probeP50Ms', 'probeP95Ms', 'restarts'];

type Client = Pick<ApiClient, 'metricsHistory' | 'metricsRollups' | 'events'>;

export function metricsSourceFromClient(client: Client, opts: ApiMetricsSourceOptions): MetricsSource {
  return {
    // Up to an hour: the engine's samples; longer: its long-term store (minutes within 48 h, else hours).
    history: async (sinceMs, spanMs = 0) => {
      if (spanMs <= SAMPLED_HISTORY_MS) return client.metricsHistory({ since: sinceMs, metrics: HISTORY });
      const [rollups, recent] = await Promise.all([client.metricsRollups({ since: sinceMs, marks: true }), client.metricsHistory({ since: Date.now(), metrics: ['pressure'] })]);
      return historyFromRollups(rollups, recent.thresholds ?? DEFAULT_IPC_THRESHOLDS);
    },
    onEvent: opts.onEvent ?? ((listener) => followEvents(client, listener, opts.reconnectMs ?? 2000)),
    run: opts.run,
  };
}

/** Follow the engine's event stream until disposed, reopening it after a break. */
function followEvents(client: Client, listener: (e: EngineEvent) => void, reconnectMs: number): SourceDisposable {
  const stop = new AbortController();
  let retry: ReturnType<typeof setTimeout> | undefined;
  const open = (): void => {
    if (stop.signal.aborted) return;
    const deliver = (e: EngineEvent) => {
      try {
        listener(e);
      } catch {
        // The listener's own failure: the stream goes on.
      }
    };
    client.events(deliver, {}, stop.signal).then(
      () => again(),
      () => again(),
    );
  };
  const again = () => {
    if (!stop.signal.aborted) retry = setTimeout(open, reconnectMs);
  };
  open();
  return {
    dispose: () => {
      stop.abort();
      if (retry) clearTimeout(retry);
    },
  };
}
