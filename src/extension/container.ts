/**
 * The composition root of the extension: finds the workspace's stack, creates the engine
 * connection and every part that shows or controls it (status bar, Services tree, Metrics view,
 * notifications, commands, memory search, service logs), wires them together and owns their
 * disposal. Nothing else creates parts; each part gets what it needs from here.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { ReleaseState } from './release-state';
import { BootUnits } from './boot-units';
import { registerCommands } from './commands';
import { alertCommands } from './commands/alerts';
import { AlertNotices, AlertsTree } from './alerts-view';
import { ConfigApply } from './config-apply';
import { ConfigDiagnostics } from './config-diagnostics';
import { DoctorResults } from './doctor/doctor-results';
import { ContextKeys } from './context-keys';
import { EngineConnection } from './engine-connection';
import { MemorySearch } from './memory-search';
import { Notifications } from './notifications';
import { ServiceLogs } from './service-logs';
import { ServicesTree } from './services-tree';
import { onSettingChange, settings } from './settings';
import { StatusBar } from './status-bar';
import { registerMetricsView } from './metrics-view/register';
import { StackStore } from './state/stack-store';
import type { OpsdeckTestApi } from './test-api';
import { activationTimings, markActivation } from './timings';

const CONFIG_FILE = 'opsdeck.yaml';
const EXCLUDE = '**/{node_modules,.git,.opsdeck,dist}/**';
/** Activation waits this long at most for the first connection (the status bar shows meanwhile). */
const ACTIVATION_WAIT_MS = 5000;

export class Container implements vscode.Disposable {
  readonly output: vscode.LogOutputChannel;
  readonly connection: EngineConnection;
  /** The one state model every view renders from (src/extension/state/stack-store.ts). */
  readonly store: StackStore;
  readonly statusBar: StatusBar;
  readonly tree: ServicesTree;
  readonly logs: ServiceLogs;
  readonly memory: MemorySearch;
  readonly notifications: Notifications;
  /** opsdeck.yaml's problems as diagnostics (config-diagnostics.ts). */
  readonly configDiagnostics: ConfigDiagnostics;
  readonly doctor: DoctorResults;
  /** A changed opsdeck.yaml offered to the running engine (config-apply.ts). */
  readonly configApply: ConfigApply;
  private readonly contextKeys: ContextKeys;
  private readonly metricsView: ReturnType<typeof registerMetricsView>;
  private readonly bootUnits: BootUnits;
  private readonly releaseState: ReleaseState;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly firstConnection: Promise<void>;

