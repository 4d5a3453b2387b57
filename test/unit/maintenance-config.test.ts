import assert from 'node:assert/strict';
import { parseConfig } from '../../src/core/config/load';
import { issues, yaml } from '../helpers/config-issues';

describe('maintenance: opsdeck.yaml keys', () => {
  it('reads a service\'s maintenance and the stack\'s schedule, with defaults', () => {
    const s = parseConfig(
      yaml(
        'version: 1',
        'name: demo',
        'maintenance: { schedule: "0 3 * * *", tasks: [sqlite, cache] }',
        'services:',
        '  api:',
        '    command: [node, api.js]',
        '    maintenance:',
        '      cache: [tmp/cache, thumbs/]',
        '      tasks: { reindex: { command: [node, reindex.js], requires_stop: true } }',
        '      redis: { memory_purge: true }',
        '  db:',
        '    command: [node, db.js]',
      ),
      'opsdeck.yaml',
    );
    assert.deepEqual(s.config.maintenance, { schedule: '0 3 * * *', tasks: ['sqlite', 'cache'] });
    const m = s.config.services.api!.maintenance!;
    assert.deepEqual(m.cache, ['tmp/cache', 'thumbs/']);
    assert.equal(m.requires_stop, false);
    assert.deepEqual(m.tasks.reindex, { command: ['node', 'reindex.js'], requires_stop: true, timeout: 600_000, daily: true });
    assert.deepEqual(m.redis, { memory_purge: true, rewrite_aof: false });
    assert.equal(s.config.services.db!.maintenance, undefined);
  });

  it('bad keys: each problem at its line, with what is wrong', () => {
    const found = issues(
      yaml(
        'version: 1',
        'name: demo',
        'maintenance: { schedule: "nightly", when: later }',
        'services:',
        '  api:',
        '    command: [x]',
        '    maintenance:',
        '      cache: [../outside, /var/cache, "tmp/*", ., ""]',
        '      tasks: { "Bad Name": { command: [x] }, empty: { command: [] }, slow: { command: [x], timeout: 2d } }',
        '      redis: { memory_purge: sometimes }',
      ),
    );
    const at = (path: string) => found.find((i) => i.path === path)?.message ?? `(nothing at ${path}: ${found.map((i) => i.path).join(', ')})`;
    assert.match(at('maintenance.schedule'), /not a valid cron expression/);
    assert.match(at('maintenance'), /when/);
    assert.match(at('services.api.maintenance.cache.0'), /no "\.\."/);
    assert.match(at('services.api.maintenance.cache.1'), /not absolute/);
    assert.match(at('services.api.maintenance.cache.2'), /one file or folder \(no wildcards\)/);
    assert.match(at('services.api.maintenance.cache.3'), /not the folder itself/);
    assert.match(at('services.api.maintenance.cache.4'), /must not be empty/);
    assert.match(at('services.api.maintenance.tasks.Bad Name'), /lower-case letters/);
    assert.match(at('services.api.maintenance.tasks.empty.command'), /must not be empty/);
    assert.match(at('services.api.maintenance.tasks.slow.timeout'), /out of range/);
    assert.match(at('services.api.maintenance.redis.memory_purge'), /true or false/);
    assert.equal(found.find((i) => i.path === 'maintenance.schedule')!.line, 3);
  });
});
