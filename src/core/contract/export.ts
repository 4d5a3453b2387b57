/**
 * The words of `opsdeck export` (docs/export.md): a stack's opsdeck.yaml mapped onto Docker
 * Compose or Kubernetes, the files that makes, what maps where and what does not, and the check
 * of the output with the target's own schema. Answered by the CLI and POST /v1/export. Part of
 * the contract.
 */
export const EXPORT_TARGETS = ['compose', 'kubernetes'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

/** One file of an export, its path relative to the output folder. */
export interface ExportFile {
  path: string;
  text: string;
  /** What it holds, for people: the compose file, a service's manifests, a secrets template, … */
  role: string;
  /** A file the user fills in (secrets): written only when it is not there yet. */
  keepExisting?: boolean;
}

/** How one config key of the stack fares on the target: where it goes, or why it does not and what covers it. */
export interface ExportLine {
  /** The key, as docs/config.md writes it (`services.<name>.limits.memory_mb`). */
  key: string;
  /** `mapped`: written as `to`; `not-mapped`: the target has no equivalent, `to` says what covers it instead. */
  status: 'mapped' | 'not-mapped';
  to: string;
  /** The services of the stack the line is about, when it is about some. */
  services?: string[];
}

/** The result of the target's own validation of the files. */
export interface ExportCheck {
  ok: boolean;
  /** What validated: `docker-compose config -q`, or the Kubernetes OpenAPI schemas (kubernetes-models). */
  tool: string;
  /** Each problem found, `file: what`. */
  problems: string[];
}

export interface ExportResult {
  target: ExportTarget;
  stack: string;
  /** The profile whose services and environment were exported (none when the stack has no profiles). */
  profile: string | null;
  /** The services exported. */
  services: string[];
  files: ExportFile[];
  /** For each key the stack writes (and each default that matters), where it went or why not. */
  lines: ExportLine[];
  /** Findings about this stack that the table cannot know (loopback addresses, services without data volumes, …). */
  notes: string[];
  /** Where the files went (absent: nothing written). */
  outDir?: string;
  /** The files written, and those kept because they existed (secrets templates). */
  written: string[];
  kept: string[];
  dryRun: boolean;
  check?: ExportCheck;
}
