/**
 * What `opsdeck doctor` says: checks (ok / warn / fail, what was found, the fix), grouped by
 * category, and what `opsdeck doctor profile` measured of a service's processes. The wire shapes
 * of GET /v1/doctor and POST /v1/doctor/profile (contract/schemas/doctor.ts). Part of the contract.
 */

export type CheckStatus = 'ok' | 'warn' | 'fail';
export type CheckCategory = 'environment' | 'config' | 'connection' | 'logs';

/** How to fix a problem: in words, and the command to run where there is one. */
export interface DoctorFix {
  text: string;
  command?: string;
}

/** Where in opsdeck.yaml a config finding is (1-based), and the key path it is about. */
export interface ConfigLocation {
  path: string;
  line: number;
  column: number;
}

export interface DoctorCheck {
  /** Stable id of the kind of check (`env.node`, `config.ports.taken`, `conn.tls`…). */
  id: string;
  category: CheckCategory;
  /** The service it is about, if any. */
  service?: string;
  title: string;
  status: CheckStatus;
  /** What was found, one line. */
  found: string;
  fix?: DoctorFix;
  /** Config findings: where in opsdeck.yaml. */
  at?: ConfigLocation;
  /** The raw data behind the finding (`--verbose`). */
  data?: Record<string, unknown>;
}

export interface DoctorReport {
  stack: string;
  dir: string;
  /** When it ran (epoch ms). */
  at: number;
  version: string;
  /** The services looked at. */
  services: string[];
  checks: DoctorCheck[];
  summary: Record<CheckStatus, number>;
}

/** One process of a profiled service's tree, summarised over the samples. */
export interface ProcessProfile {
  pid: number;
  ppid: number;
  command: string;
  /** Samples the process was seen in. */
  samples: number;
  /** CPU use over the run, percent of one core (average and the highest between two samples). */
  cpuAvgPercent: number;
  cpuMaxPercent: number;
  rssAvgMb: number;
  rssMaxMb: number;
  fdsMax: number | null;
  threadsMax: number;
  /** Context switches during the run (voluntary: it waited; involuntary: it was preempted). */
  voluntaryCtxSwitches: number;
  involuntaryCtxSwitches: number;
  /** Bytes read and written to storage during the run; null when /proc/PID/io is not readable. */
  readBytes: number | null;
  writeBytes: number | null;
}

/** A function of a V8 CPU profile and the time spent in it (self time). */
export interface ProfiledFunction {
  name: string;
  url: string;
  line: number;
  selfMs: number;
  selfPercent: number;
}

export interface ProfileReport {
  service: string;
  pid: number;
  durationMs: number;
  intervalMs: number;
  samples: number;
  /** The tree's processes, busiest first. */
  processes: ProcessProfile[];
  total: { cpuAvgPercent: number; rssMaxMb: number; processes: number };
  /** The V8 CPU profile of a Node service, written as a `.cpuprofile` (VS Code opens it). */
  cpuProfile?: { file: string; topFunctions: ProfiledFunction[] };
  /** Why there is no CPU profile (not a Node process, inspector refused…). */
  cpuProfileSkipped?: string;
}
