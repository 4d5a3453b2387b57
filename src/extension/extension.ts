/**
 * Entry point of the VS Code extension (bundled to dist/extension.js). Activation builds the one
 * Container (container.ts) and returns the test API; deactivation stops an embedded engine and
 * its stack cleanly.
 */
import type * as vscode from 'vscode';
import { Container } from './container';
import type { OpsdeckTestApi } from './test-api';
import { markActivation } from './timings';

let container: Container | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<OpsdeckTestApi> {
  markActivation('activateStartMs');
  container = await Container.create(context);
  markActivation('activateEndMs');
  return container.testApi();
}

export async function deactivate(): Promise<void> {
  const c = container;
  container = undefined;
  await c?.shutdown();
}
