/**
 * In-host: the Alerts view and its commands against the embedded engine. Silencing a service
 * from VS Code (the "Silence 1h" action's command) makes a silence the engine lists and the view
 * shows; Remove Silence ends it.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AlertsView } from '../../src/core/contract/alerts';
import { engineClient, sleep, testApi, waitFor, type OpsdeckTestApi } from './helpers';

type Api = OpsdeckTestApi & { alerts(): { view: AlertsView | undefined; shown: unknown[] } };
const run = <T = unknown>(command: string, ...args: unknown[]) => vscode.commands.executeCommand<T>(command, ...args);

describe('alerts view', function () {
  this.timeout(60_000);
  let api: Api;

  before(async () => {
    api = (await testApi()) as Api;
    await waitFor('the engine socket', () => engineClient(), 30_000);
  });

  it('Silence 1h on a service: the engine has the silence, the Alerts view shows it; Remove Silence ends it', async () => {
    const r = await run<{ silence: { id: string; matchers: { name: string; value: string }[]; endsAt: number } }>('opsdeck.alerts.silence', { service: 'storage' });
    assert.deepEqual(r.silence.matchers.map((m) => `${m.name}=${m.value}`), ['service=storage']);
    const engine = await engineClient().alerts();
    assert.deepEqual(engine.silences.map((s) => s.id), [r.silence.id]);
    assert.ok(r.silence.endsAt - Date.now() > 59 * 60_000, 'about an hour');
    await waitFor('the view shows the silence', () => api.alerts().view?.silences.some((s) => s.id === r.silence.id) || undefined);

    await run('opsdeck.alerts.unsilence', r.silence.id);
    assert.equal((await engineClient().alerts()).silences.length, 0);
    await waitFor('the view drops it', () => (api.alerts().view?.silences.length === 0 ? true : undefined));
  });

  it('from the palette (no argument): Silence picks a service, Remove Silence picks a silence in force', async () => {
    const pickFirst = async <T>(command: string): Promise<T> => {
      let done = false;
      const running = Promise.resolve(vscode.commands.executeCommand<T>(command)).finally(() => (done = true));
      // The quick pick opens once the engine has answered: accept its first item until the command returns.
      for (let i = 0; i < 100 && !done; i++) {
        await sleep(200);
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      }
      return running;
    };
    const r = await pickFirst<{ silence: { id: string; matchers: { name: string; value: string }[] } }>('opsdeck.alerts.silence');
    assert.deepEqual(r.silence.matchers.map((m) => `${m.name}=${m.value}`), ['service=storage'], 'the first service of the stack');
    await pickFirst('opsdeck.alerts.unsilence');
    assert.deepEqual((await engineClient().alerts()).silences, []);
  });
});
