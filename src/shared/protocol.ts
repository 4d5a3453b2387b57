/**
 * The one message protocol between the extension host and the Metrics webview (view
 * `opsdeck.metrics`). Every message, in both directions, is a zod schema here; each side
 * validates what it receives with `parseHostMessage` / `parseWebviewMessage` and ignores (and
 * logs) anything that does not fit.
 *
 * Host → webview messages carry data only (numbers, names, states), never colours or markup:
 * how they look is the webview's business, from the `--vscode-*` theme variables.
 * Webview → host messages are the user's requests; the host turns them into engine commands.
 *
 * This file is imported by both bundles (Node and browser): it may import zod and nothing else.
 * Messages travel as JSON (VS Code serialises them), so optional members are left out rather
 * than sent as `undefined`, and numbers must be finite (NaN would arrive as null).
 */
import * as z from 'zod';

/** Bumped on an incompatible change; the webview sends the version it speaks in `ready`. */
export const PROTOCOL_VERSION = 2;

/** The states of a service (the engine's `SERVICE_STATES`, kept equal by a compile-time check in the host). */
export const PROTOCOL_SERVICE_STATES = ['stopped', 'starting', 'ready', 'degraded', 'backoff', 'stopping', 'failed'] as const;
export const PROTOCOL_HEALTH_LEVELS = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;
export const IPC_LEVELS = ['ok', 'warn', 'critical'] as const;

/**
 * The time ranges the charts offer: up to an hour from the engine's sampled history, longer from
 * its long-term store (1-minute rollups for 24 h, 1-hour rollups for 7 days).
 */
export const HISTORY_RANGES = { '5m': 5 * 60_000, '15m': 15 * 60_000, '1h': 60 * 60_000, '24h': 24 * 3_600_000, '7d': 7 * 86_400_000 } as const;
/** Ranges longer than this are read from the long-term store. */
export const SAMPLED_HISTORY_MS = 60 * 60_000;
export type HistoryRange = keyof typeof HISTORY_RANGES;
export const HISTORY_RANGE_NAMES = Object.keys(HISTORY_RANGES) as HistoryRange[];
export const DEFAULT_HISTORY_RANGE: HistoryRange = '15m';

/** The per-service metrics the webview charts (a subset of the engine's HISTORY_METRICS). */
export const CHART_METRICS = ['cpuPercent', 'rssMb', 'probeP50Ms', 'probeP95Ms'] as const;
export type ChartMetric = (typeof CHART_METRICS)[number];

/** At most this many points per series in one message (one hour at 1 s, far above 720). */
export const MAX_POINTS = 4000;
const MAX_SERVICES = 200;
/** Unreadable snapshot manifests named in the sidebar (the total counts them all). */
export const MAX_UNREADABLE = 20;

// ------------------------------------------------------------------ building blocks

const name = z.string().min(1).max(200);
const text = (max = 2000) => z.string().max(max);
/** Epoch milliseconds. */
const time = z.number().nonnegative();
const count = z.number().int().nonnegative();
const measure = z.number().nonnegative();

export const serviceStateSchema = z.enum(PROTOCOL_SERVICE_STATES);
export const healthLevelSchema = z.enum(PROTOCOL_HEALTH_LEVELS);
export const ipcLevelSchema = z.enum(IPC_LEVELS);
export const historyRangeSchema = z.enum(HISTORY_RANGE_NAMES as [HistoryRange, ...HistoryRange[]]);
export const chartMetricSchema = z.enum(CHART_METRICS);

/** `[epoch ms, value]`, oldest first. */
export const pointsSchema = z.array(z.tuple([time, z.number()])).max(MAX_POINTS);

export const thresholdsSchema = z.strictObject({ warn: z.number().min(0).max(100), critical: z.number().min(0).max(100) });

export const ipcInfoSchema = z.strictObject({
  /** 0 to 100, higher is worse. */
  score: z.number().min(0).max(100),
  level: ipcLevelSchema,
  /** "IPC 12: storage p95 30 ms (budget 250 ms)". */
  summary: text(),
  thresholds: thresholdsSchema.optional(),
});

// ------------------------------------------------------------------ host → webview

export const serviceRowSchema = z.strictObject({
  name,
  state: serviceStateSchema,
  /** Why it is in that state ("upstream: storage", "exit code 1"). */
  reason: text(),
  tier: text(100),
  inProfile: z.boolean(),
  health: healthLevelSchema,
  restarts: count,
  /** Seconds since the current process started, at `at` of the snapshot; absent when not running. */
  uptimeSec: measure.optional(),
});

