/**
 * Releases without servers: the `release:`, `install:`, `migrate:` and `requires:` keys of
 * opsdeck.yaml (each mistake at its line:column), version order and ranges, the migration plan
 * between schema versions (gaps, steps without down), and the ledger's atomic writes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/core/config/load';
import { beginEntry, interrupted, readLedger, writeLedger } from '../../src/core/releases/ledger';
import { planMigrations } from '../../src/core/releases/migrations';
import { compareVersions, satisfiesRange, sortVersions } from '../../src/core/releases/versions';
import { issues, yaml } from '../helpers/config-issues';

const stack = (...serviceLines: string[]) =>
  parseConfig(yaml('version: 1', 'name: s', 'release: { shared: [data] }', 'services:', '  app:', '    command: [node, app.js]', ...serviceLines), 'opsdeck.yaml');

describe('releases: config keys', () => {
  it('a stack with release: runs its services in current/ unless they say otherwise', () => {
    const s = parseConfig(yaml('version: 1', 'name: s', 'release: {}', 'services:', '  a: { command: [x] }', '  b: { command: [x], cwd: elsewhere }'), 'opsdeck.yaml');
    assert.equal(s.config.services.a!.cwd, 'current');
    assert.equal(s.config.services.b!.cwd, 'elsewhere');
    assert.equal(s.config.release!.keep, 5);
    assert.equal(s.config.release!.health_timeout, 120_000);
    const plain = parseConfig(yaml('version: 1', 'name: s', 'services:', '  a: { command: [x] }'), 'opsdeck.yaml');
    assert.equal(plain.config.services.a!.cwd, undefined);
  });

  it('every mistake in release:, migrate:, install: and requires: is reported at its line:column', () => {
    const found = issues(
      yaml(
        'version: 1',
        'name: s',
        'release:',
        '  source: { git: { url: repo.git }, folder: x }',
        '  keep: 1',
        '  shared: [/abs]',
        '  requires: { opsdeck: "newest" }',
        'services:',
        '  app:',
        '    command: [x]',
        '    install: 7',
        '    migrate:',
        '      - { version: 1, up: [a] }',
        '      - { version: 3, up: [b] }',
        '    requires: { ports: [70000] }',
      ),
    ).map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`);
    assert.deepEqual(found, [
      '4:11 release.source: gives git and folder: give exactly one source',
      '5:9 release.keep: must be at least 2 (the current release and the one to roll back to)',
      '6:12 release.shared.0: must be a relative path inside the release, e.g. data',
      '7:24 release.requires.opsdeck: must be a version range such as ">=0.2.0 <1" or "^0.3"',
      '11:14 services.app.install: must be a command: a list (argv) such as [npm, ci], or a string run by sh -c',
      '14:20 services.app.migrate.1.version: must be 2: steps follow each other (1, 2, …) with no gap',
      '15:25 services.app.requires.ports.0: must be a port number (1-65535)',
    ]);
  });
});

describe('releases: versions', () => {
  it('orders versions numerically, a pre-release before its release', () => {
    assert.deepEqual(sortVersions(['10', '2', 'v1.10.0', '1.9.1', '1.10.0-rc.1']), ['1.9.1', '1.10.0-rc.1', 'v1.10.0', '2', '10']);
    assert.ok(compareVersions('v2', '2.0.0') === 0);
  });

  it('checks a version against a range', () => {
    assert.equal(satisfiesRange('0.1.0', '>=0.0.0'), true);
    assert.equal(satisfiesRange('0.1.0', '>=99.0.0'), false);
    assert.equal(satisfiesRange('0.3.4', '^0.3'), true);
    assert.equal(satisfiesRange('0.4.0', '^0.3'), false);
    assert.equal(satisfiesRange('1.2.9', '~1.2'), true);
    assert.equal(satisfiesRange('1.3.0', '>=1.2 <1.3'), false);
  });
});

describe('releases: migration plan', () => {
  const v1 = stack('    migrate:', '      - { version: 1, up: [up1], down: [down1] }');
  const v2 = stack('    migrate:', '      - { version: 1, up: [up1], down: [down1] }', '      - { version: 2, up: [up2] }');
  const squashed = stack('    migrate:', '      - { version: 3, up: [up3], down: [down3] }');

  it('up-steps come from the target, down-steps from the release that wrote them', () => {
    assert.deepEqual(planMigrations({ app: 1 }, { version: '1', stack: v1 }, { version: '2', stack: v2 }), {
      steps: [{ service: 'app', version: 2, direction: 'up', command: ['up2'], release: '2' }],
      problems: [],
    });
    const back = planMigrations({ app: 2 }, { version: '2', stack: v2 }, { version: '1', stack: v1 });
    assert.deepEqual(back.steps, [{ service: 'app', version: 2, direction: 'down', command: undefined, release: '2' }]);
  });

  it('a gap between the schema and the first step of the target is a problem, named', () => {
    assert.deepEqual(planMigrations({ app: 1 }, { version: '1', stack: v1 }, { version: '3', stack: squashed }).problems, [
      "app: the schema is at version 1, and release 3's migrations start at 3: step 2 is missing (update to a release that still has it first)",
    ]);
    assert.deepEqual(planMigrations({ app: 2 }, { version: '2', stack: v2 }, { version: '3', stack: squashed }).problems, []);
  });
});

describe('releases: ledger', () => {
  it('writes atomically (no temporary file left), reads back, and names an interrupted entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsdeck-ledger-'));
    try {
      const ledger = await readLedger(dir);
      assert.deepEqual(ledger, { format: 1, schema: {}, entries: [] });
      const entry = beginEntry(ledger, 'update', '2', '1');
      await writeLedger(dir, ledger);
      assert.deepEqual(readdirSync(join(dir, '.opsdeck')), ['releases.json']);
      const again = await readLedger(dir);
      assert.equal(interrupted(again)?.id, entry.id);
      again.entries[0]!.result = 'ok';
      await writeLedger(dir, again);
      assert.equal(interrupted(await readLedger(dir)), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
