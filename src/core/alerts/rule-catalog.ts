/**
 * The built-in alert rules: their names, what each watches, and their defaults (severity, `for:`,
 * threshold). Data only, so the config schema (src/core/config/schema-alerts.ts) and the rule
 * evaluation (rules.ts) share it. docs/alerts.md lists them.
 */
export type BuiltinSeverity = 'info' | 'warning' | 'critical';

export interface BuiltinRule {
  description: string;
  severity: BuiltinSeverity;
  /** How long the condition must hold, written form. */
  for: string;
  /** The rule's number, when it has one (its unit in `unit`). */
  threshold?: number;
  unit?: string;
  /** A second duration: the window counted (crash_looping) or how long it stays (engine_restarted). */
  window?: string;
  /** Its firing inhibits the alerts of the services that depend on its service. */
  inhibitsDependents?: boolean;
  /** Rules of the same service it makes redundant while it fires. */
  inhibits?: string[];
  summary: string;
}

export const BUILTIN_RULES = {
  service_failed: {
    description: 'the engine gave up restarting the service (state failed)',
    severity: 'critical',
    for: '0s',
    inhibitsDependents: true,
    inhibits: ['service_down', 'crash_looping', 'readiness_failing', 'check_failing', 'probe_latency'],
    summary: '{{service}} failed: {{detail}}',
  },
  crash_looping: {
    description: 'the service restarted `threshold` times within `window`',
    severity: 'warning',
    for: '0s',
    threshold: 3,
    unit: 'restarts',
    window: '10m',
    inhibitsDependents: true,
    summary: '{{service}} is crash-looping: {{value}} restarts in {{window}}',
  },
  service_down: {
    description: 'the service should run but is not ready (starting, backoff or failed)',
    severity: 'critical',
    for: '5m',
    inhibitsDependents: true,
    inhibits: ['readiness_failing', 'check_failing', 'probe_latency'],
    summary: '{{service}} is down ({{detail}}) for {{for}}',
  },
  readiness_failing: {
    description: 'the readiness or liveness probe fails past its failure threshold',
    severity: 'warning',
    for: '1m',
    inhibitsDependents: true,
    summary: '{{service}}: {{detail}}',
  },
  check_failing: {
    description: 'the full-functionality check failed its last run',
    severity: 'warning',
    for: '0s',
    summary: '{{service}} fails its check: {{detail}}',
  },
  ipc_warn: {
    description: "the stack's IPC pressure score is at or over `threshold` (default: the profile's ipc.warn)",
    severity: 'warning',
    for: '1m',
    unit: 'score',
    summary: 'IPC pressure {{value}} (warn): {{detail}}',
  },
  ipc_critical: {
    description: "the stack's IPC pressure score is at or over `threshold` (default: the profile's ipc.critical)",
    severity: 'critical',
    for: '1m',
    unit: 'score',
    inhibits: ['ipc_warn'],
    summary: 'IPC pressure {{value}} (critical): {{detail}}',
  },
  probe_latency: {
    description: "the last probe took longer than `threshold` ms (default: the service's ipc.latency_budget)",
    severity: 'warning',
    for: '2m',
    unit: 'ms',
    summary: '{{service}} answers in {{value}} ms (budget {{threshold}} ms)',
  },
  memory_high: {
    description: 'the resident memory of the service is over `threshold` MB',
    severity: 'warning',
    for: '5m',
    threshold: 1024,
    unit: 'MB',
    summary: '{{service}} uses {{value}} MB (threshold {{threshold}} MB)',
  },
  cpu_high: {
    description: 'the CPU of the service is over `threshold` % (100 = one core)',
    severity: 'warning',
    for: '10m',
    threshold: 90,
    unit: '%',
    summary: '{{service}} uses {{value}}% CPU (threshold {{threshold}}%)',
  },
  rpo_breached: {
    description: "the service's newest good backup is older than its rpo",
    severity: 'critical',
    for: '0s',
    summary: 'RPO breached for {{service}}: {{detail}}',
  },
  backup_failed: {
    description: 'the last backup run failed (until one completes)',
    severity: 'critical',
    for: '0s',
    summary: 'backup failed: {{detail}}',
  },
  verify_failed: {
    description: 'the last verification of the backup repository failed or found damage (until one passes)',
    severity: 'critical',
    for: '0s',
    summary: 'backup verification failed: {{detail}}',
  },
  disk_low: {
    description: "free space of the stack folder's volume is below `threshold` %",
    severity: 'warning',
    for: '5m',
    threshold: 10,
    unit: '%',
    summary: 'disk space low: {{value}}% free on the stack\'s volume (threshold {{threshold}}%)',
  },
  engine_restarted: {
    description: 'the engine started after a previous engine of the stack ended without stopping cleanly; holds for `window`',
    severity: 'info',
    for: '0s',
    window: '10m',
    summary: 'the engine restarted: {{detail}}',
  },
} as const satisfies Record<string, BuiltinRule>;

export type BuiltinRuleName = keyof typeof BUILTIN_RULES;
export const BUILTIN_RULE_NAMES = Object.keys(BUILTIN_RULES) as BuiltinRuleName[];

/** What a custom rule may watch, per service (the first five) or for the stack. */
export const CUSTOM_METRICS = ['cpu_percent', 'rss_mb', 'latency_ms', 'restarts', 'probe_failure_rate', 'ipc_score', 'disk_free_percent'] as const;
export type CustomMetric = (typeof CUSTOM_METRICS)[number];
/** The channels every stack has: the VS Code notification and the desktop's. */
export const BUILTIN_CHANNELS = ['vscode', 'desktop'] as const;