  private constructor(
    private readonly context: vscode.ExtensionContext,
    stackDir: string | undefined,
  ) {
    const version = String(context.extension.packageJSON.version ?? '0.0.0');
    this.output = vscode.window.createOutputChannel('Opsdeck', { log: true });
    this.output.info(`Opsdeck ${version} activated${stackDir ? ` for the stack in ${stackDir}` : ' (no opsdeck.yaml in the workspace)'}`);
    this.connection = new EngineConnection({
      stackDir,
      mode: settings.engineMode,
      version,
      log: { info: (m) => this.output.info(m), warn: (m) => this.output.warn(m), error: (m) => this.output.error(m) },
    });
    this.store = new StackStore(this.connection, { log: (m) => this.output.debug(m) });
    const hasStack = () => this.connection.stackDir !== undefined;
    this.statusBar = new StatusBar(this.store, hasStack);
    this.tree = new ServicesTree(this.store, hasStack);
    this.contextKeys = new ContextKeys(this.store, hasStack);
    this.logs = new ServiceLogs(this.connection, this.output);
    this.memory = new MemorySearch(this.connection);
    this.notifications = new Notifications(this.connection, this.store, this.output);
    this.configDiagnostics = new ConfigDiagnostics({ output: this.output, stackDir: () => this.connection.stackDir });
    this.configApply = new ConfigApply({ connection: this.connection, output: this.output, showProblems: () => this.configDiagnostics.validateStack('save') });
    this.doctor = new DoctorResults(this.connection);
    this.metricsView = registerMetricsView(context, this.connection, this.store, this.output);
    this.bootUnits = new BootUnits(context.extensionPath, () => this.connection.stackDir, this.store, (m) => this.output.info(m));
    this.releaseState = new ReleaseState(() => this.connection.stackDir, this.store);
    this.subscriptions.push(
      this.metricsView.disposable,
      this.configDiagnostics,
      this.doctor,
      this.configApply,
      this.output,
      this.store,
      this.statusBar,
      this.tree,
      this.contextKeys,
      this.logs,
      this.memory,
      this.notifications,
      this.releaseState,
      ...registerCommands({
        connection: this.connection,
        memory: this.memory,
        logs: this.logs,
        output: this.output,
        showHealth: (h) => this.notifications.healthResult(h),
        reportsItself: (kinds, work) => this.notifications.reportsItself(kinds, work),
        showResult: (n) => void this.notifications.commandResult(n),
        createStack: (folder) => this.createStack(folder),
        globalState: context.globalState,
        doctor: this.doctor,
        bootUnits: this.bootUnits,
        refreshRelease: () => this.releaseState.refresh(),
      }),
      this.statusBar.onDidChangeIpcLevel((c) => this.notifications.onIpcLevel({ from: c.from, to: c.to, score: c.score, summary: c.summary })),
      onSettingChange(['engine.mode'], () => void this.connection.reconfigure()),
      this.connection.onDidReceiveEvent((e) => this.logEvent(e as unknown as { type: string; service: string; [k: string]: unknown })),
      this.watchConfig(),
      ...this.registerAlerts(),
    );
    this.updateContext();
    this.firstConnection = this.connection.connect();
    if (stackDir) void this.bootUnits.refresh();
  }

  private alertsTree: AlertsTree | undefined;
  private alertNotices: AlertNotices | undefined;

  /** The Alerts view, the alert notifications and their commands (alerts-view.ts, commands/alerts.ts). */
  private registerAlerts(): vscode.Disposable[] {
    const tree = (this.alertsTree = new AlertsTree(this.connection));
    const handlers = alertCommands(this.connection, () => tree.refresh());
    return [
      tree,
      (this.alertNotices = new AlertNotices(this.connection)),
      vscode.window.registerTreeDataProvider('opsdeck.alerts', tree),
      ...Object.entries(handlers).map(([id, fn]) => vscode.commands.registerCommand(id, (...args: unknown[]) => fn(...args).catch((e: Error) => void vscode.window.showErrorMessage(`Opsdeck: ${e.message}`)))),
    ];
  }

  /** Find the stack, build everything, and wait (briefly) for the first connection. */
  static async create(context: vscode.ExtensionContext): Promise<Container> {
    const stackDir = await findStack();
    markActivation('stackFoundMs');
    const container = new Container(context, stackDir);
    await Promise.race([container.firstConnection, new Promise((r) => setTimeout(r, ACTIVATION_WAIT_MS))]);
    return container;
  }

  testApi(): OpsdeckTestApi {
    return {
      status: async () => {
        await this.firstConnection;
        return this.connection.client ? this.connection.refresh() : undefined;
      },
      statusBar: () => this.statusBar.snapshot(),
      store: () => this.store.snapshot,
      webviewState: () => this.metricsView.provider.lastState,
      services: () => this.tree.snapshot(),
      notifications: () => this.notifications.history(),
      healthResult: () => this.notifications.lastHealth(),
      mode: () => this.connection.mode,
      ready: () => this.firstConnection,
      timings: () => ({ ...activationTimings }),
      configPrompts: () => [...this.configApply.prompts],
      answerConfigPrompts: (answer) => {
        this.configApply.autoAnswer = answer ? () => answer : undefined;
      },
      configSettled: () => this.configApply.settled(),
      diagnostics: () => this.doctor.snapshot(),
      alerts: () => ({ view: this.alertsTree?.snapshot(), shown: [...(this.alertNotices?.shown ?? [])] }),
    };
  }

