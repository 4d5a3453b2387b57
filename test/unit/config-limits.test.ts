import assert from 'node:assert/strict';
import path from 'node:path';
import { PerformanceObserver, performance, type PerformanceEntry } from 'node:perf_hooks';
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

const elapsed = (fn: () => void) => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};

describe('config limits: "did you mean" is bounded', () => {
  it('suggest() with a 1 MB word returns at once, with no suggestion', () => {
    const word = 'x'.repeat(1_000_000);
    let hint: string | undefined = 'not called';
    const ms = elapsed(() => (hint = didYouMean(word, ['storage', 'messaging', 'api', 'worker'])));
    assert.equal(hint, undefined);
    assert.ok(ms < 300, `didYouMean of a 1 MB word took ${Math.round(ms)} ms`);
  });

  it('a 1 MB word against a 1 MB candidate (no quadratic work on long names)', () => {
    const ms = elapsed(() => assert.equal(closest('a'.repeat(1_000_000), ['a'.repeat(999_999) + 'b']), undefined));
    assert.ok(ms < 300, `took ${Math.round(ms)} ms`);
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

describe('config limits: big files validate in linear time', function () {
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
  /**
   * Milliseconds of work to validate `text`: this process's CPU time (user + system, so other
   * processes on a busy machine do not count), without the garbage collector's pauses (which grow
   * with the heap, not with the algorithm), the best of two runs.
   */
  async function work(text: string): Promise<{ ms: number; services: number; issues: number }> {
    const runs: number[] = [];
    let services = 0;
    let issues = 0;
    for (let k = 0; k < 2; k++) {
      const pauses: PerformanceEntry[] = [];
      const observer = new PerformanceObserver((list) => pauses.push(...list.getEntries()));
      observer.observe({ entryTypes: ['gc'] });
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      try {
        services = Object.keys(parseConfig(text, 'opsdeck.yaml').config.services).length;
      } catch (e) {
        issues = ((e as OpsError).details as { issues: ConfigIssue[] }).issues.length;
      }
      const cpu = process.cpuUsage(cpu0);
      const t1 = performance.now();
      await new Promise((r) => setTimeout(r, 20)); // gc entries arrive after the synchronous work
      observer.disconnect();
      const gc = pauses.filter((p) => p.startTime >= t0 && p.startTime <= t1).reduce((sum, p) => sum + p.duration, 0);
      runs.push(Math.max(0.001, (cpu.user + cpu.system) / 1000 - gc));
    }
    return { ms: Math.min(...runs), services, issues };
  }

  it('30 000 services validate in about linear time (10x the services: about 10x the work, not 100x)', async () => {
    const small = bigStack(3_000);
    const large = bigStack(30_000);
    await work(small); // warm up
    const a = await work(small);
    const b = await work(large);
    assert.equal(b.services, 30_000);
    const ratio = b.ms / a.ms;
    assert.ok(ratio < 14, `3 000 services: ${Math.round(a.ms)} ms, 30 000: ${Math.round(b.ms)} ms (ratio ${ratio.toFixed(1)})`);
  });

  it('a file with 30 000 problems is reported in about linear time too', async () => {
    const broken = (n: number) => {
      const lines = ['version: 1', 'name: big', 'services:'];
      for (let i = 0; i < n; i++) lines.push(`  svc-${i}:`, `    command: [node, s${i}.js]`, '    comand: typo');
      return yaml(...lines);
    };
    const small = broken(3_000);
    const large = broken(30_000);
    await work(small); // warm up
    const a = await work(small);
    const b = await work(large);
    assert.equal(b.issues, 30_000);
    const ratio = b.ms / a.ms;
    assert.ok(ratio < 14, `3 000 problems: ${Math.round(a.ms)} ms, 30 000: ${Math.round(b.ms)} ms (ratio ${ratio.toFixed(1)})`);
  });

  it('still reports a duplicate key (found without comparing every pair of keys)', () => {
    const text = bigStack(2_000, false).replace('  svc-1999:', '  svc-3:');
    const issue = oneIssue(text);
    assert.equal(issue.message, 'duplicate key "svc-3"');
    assert.equal(issue.path, 'services.svc-3');
  });
});
