/**
 * Entry of the Metrics webview bundle (dist/webview/main.js, with main.css next to it).
 * Imports only the elements it uses, so the bundle stays small.
 */
import './setup';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import './main.css';
import { App } from './app';
import { vscodeApi } from './vscode';

const root = document.getElementById('app');
if (root) new App(root, vscodeApi());