export const profileInfoSchema = z.strictObject({ name, services: z.array(name).max(MAX_SERVICES), description: text().optional() });

export const statusSnapshotSchema = z.strictObject({
  /** When the snapshot was taken (epoch ms). */
  at: time,
  stack: name,
  /** The active profile; absent when the stack has none. */
  profile: name.optional(),
  profiles: z.array(profileInfoSchema).max(100),
  services: z.array(serviceRowSchema).max(MAX_SERVICES),
  health: z.strictObject({ level: healthLevelSchema, summary: text() }),
  ipc: ipcInfoSchema,
});

export const serviceSampleSchema = z.strictObject({
  name,
  state: serviceStateSchema,
  /** Running and past readiness. */
  up: z.boolean(),
  /** % of one core; absent at the first sample or when not running. */
  cpuPercent: measure.optional(),
  rssMb: measure.optional(),
  probeP50Ms: measure.optional(),
  probeP95Ms: measure.optional(),
  /** 0 to 1 over the last 60 s. */
  probeFailureRate: z.number().min(0).max(1).optional(),
  restarts: count,
  uptimeSec: measure.optional(),
});

export const metricsSampleSchema = z.strictObject({
  at: time,
  intervalMs: z.number().positive(),
  services: z.array(serviceSampleSchema).max(MAX_SERVICES),
  ipc: ipcInfoSchema.extend({ thresholds: thresholdsSchema }),
});

export const restartMarkSchema = z.strictObject({
  at: time,
  service: name,
  /** crash, exit, hang, memory limit, spawn failed; absent when only the counter told of it. */
  cause: text(100).optional(),
  detail: text().optional(),
  attempt: count.optional(),
});

export const seriesSchema = z.strictObject({ service: name, metric: chartMetricSchema, points: pointsSchema });

export const historySchema = z.strictObject({
  range: historyRangeSchema,
  since: time,
  /** When the history was read (epoch ms). */
  until: time,
  intervalMs: z.number().positive(),
  series: z.array(seriesSchema).max(MAX_SERVICES * CHART_METRICS.length),
  /** The stack's IPC score at each sample. */
  ipc: pointsSchema,
  thresholds: thresholdsSchema,
  restarts: z.array(restartMarkSchema).max(MAX_POINTS),
});

export const backupServiceSchema = z.strictObject({
  service: name,
  /** When the newest snapshot holding this service's data was taken (epoch ms); absent: never. */
  lastBackupAt: time.optional(),
  /** The service's recovery point objective (ms); absent: none set. */
  rpoMs: z.number().positive().optional(),
});

export const backupsInfoSchema = z.discriminatedUnion('available', [
  /** The engine has no backups (the feature, or a repository, does not exist yet). */
  z.strictObject({ available: z.literal(false), reason: text() }),
  z.strictObject({
    available: z.literal(true),
    at: time,
    services: z.array(backupServiceSchema).max(MAX_SERVICES),
    /** Snapshot manifests that cannot be read (their ids, the first MAX_UNREADABLE), and how many in all; absent when none. */
    unreadable: z.strictObject({ ids: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(MAX_UNREADABLE), total: count }).optional(),
  }),
]);

/** What the header shows: the same numbers as the status bar (both come from one snapshot). */
export const headerSchema = z.strictObject({
  /** Services of the active profile that are ready (a completed one-shot counts), of how many. */
  ready: count,
  total: count,
  /** The IPC score now (the newest of the metrics sample and the status). */
  ipc: ipcInfoSchema,
  /** The active profile; absent when the stack has none (every service runs). */
  profile: name.optional(),
});

export const CONNECTION_MODES = ['embedded', 'attach', 'none'] as const;

export const connectionSchema = z.strictObject({
  /** Whether there is an engine to show; `message` says why not (or what went wrong last). */
  state: z.enum(['connected', 'unavailable']),
  mode: z.enum(CONNECTION_MODES),
  message: text().optional(),
});

/**
 * The extension's one state snapshot (its StackStore) as the view shows it. Without an engine
 * only `connection` is set: nothing cached is shown.
 */
export const stackStateSchema = z.strictObject({
  /** The snapshot's sequence number: the status bar and the tree render the same one. */
  seq: count,
  /** Bumped on a reconnect or an engine restart: the history must be read again. */
  epoch: count,
  at: time,
  connection: connectionSchema,
  header: headerSchema.optional(),
  status: statusSnapshotSchema.optional(),
  sample: metricsSampleSchema.optional(),
  /** Absent until read. */
  backups: backupsInfoSchema.optional(),
});

