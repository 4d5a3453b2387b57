// Types of lib.mjs for the TypeScript users of it (test/e2e/).
import type { Browser } from 'playwright-core';

export const ROOT: string;
export const CODE_SERVER_VERSION: string;
export const CHROMIUM_ARGS: string[];
export const IN_HOST_DIR: string;

export interface CodeServerInstall {
  dir: string;
  /** out/node/entry.js: run it with this Node. */
  entry: string;
  /** First line of `code-server --version`. */
  version: string;
}
export function codeServerDir(): string;
export function ensureCodeServer(opts?: { force?: boolean; log?: (message: string) => void }): Promise<CodeServerInstall>;
/** `code-server --version` of `entry`: its version line, or the reason it failed (exit code or signal, timeout, stderr). */
export function codeServerVersion(entry: string, opts?: { timeoutMs?: number }): Promise<{ version?: string; error?: string }>;
export function finishCodeServerInstall(
  dir: string,
  opts?: { log?: (message: string) => void; timeoutMs?: number; retryDelayMs?: number },
): Promise<CodeServerInstall>;
export function removeUnfinishedInstall(dir: string, log?: (message: string) => void): boolean;
/** `npm_config_nodedir` for the headers of the Node at `execPath`, when it has them and none is set. */
export function nodeHeadersEnv(env?: Record<string, string | undefined>, execPath?: string): { npm_config_nodedir?: string };

export function freePort(): Promise<number>;
export function writeUserSettings(userDataDir: string, extra?: Record<string, unknown>): Record<string, unknown>;

export interface RunningCodeServer {
  port: number;
  pid: number;
  origin: string;
  exited(): { code: number | null; signal: string | null } | undefined;
  output(): string;
  stop(): Promise<void>;
}
export function startCodeServer(opts: {
  codeServer: CodeServerInstall;
  folder: string;
  userDataDir: string;
  extensionsDir: string;
  logFile: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}): Promise<RunningCodeServer>;
export function workbenchUrl(port: number, opts: { folder: string; extensionDevelopmentPath?: string; extensionTestsPath?: string }): string;

export function launchChromium(): Promise<Browser>;

export interface Workspace {
  dir: string;
  /** Example port → the free port the copy uses. */
  ports: Map<number, number>;
  /** Where the engine that owns the copy serves its control API. */
  socket: string;
}
/** The restart budget the workspace copy gets (see lib.mjs). */
export const WORKSPACE_MAX_RETRIES: number;
export function prepareWorkspace(opts?: { example?: string; ports?: number[]; parent?: string }): Promise<Workspace>;

export interface ProcessInfo {
  pid: number;
  cwd: string;
  cmd: string;
}
export function processesUsing(dirs: string[]): ProcessInfo[];
export function killProcessesUsing(dirs: string[]): Promise<ProcessInfo[]>;

export function buildExtension(): void;
export function inHostTestFiles(): string[];
export function bundleInHostTests(outDir: string): Promise<{ index: string; files: string[] }>;
export function stackRemapper(bundleFile: string): (text: string) => string;

export interface ReportSummary {
  passes: number;
  failures: number;
  pending: number;
  tests: number;
}
export function createReportPrinter(opts?: { write?: (s: string) => void; remap?: (text: string) => string }): {
  onEvent(e: { type: string; [k: string]: unknown }): void;
  ended(): boolean;
  summary(): ReportSummary | undefined;
  partial(): ReportSummary;
};
export function followNdjson(file: string, onEvent: (e: { type: string; [k: string]: unknown }) => void): () => void;
export function tail(file: string, n?: number): string;
export function findFiles(dir: string, re: RegExp): string[];
export function parseArgs(argv: string[], spec: Record<string, 'flag' | 'value'>, usage: string): Record<string, string | true>;
