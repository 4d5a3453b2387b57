/**
 * The Get Started walkthrough opens by itself once: on the first activation in a workspace without
 * prior use of Opsdeck (no `.opsdeck/` folder yet), for a user who has not had it opened before
 * (a globalState flag, and a workspaceState one). It respects VS Code's own
 * `workbench.welcomePage.walkthroughs.openOnInstall` and stays closed in an extension host run by
 * tests, unless OPSDECK_WALKTHROUGH asks (`1` opens it, `0` never). The decision is pure
 * (`shouldOpenWalkthrough`, unit tested); `openWalkthroughOnFirstUse` reads and sets the flags.
 */
import type * as vscode from 'vscode';

/** `<publisher>.<name>#<walkthrough id>` (package.json `contributes.walkthroughs`). */
export const WALKTHROUGH = 'opsdeck.opsdeck#opsdeck.gettingStarted';
const OPENED = 'opsdeck.walkthrough.opened';

export interface FirstUse {
  /** It was opened before (for this user, or in this workspace). */
  openedBefore: boolean;
  /** The workspace was used with Opsdeck before (a stack folder has `.opsdeck/`). */
  priorUse: boolean;
  /** The extension host runs tests (ExtensionMode.Test). */
  testMode: boolean;
  /** OPSDECK_WALKTHROUGH: `1` → true, `0` → false, unset → undefined. */
  asked: boolean | undefined;
  /** VS Code's `workbench.welcomePage.walkthroughs.openOnInstall`. */
  openOnInstall: boolean;
}

export function shouldOpenWalkthrough(f: FirstUse): boolean {
  if (f.asked !== undefined) return f.asked;
  return !f.testMode && f.openOnInstall && !f.openedBefore && !f.priorUse;
}

/** OPSDECK_WALKTHROUGH as a yes/no, undefined when unset (or neither). */
export function askedByEnv(value: string | undefined): boolean | undefined {
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  return undefined;
}

/** Opens the walkthrough when `shouldOpenWalkthrough` says so, and remembers that it did. */
export async function openWalkthroughOnFirstUse(
  context: Pick<vscode.ExtensionContext, 'globalState' | 'workspaceState'>,
  env: Omit<FirstUse, 'openedBefore'>,
  run: (command: string, ...args: unknown[]) => Thenable<unknown>,
): Promise<boolean> {
  const openedBefore = context.globalState.get<boolean>(OPENED, false) || context.workspaceState.get<boolean>(OPENED, false);
  if (!shouldOpenWalkthrough({ ...env, openedBefore })) return false;
  await Promise.all([context.globalState.update(OPENED, true), context.workspaceState.update(OPENED, true)]);
  await run('workbench.action.openWalkthrough', WALKTHROUGH, false);
  return true;
}
