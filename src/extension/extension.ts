/**
 * Entry point of the VS Code extension (bundled to dist/extension.js). Activation builds the one
 * Container (container.ts), opens the walkthrough on first use (walkthrough.ts) and returns the
 * test API; deactivation stops an embedded engine and its stack cleanly.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { Container } from './container';
import type { OpsdeckTestApi } from './test-api';
import { markActivation } from './timings';
import { askedByEnv, openWalkthroughOnFirstUse } from './walkthrough';

let container: Container | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<OpsdeckTestApi> {
  markActivation('activateStartMs');
  // Read before the engine starts (an embedded one creates .opsdeck/).
  const priorUse = (vscode.workspace.workspaceFolders ?? []).some((f) => f.uri.scheme === 'file' && existsSync(path.join(f.uri.fsPath, '.opsdeck')));
  container = await Container.create(context);
  markActivation('activateEndMs');
  void openWalkthroughOnFirstUse(
    context,
    {
      priorUse,
      testMode: context.extensionMode === vscode.ExtensionMode.Test,
      asked: askedByEnv(process.env.OPSDECK_WALKTHROUGH),
      openOnInstall: vscode.workspace.getConfiguration('workbench.welcomePage').get<boolean>('walkthroughs.openOnInstall', true),
    },
    (command, ...args) => vscode.commands.executeCommand(command, ...args),
  ).catch(() => undefined); // a walkthrough that cannot open is not worth failing activation for
  return container.testApi();
}

export async function deactivate(): Promise<void> {
  const c = container;
  container = undefined;
  await c?.shutdown();
}
