/**
 * The alerts wired into a real Engine: a service that exits and is not restarted fails, and the
 * engine's own events open one incident (service_failed, which inhibits service_down of the same
 * service), sent to the vscode channel as an `alert` event and recorded in the history; a clean
 * stop is remembered, so the next engine does not report an engine restart.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../src/core/engine';
import { incidentHistory } from '../../src/core/alerts/history';
import { NODE, nextEvent, tempStack, type TempStack } from '../helpers/stack';

describe('alerts: wired into a real engine', function () {
  this.timeout(30_000);
  let t: TempStack | undefined;
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.dispose();
    t?.cleanup();
  });

  it('a failed service is one incident, sent as an alert event and written to the history', async () => {
    t = tempStack({
      version: 1,
      name: 'real',
      services: { storage: { command: [NODE, '-e', 'process.exit(1)'], restart: { max_retries: 0 } } },
      alerts: { rules: { disk_low: false }, routing: { levels: [{ channels: ['vscode'] }] } },
    });
    engine = new Engine(t.stack);
    engine.alerts.start();
    const fired = nextEvent(engine.bus, 'alert', (e) => e.phase === 'firing');
    engine.up();
    const e = await fired;
    assert.equal(e.service, 'storage');
    assert.equal(e.severity, 'critical');
    assert.deepEqual(e.channels, ['vscode']);
    assert.ok(e.rules.includes('service_failed'), e.rules.join());
    const view = engine.alerts.list();
    assert.equal(view.incidents.length, 1);
    const down = view.alerts.find((a) => a.rule === 'service_down');
    if (down) assert.equal(down.inhibitedBy, 'service_failed/storage');
    assert.equal(incidentHistory(t.dir)[0]!.id, e.incident);

    await engine.dispose();
    engine = undefined;
    const state = JSON.parse(readFileSync(join(t.dir, '.opsdeck', 'alerts', 'state.json'), 'utf8')) as { engine: { stoppedAt?: number } };
    assert.equal(typeof state.engine.stoppedAt, 'number', 'a clean stop is recorded');
    engine = new Engine(t.stack);
    engine.alerts.start();
    assert.equal(engine.alerts.list().alerts.some((a) => a.rule === 'engine_restarted'), false);
  });
});
