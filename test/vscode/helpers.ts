/**
 * Helpers of the in-host suite (runs inside the extension host, see index.ts): the extension's
 * test API (docs/extension-contract.md), an independent view of the engine through the control
 * API on the workspace's socket, and polling.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { ApiClient } from '../../src/core/client/api-client';
import type { EngineStatus } from '../../src/core/contract/status';
import type { StackSnapshot } from '../../src/extension/state/stack-store';
import type { StackState } from '../../src/shared/protocol';

export const EXTENSION_ID = 'opsdeck.opsdeck';

/** What `activate()` returns (docs/extension-contract.md). */
export interface StatusBarEntry {
  id: string;
  text: string;
  tooltip?: unknown;
  /** The accessibility label (plain words). */
  accessibility?: string;
  backgroundColor?: string | { id: string };
  /** The store snapshot the item was rendered from. */
  seq?: number;
}
export interface TreeEntry {
  label: string;
  description?: string;
  contextValue?: string;
  children?: { label: string; description: string }[];
}
export interface NotificationEntry {
  kind: string;
  severity: string;
  message: string;
}
export interface OpsdeckTestApi {
  status(): Promise<EngineStatus | undefined>;
  statusBar(): StatusBarEntry[];
  services(): TreeEntry[];
  /** The state model's snapshot the status bar and the tree render. */
  store(): StackSnapshot;
  /** The last state message the Metrics view was sent while shown (its header), undefined while hidden. */
  webviewState(): StackState | undefined;
  notifications(): NotificationEntry[];
  mode(): 'embedded' | 'attach' | 'none';
}

/** The contract's command ids. */
export const COMMANDS = {
  copyApiToken: 'opsdeck.copyApiToken',
  searchMemory: 'opsdeck.searchMemory',
  switchProfile: 'opsdeck.switchProfile',
  viewLogs: 'opsdeck.viewLogs',
  startStack: 'opsdeck.startStack',
  stopStack: 'opsdeck.stopStack',
  restartService: 'opsdeck.restartService',
  runHealthCheck: 'opsdeck.runHealthCheck',
  backupNow: 'opsdeck.backupNow',
  restoreBackup: 'opsdeck.restoreBackup',
  verifyBackups: 'opsdeck.verifyBackups',
  runMaintenance: 'opsdeck.runMaintenance',
  cleanUp: 'opsdeck.cleanUp',
  openDashboard: 'opsdeck.openDashboard',
  showEngineOutput: 'opsdeck.showEngineOutput',
  showReport: 'opsdeck.showReport',
  serviceStart: 'opsdeck.service.start',
  serviceStop: 'opsdeck.service.stop',
  serviceRestart: 'opsdeck.service.restart',
  serviceLogs: 'opsdeck.service.logs',
  serviceStartOutsideProfile: 'opsdeck.service.startOutsideProfile',
} as const;

export const SERVICES = ['storage', 'messaging', 'api'];

/** The workspace folder: the copy of examples/default the runner opened. */
export function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder is open (the runner opens a copy of examples/default)');
  return folder.uri.fsPath;
}

export function extension(): vscode.Extension<OpsdeckTestApi> {
  const ext = vscode.extensions.getExtension<OpsdeckTestApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded (extensionDevelopmentPath should be the repository)`);
  return ext;
}

/** Activates the extension (if it is not yet) and returns its test API. */
export async function testApi(): Promise<OpsdeckTestApi> {
  const api = await extension().activate();
  assert.ok(api && typeof api === 'object', 'activate() must return the test API (docs/extension-contract.md)');
  for (const fn of ['status', 'statusBar', 'services', 'store', 'notifications', 'mode'] as const) {
    assert.equal(typeof api[fn], 'function', `the test API has no ${fn}()`);
  }
  return api;
}

/** The engine's control API on the workspace's socket: the truth the extension shows. */
export function engineClient(): ApiClient {
  const socket = path.join(workspaceDir(), '.opsdeck', 'run', 'engine.sock');
  assert.ok(existsSync(socket), `no engine socket at ${socket}: the extension should serve the API of the engine it embeds`);
  return new ApiClient(socket, { timeoutMs: 30_000 });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` until it returns a truthy value (returned); on timeout, fails with `what` and the
 * last value seen (or error thrown), so a failure says what the state was.
 */
export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 30_000, everyMs = 100): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (e) {
      last = e instanceof Error ? `${e.name}: ${e.message}` : e;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}; last: ${typeof last === 'string' ? last : JSON.stringify(last)}`);
    }
    await sleep(everyMs);
  }
}

/** Service name → state, from the engine. */
export async function states(client: ApiClient): Promise<Record<string, string>> {
  const s = await client.status();
  return Object.fromEntries(s.services.map((x) => [x.name, x.state]));
}

/** Waits until every service of `expected` is in its state (others may be anything). */
export async function waitForStates(client: ApiClient, expected: Record<string, string>, timeoutMs = 45_000): Promise<EngineStatus> {
  let last: Record<string, string> = {};
  return waitFor(
    `services ${JSON.stringify(expected)}`,
    async () => {
      const s = await client.status();
      last = Object.fromEntries(s.services.map((x) => [x.name, x.state]));
      return Object.entries(expected).every(([k, v]) => last[k] === v) ? s : undefined;
    },
    timeoutMs,
    200,
  ).catch((e: Error) => {
    const lagging = Object.keys(expected).filter((k) => last[k] !== expected[k]);
    throw new Error(`${e.message} (states: ${JSON.stringify(last)})${lagging.map(engineLogTail).join('')}`);
  });
}

/**
 * The engine's last lines about `service` (its `opsdeck` lines in .opsdeck/logs/<service>.log):
 * why it is where it is, for a failure message.
 */
export function engineLogTail(service: string, lines = 12): string {
  const file = path.join(workspaceDir(), '.opsdeck', 'logs', `${service}.log`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return `\n${service}: no log (${(e as Error).message})`;
  }
  const engine = text.split('\n').filter((l) => / opsdeck /.test(l));
  return `\n${service}, last engine lines of ${file}:\n  ${engine.slice(-lines).join('\n  ')}`;
}

/** One status bar item of the test API by its id (`opsdeck.status`, `opsdeck.ipc`, `opsdeck.profile`). */
export function statusItem(api: OpsdeckTestApi, id: string): StatusBarEntry | undefined {
  // The contract's ids; VS Code itself prefixes them with the extension id, so accept both.
  return api.statusBar().find((i) => i.id === id || i.id.endsWith(`.${id}`) || i.id.endsWith(id));
}

/** Waits for a status bar item's text to match. */
export async function waitForStatusText(api: OpsdeckTestApi, id: string, re: RegExp, timeoutMs = 30_000): Promise<StatusBarEntry> {
  let last: string | undefined;
  return waitFor(`status bar ${id} to match ${re}`, () => {
    const item = statusItem(api, id);
    last = item?.text;
    return item && re.test(item.text) ? item : undefined;
  }, timeoutMs).catch((e: Error) => {
    throw new Error(`${e.message} (text: ${JSON.stringify(last)}; items: ${JSON.stringify(api.statusBar().map((i) => [i.id, i.text]))})`);
  });
}

export const colorId = (c: StatusBarEntry['backgroundColor']) => (c === undefined ? undefined : typeof c === 'string' ? c : c.id);
