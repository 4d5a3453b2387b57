/**
 * The webview's handle on VS Code: `acquireVsCodeApi()` (callable once), typed to the protocol.
 * Outside VS Code (a page opened for a screenshot), a stand-in keeps state in memory.
 */
import type { WebviewMessage } from '../../src/shared/protocol';

export interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  // Defined by VS Code in every webview.
  function acquireVsCodeApi(): { postMessage(message: unknown): void; getState(): unknown; setState(state: unknown): unknown };
}

let api: VsCodeApi | undefined;

export function vscodeApi(): VsCodeApi {
  if (api) return api;
  if (typeof acquireVsCodeApi === 'function') {
    const vscode = acquireVsCodeApi();
    api = {
      postMessage: (m) => vscode.postMessage(m),
      getState: () => vscode.getState(),
      setState: (s) => void vscode.setState(s),
    };
  } else {
    let state: unknown;
    api = {
      postMessage: (m) => console.info('[opsdeck metrics] would post', m),
      getState: () => state,
      setState: (s) => void (state = s),
    };
  }
  return api;
}
