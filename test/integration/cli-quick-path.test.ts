import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildBundles, cli } from '../helpers/built-cli';
import { NODE, tempStack, type TempStack } from '../helpers/stack';

/**
 * `opsdeck status`, `health` and `profile list` of a running engine are answered by dist/cli.js
 * alone, `report` by dist/cli.js and dist/cli-report.js, the backup commands by dist/cli-backup.js: what that bundle holds (its source map lists every file in it), and what a run loads
 * (a --require hook writes the files in require.cache and Node's list of its own modules at exit).
 */
const ROOT = resolve(import.meta.dirname, '../..');
const DIST = join(ROOT, 'dist');

/** Files that must not be in dist/cli.js: the engine and everything only the program needs. */
const HEAVY = [
  /node_modules\//, // zod, yaml, commander, hono, execa, croner, node-sqlite3-wasm…
  /src\/core\/(engine|supervisor|backup|memory|metrics|api\/routes|contract\/schemas|host\/open-stack|host\/engine-host)\b/,
  /src\/core\/config\/(load|schema)/,
  /src\/cli\/(program|up|backup|init|validate|memory|logs|status|profile)\.ts$/,
];

interface Loaded {
  files: string[];
  builtins: string[];
}

describe('opsdeck status / health / profile list: the quick path (the built CLI, a real engine)', function () {
  this.timeout(120_000);
  let t: TempStack;
  let hook: string;

  /** `opsdeck …args` with the hook: what it printed, and what it loaded. */
  const traced = (...args: string[]) => {
    const out = join(t.dir, 'loaded.json');
    const r = spawnSync(NODE, ['--require', hook, join(DIST, 'cli.js'), ...args], {
      cwd: t.dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1', OPSDECK_TEST_LOADED: out },
    });
    const loaded = JSON.parse(readFileSync(out, 'utf8')) as Loaded;
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, dist: loaded.files.filter((f) => f.startsWith(DIST + '/')).map((f) => f.slice(DIST.length + 1)), builtins: loaded.builtins };
  };

  before(() => {
    buildBundles();
    t = tempStack({
      version: 1,
      name: 'quick',
      services: {
        web: { command: [NODE, '-e', "console.log('ready'); setInterval(() => {}, 1000)"], health: { readiness: { log: 'ready' } }, stop_grace: '2s' },
        idle: { command: [NODE, '-e', 'setInterval(() => {}, 1000)'] },
      },
      profiles: { all: { services: ['web'] } },
    });
    hook = join(t.dir, 'loaded-hook.cjs');
    writeFileSync(
      hook,
      `process.on('exit', () => require('node:fs').writeFileSync(process.env.OPSDECK_TEST_LOADED, JSON.stringify({ files: Object.keys(require.cache), builtins: process.moduleLoadList ?? [] })));\n`,
    );
  });
  after(() => {
    cli(t.dir, 'down');
    t.cleanup();
  });

  it('dist/cli.js holds the quick path and none of the engine, the config schemas, YAML or the backups', () => {
    const sources = (JSON.parse(readFileSync(join(DIST, 'cli.js.map'), 'utf8')) as { sources: string[] }).sources.map((s) => resolve(DIST, s).slice(ROOT.length + 1));
    assert.ok(sources.includes('src/cli/quick-path.ts'), sources.join('\n'));
    const heavy = sources.filter((s) => HEAVY.some((re) => re.test(s)));
    assert.deepEqual(heavy, [], 'dist/cli.js holds modules only the program needs');
  });

  it('with an engine running, they are answered without loading the program (dist/cli-program.js) or the fetch classes', () => {
    assert.equal(cli(t.dir, 'up', '--detach').code, 0);
    const status = traced('status', '--json');
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as { running: boolean; stack: string; services: { name: string; state: string }[] };
    assert.deepEqual([s.running, s.stack, s.services.map((x) => [x.name, x.state])], [true, 'quick', [['web', 'ready'], ['idle', 'stopped']]]);
    const one = traced('status', 'web');
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^quick: 1\/1 ready · health OK · IPC \d+ · profile all · engine pid \d+\n\s*SERVICE.*\n\s*web\s+\S+\s+ready\b[^\n]*\n$/);
    for (const run of [status, one, traced('status'), traced('health', 'web', '--json'), traced('profile', 'list')]) {
      assert.deepEqual(run.dist, ['cli.js'], `only dist/cli.js is loaded:\n${run.stdout}${run.stderr}`);
      // Request / Response / Headers are undici's, which Node loads on first use (internal/deps/undici).
      assert.deepEqual(run.builtins.filter((m) => /undici/.test(m)), [], 'no fetch classes');
    }
    assert.match(traced('profile', 'list').stdout, /^\s+PROFILE\s+SERVICES\n\*\s+all\s+web\n$/);
    const typo = traced('health', 'wbe');
    assert.deepEqual([typo.code, typo.stdout, typo.dist], [2, '', ['cli.js']]);
    assert.match(typo.stderr, /no service named "wbe"[\s\S]*did you mean `web`\?/);
    // a service outside the active profile is known: not running, so UNKNOWN (exit 3), not a typo
    const outside = traced('health', 'idle', '--json');
    assert.equal(outside.code, 3, outside.stderr);
    assert.deepEqual(JSON.parse(outside.stdout), { level: 'UNKNOWN', summary: '0/1 OK (idle UNKNOWN)', services: [{ service: 'idle', level: 'UNKNOWN', reason: 'not running (outside the active profile)' }] });
    // listing only a service outside the active profile: the headline says so, not `0/0 ready`
    const outsideStatus = traced('status', 'idle');
    assert.equal(outsideStatus.code, 0, outsideStatus.stderr);
    assert.match(outsideStatus.stdout, /^quick: 1 outside the active profile · health UNKNOWN · IPC \d+ · profile all · engine pid \d+\n\s*SERVICE.*\n\s*idle\s+\S+\s+stopped\b/);
    const statusTypo = traced('status', 'wbe', '--json');
    assert.deepEqual([statusTypo.code, statusTypo.stdout, statusTypo.dist], [1, '', ['cli.js']]);
    assert.match(statusTypo.stderr, /^error: no service named "wbe" in stack quick\nhint: did you mean `web`\?/);
  });

  it('`report` is answered by dist/cli-report.js (the program shell with that command alone), through the running engine or without one', () => {
    const viaEngine = traced('report', '--period', 'day', '--json');
    assert.equal(viaEngine.code, 0, viaEngine.stderr);
    assert.deepEqual(viaEngine.dist, ['cli.js', 'cli-report.js']);
    assert.equal((JSON.parse(viaEngine.stdout) as { stack: string; period: string }).stack, 'quick');
    const help = traced('report', '--help');
    assert.deepEqual(help.dist, ['cli.js', 'cli-report.js']);
    assert.match(help.stdout, /^Usage: opsdeck report \[options\]\n[\s\S]*Examples:/);
    const bad = traced('report', '--period', 'fortnight');
    assert.deepEqual([bad.code, bad.stdout, bad.dist], [1, '', ['cli.js', 'cli-report.js']]);
    assert.match(bad.stderr, /argument 'fortnight' is invalid\. Allowed choices are day, week, month\.\n\(run opsdeck --help for usage\)/);
    // The program's own help (which lists every command) stays the program's.
    const rootHelp = traced('--help', 'report');
    assert.deepEqual(rootHelp.dist, ['cli.js', 'cli-program.js']);
    assert.match(rootHelp.stdout, /maintain/);
  });

  it('`backup`, `backups …` and `restore` are answered by dist/cli-backup.js (the program shell with those commands alone)', () => {
    const list = traced('backups', 'list', '--json');
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.dist, ['cli.js', 'cli-backup.js']);
    const help = traced('restore', '--help');
    assert.deepEqual(help.dist, ['cli.js', 'cli-backup.js']);
    assert.match(help.stdout, /^Usage: opsdeck restore \[options\] <id>/);
    const bad = traced('backup', '--bogus');
    assert.deepEqual([bad.code, bad.stdout, bad.dist], [1, '', ['cli.js', 'cli-backup.js']]);
    assert.match(bad.stderr, /unknown option '--bogus'/);
    const rootHelp = traced('--help', 'backup');
    assert.deepEqual(rootHelp.dist, ['cli.js', 'cli-program.js'], "the program's own help stays the program's");
  });

  it('the program answers everything else, and these without an engine', () => {
    const help = traced('status', '--help');
    assert.deepEqual(help.dist, ['cli.js', 'cli-program.js']);
    assert.match(help.stdout, /^Usage: opsdeck status \[options\]/);
    assert.equal(cli(t.dir, 'down').code, 0);
    const report = traced('report', '--period', 'day', '--json');
    assert.equal(report.code, 0, report.stderr);
    assert.deepEqual(report.dist, ['cli.js', 'cli-report.js']);
    assert.equal((JSON.parse(report.stdout) as { stack: string }).stack, 'quick');
    const stopped = traced('status', '--json');
    assert.deepEqual(stopped.dist, ['cli.js', 'cli-program.js']);
    assert.equal((JSON.parse(stopped.stdout) as { running: boolean }).running, false);
    const named = traced('status', 'idle', '--json');
    assert.deepEqual((JSON.parse(named.stdout) as { services: { name: string; state: string }[] }).services, [{ name: 'idle', tier: 'server', state: 'stopped' }]);
    const typo = traced('status', 'idel');
    assert.deepEqual([typo.code, typo.stdout], [1, '']);
    assert.match(typo.stderr, /^error: no service named "idel" in stack quick\nhint: did you mean `idle`\?/);
    // a one-shot backup command opens the stack without serving it: no hono, no fetch classes
    const list = traced('backups', 'list', '--json');
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.dist, ['cli.js', 'cli-backup.js']);
    assert.deepEqual(list.builtins.filter((m) => /undici/.test(m)), [], 'no fetch classes loaded by a one-shot `backups list`');
  });

  it('`opsdeck` (dist/cli.js run as a program, as npm links it) starts Node with the CLI’s flags: a 1 MiB young generation', () => {
    const out = join(t.dir, 'argv.json');
    const hook = join(t.dir, 'argv-hook.cjs');
    writeFileSync(hook, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.execArgv)));\n`);
    const r = spawnSync(join(DIST, 'cli.js'), ['backups', 'list', '--json'], { cwd: t.dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: `--require ${hook}` } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(readFileSync(join(DIST, 'cli.js'), 'utf8').split('\n')[0]!, /^#!\/usr\/bin\/env -S node --max-semi-space-size=1$/);
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), ['--max-semi-space-size=1']);
  });

  it('the bundle a command needs is compiled once per build: V8’s code cache in ~/.cache/opsdeck/code-cache, none with OPSDECK_CODE_CACHE=off', () => {
    const home = join(t.dir, 'home');
    const run = (env: Record<string, string>, ...args: string[]) =>
      spawnSync(NODE, [join(DIST, 'cli.js'), ...args], { cwd: t.dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1', HOME: home, XDG_CACHE_HOME: '', OPSDECK_CODE_CACHE: '', ...env } });
    const cacheDir = join(home, '.cache', 'opsdeck', 'code-cache');
    const first = run({}, 'backups', 'list', '--json');
    assert.equal(first.status, 0, first.stderr);
    const files = () => (existsSync(cacheDir) ? readdirSync(cacheDir).sort() : []);
    assert.deepEqual(files(), [`cli-backup-node${process.versions.node}-${process.arch}.v8`]);
    const written = statSync(join(cacheDir, files()[0]!)).mtimeMs;
    const second = run({}, 'backups', 'list', '--json');
    assert.deepEqual([second.status, second.stdout], [0, first.stdout], 'the same answer from the cached code');
    assert.equal(statSync(join(cacheDir, files()[0]!)).mtimeMs, written, 'used, not written again');
    // made at exit, after the command pinned SQLite's compiler (a V8 flag, put back before): another
    // command adds what it compiled, once; a cache refused for its flags would be written every run
    const status = run({}, 'backups', 'status', '--json');
    assert.equal(status.status, 0, status.stderr);
    const added = statSync(join(cacheDir, files()[0]!));
    assert.ok(added.mtimeMs > written && added.size > 0, 'written again for a command it was not made for');
    assert.equal(run({}, 'backups', 'status', '--json').status, 0);
    assert.equal(run({}, 'backups', 'list', '--json').status, 0);
    assert.equal(statSync(join(cacheDir, files()[0]!)).mtimeMs, added.mtimeMs, 'both commands used it as it was');
    assert.equal(run({}, 'validate').status, 0);
    assert.deepEqual(files(), [`cli-backup-node${process.versions.node}-${process.arch}.v8`, `cli-program-node${process.versions.node}-${process.arch}.v8`]);
    rmSync(home, { recursive: true, force: true });
    const off = run({ OPSDECK_CODE_CACHE: 'off' }, 'backups', 'list', '--json');
    assert.deepEqual([off.status, off.stdout, existsSync(cacheDir)], [0, first.stdout, false]);
  });
});
