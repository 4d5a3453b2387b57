import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OpsError } from '../../src/core/errors';
import { effectiveEnv, formatIssues, loadConfig, parseConfig, type ConfigIssue } from '../../src/core/config/load';
import { closest, editDistance } from '../../src/core/config/suggest';
import { SCHEMA_FILE, renderSchema } from '../../scripts/gen-schema';
import { configSchemas } from '../../src/core/config/schema';

/** The lines of a YAML file, one argument per line, so that line numbers can be read off the test. */
const yaml = (...lines: string[]) => `${lines.join('\n')}\n`;

const HEAD = ['version: 1', 'name: demo', 'services:'];
/** A file whose line 4 is `  api:` and whose service body starts on line 5. */
const withApi = (...body: string[]) => yaml(...HEAD, '  api:', ...body);

function configError(text: string, opts?: { profile?: string }): OpsError {
  try {
    parseConfig(text, 'opsdeck.yaml', opts);
  } catch (e) {
    assert.ok(e instanceof OpsError, `expected an OpsError, got ${String(e)}`);
    assert.equal(e.code, 'CONFIG_INVALID');
    return e;
  }
  assert.fail('expected the config to be rejected');
}

const issuesOf = (text: string, opts?: { profile?: string }) => (configError(text, opts).details as { issues: ConfigIssue[] }).issues;

/** The single issue of a file, checked field by field. */
function expectIssue(
  text: string,
  want: { line: number; column?: number; path: string; message?: string | RegExp; hint: string },
  opts?: { profile?: string },
) {
  const issues = issuesOf(text, opts);
  assert.equal(issues.length, 1, `expected one issue, got:\n${formatIssues(issues)}`);
  const [issue] = issues as [ConfigIssue];
  assert.equal(issue.line, want.line, `line of ${formatIssues(issues)}`);
  if (want.column !== undefined) assert.equal(issue.column, want.column, `column of ${formatIssues(issues)}`);
  assert.equal(issue.path, want.path);
  if (typeof want.message === 'string') assert.equal(issue.message, want.message);
  else if (want.message) assert.match(issue.message, want.message);
  assert.ok(issue.hint.includes(want.hint), `hint "${issue.hint}" should contain "${want.hint}"`);
  assert.equal(issue.file, path.resolve('opsdeck.yaml'));
  return issue;
}

const FULL = yaml(
  'version: 1',
  'name: memory-stack',
  'profiles:',
  '  dev:     { services: [storage, messaging, api], ipc: { warn: 70, critical: 90 } }',
  '  minimal: { services: [storage] }',
  'active_profile: dev',
  'services:',
  '  storage:',
  '    tier: storage',
  '    command: [node, services/storage.js]',
  '    env: { PORT: "7101" }',
  '    health:',
  '      readiness: { http: { url: "http://127.0.0.1:7101/health" }, interval: 1s, timeout: 500ms, failure_threshold: 3, start_period: 10s }',
  '      liveness:  { http: { url: "http://127.0.0.1:7101/health" }, interval: 2s, timeout: 1s,   failure_threshold: 3 }',
  '      check:     { exec: [node, services/check-storage.js] }',
  '    restart: { policy: on-failure, backoff: { initial: 500ms, factor: 2, max: 30s, jitter: 0.1, reset_after: 60s }, max_retries: 5, window: 10m }',
  '    limits: { memory_mb: 512, open_files: 4096 }',
  '  messaging:',
  '    tier: messaging',
  '    command: [node, services/messaging.js]',
  '    cwd: services',
  '    health:',
  '      readiness: { tcp: { port: 7102 } }',
  '  api:',
  '    tier: server',
  '    command: [node, services/api.js]',
  '    depends_on: { storage: healthy, messaging: started }',
  '    health:',
  '      readiness: { log: "listening on \\\\d+" }',
);

