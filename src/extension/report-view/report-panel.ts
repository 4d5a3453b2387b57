/**
 * The report's webview panel: the report's own self-contained HTML (src/core/report/render-html.ts:
 * inline CSS and SVG, no script, its own strict Content-Security-Policy), shown as is, one panel
 * reused for every report. Scripts stay off; the page reads well in light and dark themes through
 * prefers-color-scheme, which VS Code's webviews follow.
 */
import * as vscode from 'vscode';

let panel: vscode.WebviewPanel | undefined;

export function showReportPanel(title: string, html: string): vscode.WebviewPanel {
  if (!panel) {
    panel = vscode.window.createWebviewPanel('opsdeck.report', title, vscode.ViewColumn.Active, { enableScripts: false, enableFindWidget: true });
    panel.onDidDispose(() => (panel = undefined));
  } else panel.reveal(vscode.ViewColumn.Active);
  panel.title = title;
  panel.webview.html = html;
  return panel;
}

/** The panel's HTML now (the test API), or undefined when none is open. */
export const reportPanelHtml = (): string | undefined => panel?.webview.html;