/** The user requests of the webview that the host carries out (everything but ready/requestHistory). */
export const SIDEBAR_COMMANDS = ['switchProfile', 'backupNow', 'startStack', 'stopStack', 'startService', 'restartService', 'openLogs'] as const;
export type SidebarCommandType = (typeof SIDEBAR_COMMANDS)[number];

export const hostMessageSchema = z.discriminatedUnion('type', [
  /** The state snapshot, sent on every change while the view is visible. */
  z.strictObject({ type: z.literal('state'), state: stackStateSchema }),
  z.strictObject({ type: z.literal('history'), history: historySchema }),
  /** A restart just happened (live, between history loads). */
  z.strictObject({ type: z.literal('restart'), restart: restartMarkSchema }),
  /** How a command the webview asked for went. */
  z.strictObject({ type: z.literal('commandResult'), command: z.enum(SIDEBAR_COMMANDS), ok: z.boolean(), message: text().optional() }),
]);

// ------------------------------------------------------------------ webview → host

export const webviewMessageSchema = z.discriminatedUnion('type', [
  /** The webview has loaded (again): send everything. `range` is the one it shows (kept in its state). */
  z.strictObject({ type: z.literal('ready'), protocol: z.literal(PROTOCOL_VERSION), range: historyRangeSchema.optional() }),
  z.strictObject({ type: z.literal('switchProfile'), name }),
  z.strictObject({ type: z.literal('backupNow') }),
  z.strictObject({ type: z.literal('startStack') }),
  z.strictObject({ type: z.literal('stopStack') }),
  /** Start a stopped service (the tree's Start). */
  z.strictObject({ type: z.literal('startService'), name }),
  z.strictObject({ type: z.literal('restartService'), name }),
  z.strictObject({ type: z.literal('openLogs'), name }),
  z.strictObject({ type: z.literal('requestHistory'), range: historyRangeSchema }),
]);

// ------------------------------------------------------------------ types

export type ServiceRow = z.infer<typeof serviceRowSchema>;
export type ProfileInfo = z.infer<typeof profileInfoSchema>;
export type StatusSnapshot = z.infer<typeof statusSnapshotSchema>;
export type ServiceSample = z.infer<typeof serviceSampleSchema>;
export type MetricsSample = z.infer<typeof metricsSampleSchema>;
export type IpcInfo = z.infer<typeof ipcInfoSchema>;
export type Thresholds = z.infer<typeof thresholdsSchema>;
export type Points = z.infer<typeof pointsSchema>;
export type Series = z.infer<typeof seriesSchema>;
export type RestartMark = z.infer<typeof restartMarkSchema>;
export type History = z.infer<typeof historySchema>;
export type BackupService = z.infer<typeof backupServiceSchema>;
export type BackupsInfo = z.infer<typeof backupsInfoSchema>;
export type Header = z.infer<typeof headerSchema>;
export type ConnectionState = z.infer<typeof connectionSchema>;
export type StackState = z.infer<typeof stackStateSchema>;
export type HostMessage = z.infer<typeof hostMessageSchema>;
export type HostMessageType = HostMessage['type'];
export type WebviewMessage = z.infer<typeof webviewMessageSchema>;
export type WebviewMessageType = WebviewMessage['type'];
/** A user request the host runs through the MetricsSource. */
export type SidebarCommand = Extract<WebviewMessage, { type: SidebarCommandType }>;
export type HostMessageOf<T extends HostMessageType> = Extract<HostMessage, { type: T }>;

// ------------------------------------------------------------------ validation

export type Parsed<T> = { ok: true; message: T } | { ok: false; error: string };

function parseWith<T>(schema: z.ZodType<T>, data: unknown, side: string): Parsed<T> {
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, message: result.data };
  const type = typeof data === 'object' && data !== null && 'type' in data ? String((data as { type: unknown }).type).slice(0, 60) : undefined;
  const issues = result.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(message)'}: ${i.message}`)
    .join('; ');
  return { ok: false, error: `ignored an invalid ${side} message${type === undefined ? '' : ` of type "${type}"`}: ${issues}` };
}

/** Check a message the webview received from the host. */
export const parseHostMessage = (data: unknown): Parsed<HostMessage> => parseWith(hostMessageSchema, data, 'host → webview');

/** Check a message the host received from the webview. */
export const parseWebviewMessage = (data: unknown): Parsed<WebviewMessage> => parseWith(webviewMessageSchema, data, 'webview → host');

export const isSidebarCommand = (m: WebviewMessage): m is SidebarCommand => (SIDEBAR_COMMANDS as readonly string[]).includes(m.type);
