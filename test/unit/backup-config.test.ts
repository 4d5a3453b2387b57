import assert from 'node:assert/strict';
import { parseConfig } from '../../src/core/config/load';
import { issues, yaml } from '../helpers/config-issues';
import { keepWithinArg, resticWithin } from '../../src/core/duration';
import { retentionFromConfig } from '../../src/core/backup/retention';

describe('backup: opsdeck.yaml keys', () => {
  it('reads service backups, objectives and the stack\'s backup settings, with defaults', () => {
    const s = parseConfig(
      yaml(
        'version: 1',
        'name: demo',
        'backup:',
        '  schedule: "0 * * * *"',
        '  retention: { keep_daily: 7, keep_within: 36h }',
        'services:',
        '  db:',
        '    command: [node, db.js]',
        '    backup:',
        '      sqlite: [data/db.sqlite]',
        '      files: [config/, "uploads/**/*.png"]',
        '      exclude: ["**/*.tmp"]',
        '      postgres: { port: 5432, dbname: app }',
        '      command: { exec: [redis-cli, --rdb, "-"], file: dump.rdb }',
        '    rpo: 1h',
        '    rto: 2m',
      ),
      'opsdeck.yaml',
    );
    const db = s.config.services.db!;
    assert.deepEqual(db.backup!.sqlite, ['data/db.sqlite']);
    assert.deepEqual(db.backup!.files, ['config/', 'uploads/**/*.png']);
    assert.equal(db.backup!.postgres!.timeout, 600_000);
    assert.equal(db.backup!.command!.file, 'dump.rdb');
    assert.equal(db.rpo, 3_600_000);
    assert.equal(db.rto, 120_000);
    assert.equal(s.config.backup.repository, '.opsdeck/backups');
    assert.equal(s.config.backup.verify_subset, '5%');
    assert.equal(s.config.backup.rpo_check_interval, 60_000);
    assert.equal(s.config.backup.retention!.prune, true);
    assert.deepEqual(retentionFromConfig(s.config.backup.retention!), { daily: 7, within: '1d12h' });
  });

  it('a stack without any backup key still has the defaults', () => {
    const s = parseConfig(yaml('version: 1', 'name: demo', 'services:', '  a: { command: [x] }'), 'opsdeck.yaml');
    assert.deepEqual(s.config.backup, { repository: '.opsdeck/backups', verify_subset: '5%', rpo_check_interval: 60_000 });
    assert.equal(s.config.services.a!.backup, undefined);
  });

  it('reports bad values with their position', () => {
    const found = issues(
      yaml(
        'version: 1',
        'name: demo',
        'backup:',
        '  schedule: "every hour"',
        '  verify_subset: half',
        'services:',
        '  a:',
        '    command: [x]',
        '    backup:',
        '      sqlite: [/var/db.sqlite, ../up.db]',
        '      files: ["data/[x"]',
        '      command: { exec: [x], file: "a/b" }',
        '    rpo: soon',
      ),
    );
    const at = (path: string) => found.find((i) => i.path === path);
    assert.match(at('backup.schedule')!.message, /not a valid cron expression/);
    assert.equal(at('backup.schedule')!.line, 4);
    assert.match(at('backup.verify_subset')!.message, /N\/T/);
    assert.match(at('services.a.backup.sqlite.0')!.message, /not absolute/);
    assert.match(at('services.a.backup.sqlite.1')!.message, /no "\.\."/);
    assert.match(at('services.a.backup.files.0')!.message, /not a valid glob: .*no closing "\]"/);
    assert.equal(at('services.a.backup.files.0')!.line, 11);
    assert.match(at('services.a.backup.command.file')!.message, /plain file name/);
    assert.match(at('services.a.rpo')!.message, /duration/);
  });

  it('keep-within: restic\'s form as is, opsdeck durations in days and hours', () => {
    assert.equal(keepWithinArg('1y5m7d2h'), '1y5m7d2h');
    assert.equal(keepWithinArg('7d'), '7d');
    assert.equal(keepWithinArg('36h'), '36h');
    assert.equal(keepWithinArg('90s'), '1h');
    assert.equal(resticWithin(49 * 3_600_000), '2d1h');
    assert.throws(() => keepWithinArg('soon'), /not a duration/);
  });
});
