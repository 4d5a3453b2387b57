import assert from 'node:assert/strict';
import path from 'node:path';
import { OpsError } from '../../src/core/errors';
import { effectiveEnv, formatIssues, parseConfig, type ConfigIssue } from '../../src/core/config/load';
import { closest, didYouMean, editDistance } from '../../src/core/config/suggest';

/** Limits on the work one input can cause: "did you mean", duration ranges, big files, names like `constructor`. */

const yaml = (...lines: string[]) => `${lines.join('\n')}\n`;
const HEAD = ['version: 1', 'name: demo', 'services:'];
const withApi = (...body: string[]) => yaml(...HEAD, '  api:', ...body);

function issuesOf(text: string): ConfigIssue[] {
  try {
    parseConfig(text, 'opsdeck.yaml');
  } catch (e) {
    assert.ok(e instanceof OpsError && e.code === 'CONFIG_INVALID', `expected CONFIG_INVALID, got ${String(e)}`);
    return (e.details as { issues: ConfigIssue[] }).issues;
  }
  assert.fail('expected the config to be rejected');
}

function oneIssue(text: string): ConfigIssue {
  const issues = issuesOf(text);
  assert.equal(issues.length, 1, `expected one issue, got:\n${formatIssues(issues)}`);
  return issues[0]!;
}

describe('config limits: "did you mean" is bounded', () => {
  it('suggest() with a 1 MB word returns at once, with no suggestion', () => {
    const word = 'x'.repeat(1_000_000);
    let hint: string | undefined = 'not called';
    hint = didYouMean(word, ['storage', 'messaging', 'api', 'worker']);
    assert.equal(hint, undefined);
  });

  it('a 1 MB word against a 1 MB candidate (no quadratic work on long names)', () => {
    assert.equal(closest('a'.repeat(1_000_000), ['a'.repeat(999_999) + 'b']), undefined);
  });

  it('still finds typos, and the bounded distance agrees with the full one where it matters', () => {
    assert.equal(closest('storgae', ['storage', 'messaging', 'api']), 'storage');
    assert.equal(closest('mesaging', ['storage', 'messaging', 'api']), 'messaging');
    assert.equal(closest('zzz', ['storage', 'messaging', 'api']), undefined);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('ab', 'ba'), 1);
    // With a bound, any distance above it reads as bound + 1; within it, exactly.
    const words = ['api', 'apu', 'pai', 'storage', 'stroage', 'sotrage', 'worker', 'workers', '', 'a', 'messaging'];
    for (const a of words) {
      for (const b of words) {
        const full = editDistance(a, b);
        for (const max of [0, 1, 2, 3]) assert.equal(editDistance(a, b, max), Math.min(full, max + 1), `${a} / ${b} within ${max}`);
      }
    }
  });
});

describe('config limits: every duration has a range', () => {
  it('refuses a probe interval of 30d, with its position and the range', () => {
    const issue = oneIssue(withApi('    command: [api]', '    health:', '      liveness:', '        exec: [check]', '        interval: 30d'));
    assert.equal(issue.line, 9);
    assert.equal(issue.column, 19);
    assert.equal(issue.path, 'services.api.health.liveness.interval');
    assert.equal(issue.message, '30d is out of range (1ms–1d)');
    assert.match(issue.hint, /between 1ms and 1d/);
  });

  it('refuses stop_grace 90d, with the message in the issue text', () => {
    const issue = oneIssue(withApi('    command: [api]', '    stop_grace: 90d'));
    assert.equal(issue.path, 'services.api.stop_grace');
    assert.equal(formatIssues([issue]), `${path.join('opsdeck.yaml')}:6:17  services.api.stop_grace: 90d is out of range (0s–1h)\n  hint: use a duration between 0s and 1h`);
  });

  it('refuses a duration just over the range and accepts one at its end', () => {
    assert.equal(oneIssue(withApi('    command: [api]', '    stop_grace: 1h1ms')).message, '1h1ms is out of range (0s–1h)');
    assert.equal(parseConfig(withApi('    command: [api]', '    stop_grace: 1h'), 'opsdeck.yaml').config.services.api!.stop_grace, 3_600_000);
  });

  it('refuses what would overflow a timer anywhere (2^31 ms is about 24.8 days)', () => {
    const keys = [
      ['    restart: { backoff: { initial: 25d } }', 'services.api.restart.backoff.initial'],
      ['    restart: { backoff: { max: 25d } }', 'services.api.restart.backoff.max'],
      ['    restart: { backoff: { reset_after: 25d } }', 'services.api.restart.backoff.reset_after'],
      ['    restart: { window: 25d }', 'services.api.restart.window'],
      ['    limits: { sample_interval: 25d }', 'services.api.limits.sample_interval'],
      ['    ipc: { latency_budget: 25d }', 'services.api.ipc.latency_budget'],
      ['    health: { readiness: { tcp: { port: 80 }, timeout: 25d } }', 'services.api.health.readiness.timeout'],
      ['    health: { readiness: { tcp: { port: 80 }, start_period: 25d } }', 'services.api.health.readiness.start_period'],
      ['    health: { check: { exec: [c], timeout: 25d } }', 'services.api.health.check.timeout'],
      ['    health: { check: { exec: [c], interval: 25d } }', 'services.api.health.check.interval'],
      ['    backup: { command: { exec: [c], file: out.sql, timeout: 25d } }', 'services.api.backup.command.timeout'],
    ];
    for (const [line, at] of keys) {
      const issue = oneIssue(withApi('    command: [api]', line!));
      assert.equal(issue.path, at);
      assert.match(issue.message, /^25d is out of range \(\d+(ms|s)–\d+[smhd]\)$/, at);
    }
    const stack = yaml('version: 1', 'name: demo', 'backup: { rpo_check_interval: 25d }', 'services:', '  api: { command: [api] }');
    assert.equal(oneIssue(stack).path, 'backup.rpo_check_interval');
  });
});

