import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildBundles, cli } from '../helpers/built-cli';
import { NODE, tempStack, type TempStack } from '../helpers/stack';

/** `opsdeck reload` with the built CLI on a running stack: edit the file, see the plan, apply it. */
interface Svc {
  name: string;
  state: string;
  pid?: number;
}
const services = (dir: string) => Object.fromEntries((JSON.parse(cli(dir, 'status', '--json').stdout) as { services: Svc[] }).services.map((s) => [s.name, s]));
const idle = [NODE, '-e', 'setInterval(() => {}, 1000)'];
const config = (extra: Record<string, object> = {}, apiEnv: Record<string, string> = { LEVEL: 'info' }) => ({
  version: 1,
  name: 'reload',
  services: { db: { tier: 'storage', command: idle }, api: { command: idle, env: apiEnv, depends_on: { db: 'started' } }, ...extra },
});

describe('opsdeck reload (built CLI, running stack)', function () {
  this.timeout(120_000);
  let t: TempStack;
  before(buildBundles);
  afterEach(() => {
    cli(t.dir, 'down');
    t.cleanup();
  });

  it('reload --dry-run shows the plan, reload applies it, status shows the new service', () => {
    t = tempStack(config());
    const up = cli(t.dir, 'up', '--detach', '--timeout', '30s');
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    const before = services(t.dir);

    writeFileSync(join(t.dir, 'opsdeck.yaml'), stringify(config({ worker: { command: idle } }, { LEVEL: 'debug' })));
    const dry = cli(t.dir, 'reload', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(
      dry.stdout,
      'plan (dry run, nothing changed):\n  1. restart api (changed in opsdeck.yaml: env)\n  2. start worker (added to opsdeck.yaml)\n',
    );
    assert.equal(services(t.dir).worker, undefined, 'a dry run adds nothing');

    const applied = cli(t.dir, 'reload', '--json');
    assert.equal(applied.code, 0, applied.stderr);
    assert.deepEqual(
      (JSON.parse(applied.stdout) as { plan: { action: string; service: string }[] }).plan.map((p) => `${p.action} ${p.service}`),
      ['restart api', 'start worker'],
    );
    const deadline = Date.now() + 20_000;
    let now = services(t.dir);
    while (Date.now() < deadline && (now.worker?.state !== 'ready' || now.api?.state !== 'ready')) now = services(t.dir);
    assert.equal(now.worker?.state, 'ready');
    assert.equal(now.api?.state, 'ready');
    assert.notEqual(now.api?.pid, before.api?.pid, 'api restarted');
    assert.equal(now.db?.pid, before.db?.pid, 'db unchanged');
    assert.match(cli(t.dir, 'status').stdout, /^worker\s/m);
    assert.equal(cli(t.dir, 'reload', '--dry-run').stdout, 'opsdeck.yaml changes nothing that runs (dry run)\n');
  });

  it('a file with errors is refused with its line:column, and the stack keeps running as it was', () => {
    t = tempStack(config());
    assert.equal(cli(t.dir, 'up', '--detach', '--timeout', '30s').code, 0);
    const before = services(t.dir);
    writeFileSync(join(t.dir, 'opsdeck.yaml'), 'version: 1\nname: reload\nservices:\n  db:\n    command: [true]\n    tier: basement\n');
    const r = cli(t.dir, 'reload');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /opsdeck\.yaml:6:\d+\s+services\.db\.tier: must be one of/);
    assert.deepEqual(services(t.dir), before);
  });
});
