/**
 * The Metrics webview view (`opsdeck.metrics`): its HTML shell with a strict Content Security
 * Policy, and the wiring of the webview's messages and visibility to a MetricsFeed.
 *
 * - Scripts run only with this load's nonce; styles and fonts only from the extension's
 *   `dist/webview` and `media` folders (`localResourceRoots`), nothing remote, nothing inline.
 * - No `retainContextWhenHidden`: a hidden view is torn down by VS Code and rebuilt from the
 *   webview's own `setState` state when shown again.
 * - No work while hidden: the feed follows the store and the events only while `webviewView.visible`.
 *
 * Register it with
 * `vscode.window.registerWebviewViewProvider(MetricsViewProvider.viewType, new MetricsViewProvider(context.extensionUri, store, source))`.
 */
import * as vscode from 'vscode';
import type { Clock } from '../../core/contract';
import { createNonce, webviewHtml } from './html';
import { MetricsFeed, type FeedStore } from './metrics-feed';
import type { MetricsSource } from './metrics-source';
import type { StackState } from '../../shared/protocol';

export interface MetricsViewOptions {
  /** Where invalid messages and failures are logged (default: console.warn). */
  log?: (line: string) => void;
  /** For tests. */
  clock?: Clock;
}

export class MetricsViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewType = 'opsdeck.metrics';

  private view: vscode.WebviewView | undefined;
  private feed: MetricsFeed | undefined;
  private posted: StackState | undefined;
  private subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: FeedStore,
    private readonly source: MetricsSource,
    private readonly opts: MetricsViewOptions = {},
  ) {}

  /** The view, while it exists (tests). */
  get webviewView(): vscode.WebviewView | undefined {
    return this.view;
  }

  /** Whether the view is following the engine right now (false while hidden). */
  /** The last `state` message posted to the webview (what its header shows) while it is shown, for the test API. */
  get lastState(): StackState | undefined {
    return this.active ? this.posted : undefined;
  }

  get active(): boolean {
    return this.feed?.active ?? false;
  }

  resolveWebviewView(webviewView: vscode.WebviewView, _context: vscode.WebviewViewResolveContext, _token: vscode.CancellationToken): void {
    this.release();
    this.view = webviewView;
    const webviewRoot = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const { webview } = webviewView;
    webview.options = {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [webviewRoot, vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
    const asset = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, file)).toString();
    webview.html = webviewHtml({
      cspSource: webview.cspSource,
      nonce: createNonce(),
      script: asset('main.js'),
      styles: [asset('uplot.css'), asset('main.css')],
      codicons: asset('codicon.css'),
    });

    const feed = new MetricsFeed({
      store: this.store,
      source: this.source,
      post: (message) => {
        if (message.type === 'state') this.posted = message.state;
        return webview.postMessage(message);
      },
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
      ...(this.opts.log ? { log: this.opts.log } : {}),
    });
    this.feed = feed;
    feed.setVisible(webviewView.visible);
    this.subscriptions.push(
      webview.onDidReceiveMessage((data: unknown) => void feed.receive(data)),
      webviewView.onDidChangeVisibility(() => feed.setVisible(webviewView.visible)),
      webviewView.onDidDispose(() => {
        if (this.view === webviewView) this.release();
      }),
    );
  }

  dispose(): void {
    this.release();
  }

  private release(): void {
    this.feed?.dispose();
    this.feed = undefined;
    for (const s of this.subscriptions) s.dispose();
    this.subscriptions = [];
    this.view = undefined;
  }
}