describe('config limits: names that are also properties of every object', () => {
  it('reports a dependency on an undeclared `constructor` as unknown', () => {
    const issue = oneIssue(withApi('    command: [api]', '    depends_on: [constructor]'));
    assert.equal(issue.message, 'api depends on unknown service "constructor"');
  });

  it('reports an override or a profile entry for an undeclared `hasownproperty` or `valueof`', () => {
    const text = yaml(
      'version: 1',
      'name: demo',
      'profiles:',
      '  dev: { services: [api, valueof], overrides: { hasownproperty: { env: { A: b } } } }',
      'services:',
      '  api: { command: [api] }',
    );
    assert.deepEqual(issuesOf(text).map((i) => i.message).sort(), ['override for unknown service "hasownproperty"', 'profile dev lists unknown service "valueof"']);
  });

  it('effectiveEnv refuses `constructor` and `__proto__` as service names', () => {
    const stack = parseConfig(withApi('    command: [api]'), 'opsdeck.yaml');
    for (const name of ['constructor', '__proto__', 'toString']) {
      assert.throws(() => effectiveEnv(stack, name), (e: unknown) => e instanceof OpsError && e.code === 'SERVICE_UNKNOWN', name);
    }
  });

  it('a service really named `constructor` works like any other', () => {
    const stack = parseConfig(yaml(...HEAD, '  constructor: { command: [c], env: { A: "1" } }', '  api: { command: [api], depends_on: [constructor] }'), 'opsdeck.yaml');
    assert.deepEqual(effectiveEnv(stack, 'constructor'), { A: '1' });
    assert.deepEqual(stack.config.services.api!.depends_on, { constructor: 'healthy' });
  });
});

describe('config limits: big files', function () {
  this.timeout(120_000);

  /** A valid file of `n` services, one mapping of `n` keys, each service depending on one before it. */
  const bigStack = (n: number, deps = true) => {
    const lines = ['version: 1', 'name: big', 'services:'];
    for (let i = 0; i < n; i++) {
      lines.push(`  svc-${i}:`, `    command: [node, s${i}.js]`);
      if (deps && i > 0) lines.push(`    depends_on: [svc-${i - 1}]`);
    }
    return yaml(...lines);
  };
  // How the time grows (10x the input: about 10x the time, not 100x) is measured by
  // bench/config-validate.ts through the built CLI; here, that such files come through whole.
  it('30 000 services validate, every one of them kept', () => {
    assert.equal(Object.keys(parseConfig(bigStack(30_000), 'opsdeck.yaml').config.services).length, 30_000);
  });

  it('a file with 30 000 problems reports every one, each at its line', () => {
    const lines = ['version: 1', 'name: big', 'services:'];
    for (let i = 0; i < 30_000; i++) lines.push(`  svc-${i}:`, `    command: [node, s${i}.js]`, '    comand: typo');
    const issues = issuesOf(yaml(...lines));
    assert.equal(issues.length, 30_000);
    assert.deepEqual(issues.slice(0, 2).map((i) => i.line), [6, 9]);
    assert.equal(issues.at(-1)!.line, 3 + 3 * 30_000);
  });

  it('still reports a duplicate key (found without comparing every pair of keys)', () => {
    const text = bigStack(2_000, false).replace('  svc-1999:', '  svc-3:');
    const issue = oneIssue(text);
    assert.equal(issue.message, 'duplicate key "svc-3"');
    assert.equal(issue.path, 'services.svc-3');
  });
});