  /** Write a starter opsdeck.yaml (the bundled CLI's `opsdeck init`) and use it. */
  async createStack(folder?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const folders = vscode.workspace.workspaceFolders?.filter((f) => f.uri.scheme === 'file') ?? [];
    let target = folder;
    if (!target && folders.length === 1) target = folders[0]!.uri;
    if (!target && folders.length > 1) target = (await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder for the new stack' }))?.uri;
    if (!target) target = (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Create Stack Here' }))?.[0];
    if (!target) return undefined;
    const file = vscode.Uri.joinPath(target, CONFIG_FILE);
    if (!existsSync(file.fsPath)) {
      const cli = path.join(this.context.extensionPath, 'dist', 'cli.js');
      await new Promise<void>((resolve, reject) =>
        execFile(process.execPath, [cli, 'init', target.fsPath], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, timeout: 30_000 }, (err, _out, stderr) =>
          err ? reject(new Error(stderr.trim() || err.message)) : resolve(),
        ),
      );
      this.output.info(`created ${file.fsPath}`);
    }
    await vscode.window.showTextDocument(file);
    if (!this.connection.stackDir) await this.connection.useStack(target.fsPath);
    this.updateContext();
    return file;
  }

  /**
   * opsdeck.yaml created (no stack yet: use it) or changed: retry a connection a config error
   * stopped, or offer the change to the connected engine (config-apply.ts).
   */
  private watchConfig(): vscode.Disposable {
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${CONFIG_FILE}`);
    const changed = (uri: vscode.Uri) => {
      const dir = path.dirname(uri.fsPath);
      if (!this.connection.stackDir) {
        void this.connection.useStack(dir).then(() => this.updateContext());
      } else if (dir === this.connection.stackDir && this.connection.mode === 'none') {
        void this.connection.connect();
      } else if (dir === this.connection.stackDir) {
        this.configApply.fileChanged();
      }
    };
    return vscode.Disposable.from(watcher, watcher.onDidCreate(changed), watcher.onDidChange(changed));
  }

  private updateContext(): void {
    this.contextKeys.update();
    this.releaseState.refresh();
  }

  /** The engine's story in the Opsdeck output channel (state changes, restarts, failures). */
  private logEvent(e: { type: string; service: string; [k: string]: unknown }): void {
    switch (e.type) {
      case 'state':
        this.output.info(`${e.service}: ${e.from} → ${e.to} (${e.reason})`);
        return;
      case 'restart':
        this.output.warn(`${e.service}: restart ${e.attempt} in ${e.delayMs} ms (${e.cause}: ${e.detail})`);
        return;
      case 'gave-up':
        this.output.error(`${e.service}: gave up after ${e.restarts} restarts`);
        return;
      case 'check':
        if (e.ok === false) this.output.warn(`${e.service}: full-functionality check failed`);
        return;
      case 'ipc':
        this.output.info(`IPC ${e.from} → ${e.to} (score ${e.score}): ${e.summary}`);
        return;
      default:
        if (e.type !== 'spawn' && e.type !== 'exit' && e.type !== 'retry-reset') this.output.info(`${e.service}: ${e.type} ${JSON.stringify(e)}`);
    }
  }

  /** Deactivation: an embedded engine stops the stack cleanly, then everything is disposed. */
  async shutdown(): Promise<void> {
    await this.connection.dispose();
    this.dispose();
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }
}

/** The workspace's stack: an opsdeck.yaml at a folder's root, else the shallowest one found. */
async function findStack(): Promise<string | undefined> {
  for (const f of vscode.workspace.workspaceFolders ?? []) {
    if (f.uri.scheme === 'file' && existsSync(path.join(f.uri.fsPath, CONFIG_FILE))) return f.uri.fsPath;
  }
  const found = await vscode.workspace.findFiles(`**/${CONFIG_FILE}`, EXCLUDE, 50);
  const files = found.filter((u) => u.scheme === 'file').map((u) => u.fsPath);
  files.sort((a, b) => a.split(path.sep).length - b.split(path.sep).length || a.localeCompare(b));
  return files[0] ? path.dirname(files[0]) : undefined;
}