describe('config: valid files', () => {
  it('parses the full example with durations in milliseconds and every default filled in', () => {
    const stack = parseConfig(FULL, 'opsdeck.yaml');
    assert.equal(stack.file, path.resolve('opsdeck.yaml'));
    assert.equal(stack.dir, path.resolve('.'));
    assert.equal(stack.profile, 'dev');
    assert.deepEqual(stack.services, ['storage', 'messaging', 'api']);

    const { storage, messaging, api } = stack.config.services;
    assert.ok(storage && messaging && api);
    assert.deepEqual(storage.health.readiness, {
      http: { url: 'http://127.0.0.1:7101/health', method: 'GET' },
      interval: 1000,
      timeout: 500,
      failure_threshold: 3,
      start_period: 10_000,
    });
    assert.deepEqual(storage.health.check, { exec: ['node', 'services/check-storage.js'], timeout: 30_000 });
    assert.deepEqual(storage.restart, {
      policy: 'on-failure',
      backoff: { initial: 500, factor: 2, max: 30_000, jitter: 0.1, reset_after: 60_000 },
      max_retries: 5,
      window: 600_000,
    });
    assert.deepEqual(storage.limits, { memory_mb: 512, open_files: 4096, sample_interval: 2000 });
    assert.deepEqual(storage.env, { PORT: '7101' });

    assert.deepEqual(messaging.health.readiness?.tcp, { host: '127.0.0.1', port: 7102 });
    assert.equal(messaging.cwd, 'services', 'a relative cwd is kept as written');

    assert.equal(api.tier, 'server');
    assert.deepEqual(api.depends_on, { storage: 'healthy', messaging: 'started' });
    assert.equal(api.health.readiness?.log, 'listening on \\d+');
    assert.equal(api.shell, false);
    assert.equal(api.stop_signal, 'SIGTERM');
    assert.equal(api.stop_grace, 10_000);
    assert.deepEqual(api.env, {});
    // No `initial` by default: the first restart comes at once, repeated ones from 500ms (backoff.ts).
    assert.deepEqual(api.restart.backoff, { factor: 2, max: 30_000, jitter: 0.1, reset_after: 60_000 });

    assert.deepEqual(stack.config.logs, { max_size_mb: 10, keep: 3 });
    assert.deepEqual(stack.config.profiles.minimal, { services: ['storage'], env: {}, overrides: {}, ipc: { warn: 70, critical: 90 } });
  });

  it('reads depends_on written as a list as "healthy" for each dependency', () => {
    const stack = parseConfig(
      yaml(...HEAD, '  db: { tier: storage, command: [db] }', '  bus: { tier: messaging, command: [bus] }', '  api: { command: [api], depends_on: [db, bus] }'),
      'opsdeck.yaml',
    );
    assert.deepEqual(stack.config.services.api?.depends_on, { db: 'healthy', bus: 'healthy' });
  });

  it('selects no profile and every service when there are no profiles', () => {
    const stack = parseConfig(withApi('    command: [node, server.js]'), 'opsdeck.yaml');
    assert.equal(stack.profile, undefined);
    assert.deepEqual(stack.services, ['api']);
  });

  const PROFILES = yaml(
    'version: 1',
    'name: demo',
    'profiles:',
    '  full: { env: { LOG: debug, MODE: full } }',
    '  lean:',
    '    services: [db]',
    '    env: { MODE: lean }',
    '    overrides: { db: { env: { CACHE: 0 } } }',
    'services:',
    '  db: { tier: storage, command: [db], env: { CACHE: 64, PORT: 5432, MODE: own } }',
    '  api: { command: [api], depends_on: [db] }',
  );

  it('makes the first profile active when active_profile is absent', () => {
    const stack = parseConfig(PROFILES, 'opsdeck.yaml');
    assert.equal(stack.profile, 'full');
    assert.deepEqual(stack.services, ['db', 'api'], 'a profile without services runs them all');
  });

  it('lets the profile option override active_profile', () => {
    const stack = parseConfig(PROFILES.replace('services:\n  db:', 'active_profile: full\nservices:\n  db:'), 'opsdeck.yaml', { profile: 'lean' });
    assert.equal(stack.profile, 'lean');
    assert.deepEqual(stack.services, ['db']);
  });

  it('layers the environment: service, then profile, then the profile override', () => {
    const lean = parseConfig(PROFILES, 'opsdeck.yaml', { profile: 'lean' });
    assert.deepEqual(effectiveEnv(lean, 'db'), { CACHE: '0', PORT: '5432', MODE: 'lean' });
    const full = parseConfig(PROFILES, 'opsdeck.yaml');
    assert.deepEqual(effectiveEnv(full, 'api'), { LOG: 'debug', MODE: 'full' });
    assert.throws(() => effectiveEnv(full, 'apu'), (e: unknown) => e instanceof OpsError && e.code === 'SERVICE_UNKNOWN' && e.hint === 'did you mean `api`?');
  });

  it('reads durations in every unit, days included', () => {
    const stack = parseConfig(withApi('    command: [api]', '    restart: { window: 1d, backoff: { initial: 1.5s, max: 1h30m, reset_after: 2m } }'), 'opsdeck.yaml');
    assert.equal(stack.config.services.api?.restart.window, 86_400_000);
    assert.deepEqual(stack.config.services.api?.restart.backoff, { initial: 1500, factor: 2, max: 5_400_000, jitter: 0.1, reset_after: 120_000 });
  });

  it('accepts stop_grace 0s (SIGKILL right away) and a probe timeout longer than its interval', () => {
    const stack = parseConfig(
      withApi('    command: [api]', '    stop_grace: 0s', '    health:', '      liveness: { exec: [check], interval: 1s, timeout: 5s, start_period: 0s }'),
      'opsdeck.yaml',
    );
    const api = stack.config.services.api;
    assert.equal(api?.stop_grace, 0);
    assert.deepEqual(api?.health.liveness, { exec: ['check'], interval: 1000, timeout: 5000, start_period: 0 });
  });

  it('loads opsdeck.yaml from a stack folder and says how to create one when it is missing', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'opsdeck-config-'));
    try {
      await assert.rejects(loadConfig(dir), (e: unknown) => e instanceof OpsError && e.code === 'CONFIG_NOT_FOUND' && !!e.hint?.includes('opsdeck init'));
      await writeFile(path.join(dir, 'opsdeck.yaml'), withApi('    command: [node, server.js]'));
      const stack = await loadConfig(dir);
      assert.equal(stack.file, path.join(dir, 'opsdeck.yaml'));
      assert.equal(stack.dir, dir);
      assert.deepEqual((await loadConfig(stack.file)).services, ['api']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('config: malformed files', () => {
  it('reports a YAML syntax error where it is', () => {
    expectIssue(withApi('    command: [node, server.js', '    tier: server'), {
      line: 6,
      column: 5,
      path: 'services.api.tier',
      message: /^YAML syntax error: flow sequence .* must be sufficiently indented and end with a \]/,
      hint: 'indent with spaces',
    });
  });

  it('reports tabs used as indentation', () => {
    expectIssue(withApi('\tcommand: [node]'), { line: 5, column: 1, path: 'services', message: /tabs/i, hint: 'not tabs' });
  });

  it('reports an empty file at 1:1', () => {
    expectIssue('', { line: 1, column: 1, path: '', message: 'the file is empty', hint: '`version: 1`' });
    expectIssue('# only a comment\n', { line: 1, column: 1, path: '', message: 'the file is empty', hint: 'opsdeck init' });
  });

  it('reports a file that is not a mapping at 1:1', () => {
    expectIssue(yaml('- version: 1', '- name: demo'), { line: 1, column: 1, path: '', message: /must be a mapping of keys, but it is a list/, hint: 'top-level keys' });
    expectIssue('just text\n', { line: 1, column: 1, path: '', message: /a single value \("just text"\)/, hint: 'top-level keys' });
  });

  it('reports a missing version at the top of the file', () => {
    expectIssue(yaml('name: demo', 'services:', '  api: { command: [api] }'), { line: 1, column: 1, path: 'version', message: 'is required', hint: 'add `version:` at the top level, e.g. version: 1' });
  });

  it('reports a wrong version at its value', () => {
    expectIssue(yaml('version: 2', 'name: demo', 'services:', '  api: { command: [api] }'), {
      line: 1,
      column: 10,
      path: 'version',
      message: /must be 1/,
      hint: 'write `version: 1`',
    });
  });

  it('reports missing services', () => {
    expectIssue(yaml('version: 1', 'name: demo'), { line: 1, column: 1, path: 'services', message: 'is required', hint: 'add `services:` at the top level' });
  });

  it('reports an empty services map', () => {
    expectIssue(yaml('version: 1', 'name: demo', 'services: {}'), { line: 3, column: 11, path: 'services', message: /at least one service/, hint: 'add a service' });
  });

  it('reports a missing required key at its parent key', () => {
    expectIssue(withApi('    tier: server'), { line: 4, column: 3, path: 'services.api.command', message: 'is required', hint: 'add `command:` under services.api' });
  });

  it('reports a string where a number belongs', () => {
    expectIssue(withApi('    command: [api]', '    health:', '      readiness: { tcp: { port: 80 }, failure_threshold: three }'), {
      line: 7,
      column: 58,
      path: 'services.api.health.readiness.failure_threshold',
      message: 'must be a number',
      hint: 'write a number',
    });
  });

  it('tells to remove the quotes around a number', () => {
    expectIssue(withApi('    command: [api]', '    limits:', '      memory_mb: "512"'), {
      line: 7,
      column: 18,
      path: 'services.api.limits.memory_mb',
      hint: 'remove the quotes: write 512',
    });
  });

  it('reports an unknown top-level key with a did-you-mean', () => {
    expectIssue(yaml('version: 1', 'name: demo', 'servics:', '  api: { command: [api] }', 'services:', '  api: { command: [api] }'), {
      line: 3,
      column: 1,
      path: 'servics',
      message: 'unknown key "servics"',
      hint: 'did you mean `services`?',
    });
  });

  it('reports an unknown nested key at the key, with a did-you-mean', () => {
    expectIssue(withApi('    command: [api]', '    restat: { policy: always }'), {
      line: 6,
      column: 5,
      path: 'services.api.restat',
      message: 'unknown key "restat"',
      hint: 'did you mean `restart`?',
    });
  });

  it('lists the allowed keys when an unknown key is close to none', () => {
    expectIssue(withApi('    command: [api]', '    restart: { colour: blue }'), {
      line: 6,
      column: 16,
      path: 'services.api.restart.colour',
      hint: 'the keys allowed here are policy, backoff, max_retries, window',
    });
  });

  it('reports a duration with a bad unit', () => {
    expectIssue(withApi('    command: [api]', '    stop_grace: 5 sec'), {
      line: 6,
      column: 17,
      path: 'services.api.stop_grace',
      message: /must be a duration/,
      hint: 'write a number followed by ms, s, m, h or d, e.g. 500ms',
    });
  });

  it('reports a duration written as a bare number', () => {
    expectIssue(withApi('    command: [api]', '    health:', '      liveness:', '        exec: [check]', '        interval: 5'), {
      line: 9,
      column: 19,
      path: 'services.api.health.liveness.interval',
      hint: 'add a unit: write a number followed by ms, s, m, h or d',
    });
  });

  it('reports an empty command', () => {
    expectIssue(withApi('    command: []'), {
      line: 5,
      column: 14,
      path: 'services.api.command',
      message: /must not be empty/,
      hint: 'give the program and its arguments as a list, e.g. [node, server.js]',
    });
  });

  it('reports a key left without a value at the key', () => {
    expectIssue(withApi('    command:'), { line: 5, column: 5, path: 'services.api.command', message: 'has no value', hint: 'as a list, e.g. [node, server.js]' });
  });

  it('reports a command string without shell', () => {
    expectIssue(withApi('    command: node server.js'), {
      line: 5,
      column: 14,
      path: 'services.api.command',
      message: 'is a string but shell is false',
      hint: 'add `shell: true`',
    });
  });

  it('reports a negative number', () => {
    expectIssue(withApi('    command: [api]', '    health:', '      readiness: { tcp: { port: 80 }, failure_threshold: -1 }'), {
      line: 7,
      column: 58,
      path: 'services.api.health.readiness.failure_threshold',
      message: 'must be greater than 0',
      hint: 'use a number greater than 0',
    });
  });

  it('rejects a probe interval or timeout of 0', () => {
    expectIssue(withApi('    command: [api]', '    health:', '      readiness: { tcp: { port: 80 }, interval: 0ms }'), {
      line: 7,
      column: 49,
      path: 'services.api.health.readiness.interval',
      message: 'must be greater than 0',
      hint: 'use a duration greater than 0, e.g. 1s',
    });
    expectIssue(withApi('    command: [api]', '    health:', '      liveness:', '        exec: [check]', '        timeout: 0s'), {
      line: 9,
      column: 18,
      path: 'services.api.health.liveness.timeout',
      message: 'must be greater than 0',
      hint: 'use a duration greater than 0',
    });
  });

  it('reports jitter above 1', () => {
    expectIssue(withApi('    command: [api]', '    restart:', '      backoff:', '        jitter: 1.5'), {
      line: 8,
      column: 17,
      path: 'services.api.restart.backoff.jitter',
      message: 'must be between 0 and 1',
      hint: 'e.g. 0.1 for ±10%',
    });
  });

  it('reports a value outside an enum with the allowed values', () => {
    expectIssue(withApi('    command: [api]', '    restart: { policy: sometimes }'), {
      line: 6,
      column: 24,
      path: 'services.api.restart.policy',
      message: 'must be one of never, on-failure, always',
      hint: 'use one of never, on-failure, always',
    });
  });

  it('suggests the enum value a typo was meant to be', () => {
    expectIssue(withApi('    command: [api]', '    tier: storge'), { line: 6, column: 11, path: 'services.api.tier', hint: 'did you mean `storage`?' });
  });

  it('reports a probe with two kinds', () => {
    expectIssue(withApi('    command: [api]', '    health:', '      readiness: { tcp: { port: 80 }, exec: [check] }'), {
      line: 7,
      column: 18,
      path: 'services.api.health.readiness',
      message: 'a probe has exactly one kind, found tcp and exec',
      hint: 'keep one kind',
    });
  });

  it('reports a probe with no kind', () => {
    expectIssue(withApi('    command: [api]', '    health:', '      liveness: { interval: 2s }'), {
      line: 7,
      column: 17,
      path: 'services.api.health.liveness',
      message: 'a probe needs one of http, tcp, exec or log',
      hint: 'add one kind of probe',
    });
  });

  it('reports an invalid regular expression in a log probe', () => {
    expectIssue(withApi('    command: [api]', '    health:', '      readiness:', '        log: "listening (on"'), {
      line: 8,
      column: 14,
      path: 'services.api.health.readiness.log',
      message: /^is not a valid regular expression/,
      hint: 'escape special characters',
    });
  });

  it('reports a duplicate key at the second occurrence', () => {
    expectIssue(withApi('    command: [api]', '    tier: server', '    command: [other]'), {
      line: 7,
      column: 5,
      path: 'services.api.command',
      message: 'duplicate key "command"',
      hint: 'may appear only once',
    });
  });

  it('reports an invalid service name at the name', () => {
    expectIssue(yaml(...HEAD, '  My API:', '    command: [api]'), { line: 4, column: 3, path: 'services.My API', message: /lower-case/, hint: 'e.g. my-api' });
  });

  it('reports a dependency cycle at the entry that closes it', () => {
    const issue = expectIssue(
      yaml(...HEAD, '  api:', '    command: [api]', '    depends_on: [storage]', '  storage:', '    command: [storage]', '    depends_on: [api]'),
      { line: 9, column: 18, path: 'services.storage.depends_on.api', hint: 'remove one of these dependencies' },
    );
    assert.equal(issue.message, 'dependency cycle api → storage → api');
  });

  it('reports an unknown dependency with a did-you-mean', () => {
    expectIssue(
      yaml(...HEAD, '  storage: { tier: storage, command: [db] }', '  api:', '    command: [api]', '    depends_on:', '      stroage: healthy'),
      { line: 8, column: 7, path: 'services.api.depends_on.stroage', message: 'api depends on unknown service "stroage"', hint: 'did you mean `storage`?' },
    );
  });

  it('reports a tier inversion', () => {
    expectIssue(yaml(...HEAD, '  db:', '    tier: storage', '    command: [db]', '    depends_on: { api: started }', '  api: { command: [api] }'), {
      line: 7,
      column: 19,
      path: 'services.db.depends_on.api',
      message: 'db (tier storage) depends on api, which has the later tier server',
      hint: 'change the tier of db or api',
    });
  });

  it('reports a profile listing an unknown service', () => {
    expectIssue(yaml('version: 1', 'name: demo', 'profiles:', '  dev: { services: [api, worker] }', 'services:', '  api: { command: [api] }'), {
      line: 4,
      column: 26,
      path: 'profiles.dev.services.1',
      message: 'profile dev lists unknown service "worker"',
      hint: 'the services in this file are api',
    });
  });

  it('reports a profile that leaves out a dependency of one of its services', () => {
    expectIssue(
      yaml('version: 1', 'name: demo', 'profiles:', '  dev:', '    services: [api]', 'services:', '  db: { tier: storage, command: [db] }', '  api: { command: [api], depends_on: [db] }'),
      { line: 5, column: 16, path: 'profiles.dev.services', message: 'profile dev runs api but not db, which api depends on', hint: 'add db to profiles.dev.services' },
    );
  });

  it('reports the dependencies a profile leaves out transitively, each once', () => {
    const issues = issuesOf(
      yaml(
        'version: 1',
        'name: demo',
        'profiles:',
        '  dev:',
        '    services: [web, api]',
        'services:',
        '  db: { tier: storage, command: [db] }',
        '  storage: { tier: storage, command: [storage], depends_on: [db] }',
        '  api: { command: [api], depends_on: [storage] }',
        '  web: { command: [web], depends_on: [api, storage] }',
      ),
    );
    assert.deepEqual(
      issues.map((i) => ({ at: `${i.line}:${i.column}`, path: i.path, message: i.message, hint: i.hint })),
      [
        { at: '5:16', path: 'profiles.dev.services', message: 'profile dev runs web but not storage, which web depends on', hint: 'add storage to profiles.dev.services' },
        {
          at: '5:16',
          path: 'profiles.dev.services',
          message: 'profile dev runs web but not db, which web depends on through storage',
          hint: 'add db to profiles.dev.services (web → storage → db)',
        },
      ],
    );
  });

  it('reports overrides for an unknown service', () => {
    expectIssue(yaml('version: 1', 'name: demo', 'profiles:', '  dev:', '    overrides:', '      apu: { env: { A: b } }', 'services:', '  api: { command: [api] }'), {
      line: 6,
      column: 7,
      path: 'profiles.dev.overrides.apu',
      hint: 'did you mean `api`?',
    });
  });

  it('reports an active_profile naming an unknown profile', () => {
    expectIssue(yaml('version: 1', 'name: demo', 'profiles: { dev: {}, minimal: {} }', 'active_profile: prod', 'services:', '  api: { command: [api] }'), {
      line: 4,
      column: 17,
      path: 'active_profile',
      message: 'names unknown profile "prod"',
      hint: 'the profiles in this file are dev, minimal',
    });
  });

  it('rejects an unknown profile asked for by option', () => {
    expectIssue(
      yaml('version: 1', 'name: demo', 'profiles:', '  dev: {}', 'services:', '  api: { command: [api] }'),
      { line: 3, column: 1, path: 'profiles', message: /no profile "deb"/, hint: 'did you mean `dev`?' },
      { profile: 'deb' },
    );
  });

  it('reports every problem of a file at once, in file order', () => {
    const issues = issuesOf(
      yaml(
        'version: 1',
        'name: Demo',
        'services:',
        '  api:',
        '    command: []',
        '    restat: {}',
        '    depends_on: [stroage]',
        '    restart: { policy: sometimes, window: 10 minutes }',
        '  storage: { tier: storage, command: [db] }',
      ),
    );
    assert.deepEqual(
      issues.map((i) => `${i.line}:${i.column} ${i.path}`),
      [
        '2:7 name',
        '5:14 services.api.command',
        '6:5 services.api.restat',
        '7:18 services.api.depends_on.stroage',
        '8:24 services.api.restart.policy',
        '8:43 services.api.restart.window',
      ],
    );
  });

  it('runs the checks of a whole object even when other keys of it have problems', () => {
    // A service: a wrong tier does not hide the string command without shell.
    assert.deepEqual(
      issuesOf(withApi('    tier: workr', '    command: node x')).map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`),
      ['5:11 services.api.tier: must be one of storage, messaging, server, worker', '6:14 services.api.command: is a string but shell is false'],
    );
    // A service: an unknown key and a wrong restart policy do not hide a liveness log probe.
    assert.deepEqual(
      issuesOf(withApi('    command: [api]', '    colour: blue', '    restart: { policy: sometimes }', '    health: { liveness: { log: ready } }')).map((i) => i.path),
      ['services.api.colour', 'services.api.restart.policy', 'services.api.health.liveness.log'],
    );
    // A probe: a wrong timing value does not hide two kinds.
    assert.deepEqual(
      issuesOf(withApi('    command: [api]', '    health:', '      readiness: { tcp: { port: 80 }, exec: [check], failure_threshold: 0 }')).map((i) => i.message),
      ['a probe has exactly one kind, found tcp and exec', 'must be greater than 0'],
    );
    // IPC thresholds: an unknown key does not hide warn above critical.
    assert.deepEqual(
      issuesOf(yaml('version: 1', 'name: demo', 'profiles:', '  dev: { ipc: { warn: 95, critical: 90, extra: 1 } }', 'services:', '  api: { command: [api] }')).map(
        (i) => `${i.path}: ${i.message}`,
      ),
      ['profiles.dev.ipc: warn must not be above critical', 'profiles.dev.ipc.extra: unknown key "extra"'],
    );
    // The stack: a wrong name does not hide an empty services map.
    assert.deepEqual(
      issuesOf(yaml('version: 1', 'name: Demo', 'services: {}')).map((i) => i.path),
      ['name', 'services'],
    );
  });

  it('does not run a whole-object check on a value that already has a problem', () => {
    // A wrong shell value, an empty command: one problem each, not also "shell is false".
    expectIssue(withApi('    command: node x', '    shell: "yes"'), { line: 6, column: 12, path: 'services.api.shell', message: 'must be true or false', hint: 'write true or false' });
    expectIssue(withApi('    command: ""'), { line: 5, column: 14, path: 'services.api.command', message: 'must not be empty', hint: 'as a list' });
    // An out-of-range warn: not also "warn above critical".
    expectIssue(yaml('version: 1', 'name: demo', 'profiles:', '  dev: { ipc: { warn: 150, critical: 90 } }', 'services:', '  api: { command: [api] }'), {
      line: 4,
      path: 'profiles.dev.ipc.warn',
      message: 'must be at most 100',
      hint: 'use 100 or less',
    });
    // A service or probe that is not a mapping: only that.
    expectIssue(withApi('    command: [api]', '    health: { readiness: fast }'), { line: 6, path: 'services.api.health.readiness', message: 'must be a mapping (key: value)', hint: 'write a mapping' });
    expectIssue(yaml(...HEAD, '  api: [node, server.js]'), { line: 4, path: 'services.api', message: 'must be a mapping (key: value)', hint: 'write a mapping' });
  });

  it('formats every issue with file:line:column, path, message and hint, and never a stack trace', () => {
    const err = configError(withApi('    command: [api]', '    restart: { policy: sometimes }', '    stop_grace: 5'));
    const text = err.format();
    assert.equal(
      text,
      [
        'error: opsdeck.yaml has 2 problems:',
        'opsdeck.yaml:6:24  services.api.restart.policy: must be one of never, on-failure, always',
        '  hint: use one of never, on-failure, always',
        'opsdeck.yaml:7:17  services.api.stop_grace: must be a duration string such as "500ms", "2s" or "10m"',
        '  hint: add a unit: write a number followed by ms, s, m, h or d, e.g. 500ms',
        'hint: fix the problems above and run again; docs/config.md describes every key',
      ].join('\n'),
    );
    assert.ok(!text.includes('    at '));
    assert.ok(!configError('a: [\n').format().includes('    at '));
  });
});

describe('config: did you mean', () => {
  it('counts a swap of neighbours as one edit', () => {
    assert.equal(editDistance('stroage', 'storage'), 1);
    assert.equal(editDistance('restat', 'restart'), 1);
    assert.equal(editDistance('', 'abc'), 3);
  });

  it('suggests only close candidates', () => {
    assert.equal(closest('servces', ['version', 'services', 'name']), 'services');
    assert.equal(closest('colour', ['policy', 'backoff', 'window']), undefined);
  });
});

describe('config: JSON Schema', () => {
  it('docs/opsdeck.schema.json is the one generated from the zod schema', async () => {
    assert.equal(await readFile(SCHEMA_FILE, 'utf8'), renderSchema());
  });

  type JsonSchema = { default?: unknown; properties?: Record<string, JsonSchema>; additionalProperties?: JsonSchema | boolean; maximum?: number };
  const service = () => (JSON.parse(renderSchema()) as JsonSchema).properties!.services!.additionalProperties as JsonSchema;

  it('shows the defaults as they are written in opsdeck.yaml, durations included', () => {
    const props = service().properties!;
    assert.equal(props.stop_grace!.default, '10s');
    assert.deepEqual(props.limits!.default, { sample_interval: '2s' });
    assert.equal(props.limits!.properties!.sample_interval!.default, '2s');
    assert.deepEqual(props.restart!.default, {
      policy: 'on-failure',
      backoff: { factor: 2, max: '30s', jitter: 0.1, reset_after: '60s' },
      max_retries: 5,
      window: '10m',
    });
    assert.equal(props.restart!.properties!.backoff!.properties!.initial!.default, undefined);
    assert.equal(props.health!.properties!.check!.properties!.timeout!.default, '30s');
  });

  it('has defaults that parse to the defaults the loader fills in', () => {
    const props = service().properties!;
    const written = Object.fromEntries(Object.entries(props).flatMap(([key, p]) => (p.default === undefined ? [] : [[key, p.default]])));
    const { serviceSchema } = configSchemas();
    assert.deepEqual(serviceSchema.parse({ command: ['api'], ...written }), serviceSchema.parse({ command: ['api'] }));
  });

  it('leaves out the safe-integer bound zod gives whole numbers', () => {
    assert.ok(!renderSchema().includes(String(Number.MAX_SAFE_INTEGER)));
    assert.equal(service().properties!.restart!.properties!.max_retries!.maximum, undefined);
  });
});
