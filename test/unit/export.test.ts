/**
 * `opsdeck export` (src/core/export), with the real tools: examples/default and
 * examples/real-servers export to Compose and Kubernetes and validate (`docker-compose config -q`,
 * the Kubernetes OpenAPI schemas of kubernetes-models); examples/default's output equals the
 * golden files in test/fixtures/export/default (UPDATE_GOLDEN=1 rewrites them); every key of the
 * config schema has a line of the mapping table, docs/export.md holds the table as it is, and a
 * stack writing every key gets a mapped or named not-mapped line for each; bad input is a clear
 * error and writes nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OpsError } from '../../src/core/errors';
import { exportStack, type ExportOptions } from '../../src/core/export';
import { checkCompose } from '../../src/core/export/compose-check';
import { configKeyPaths, covers } from '../../src/core/export/config-keys';
import { checkKubernetes } from '../../src/core/export/kubernetes-check';
import { MAPPING_TABLE, mappingTableMarkdown, tableLineFor } from '../../src/core/export/mapping-table';
import { EXPORT_TARGETS, type ExportTarget } from '../../src/core/contract/export';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLES = { default: join(ROOT, 'examples/default'), 'real-servers': join(ROOT, 'examples/real-servers') };
const EVERY_KEY = join(ROOT, 'test/fixtures/export/every-key.yaml');
const GOLDEN = join(ROOT, 'test/fixtures/export/default');
const IMAGES = { default: 'node:20-bookworm-slim', opsdeck: 'opsdeck:0.1', services: {} };

describe('opsdeck export', function () {
  this.timeout(60_000);
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'opsdeck-export-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  const run = (stack: string, target: ExportTarget, opts: Partial<ExportOptions> = {}) => exportStack(stack, { target, imageMap: structuredClone(IMAGES), outDir: join(tmp, target), ...opts });

  for (const [name, dir] of Object.entries(EXAMPLES)) {
    for (const target of EXPORT_TARGETS) {
      it(`examples/${name} exports to ${target} and validates with the target's own schema`, async () => {
        const r = await run(dir, target, { check: true });
        assert.equal(r.check?.ok, true, r.check?.problems.join('\n'));
        assert.ok(r.written.length >= 2);
        for (const f of r.written) assert.ok(existsSync(join(tmp, target, f)), f);
      });
    }
  }

  for (const target of EXPORT_TARGETS) {
    it(`examples/default's ${target} export equals the golden files`, async () => {
      // The output folder where the CLI puts it by default, so the Compose bind mount reads the same everywhere.
      const r = await exportStack(EXAMPLES.default, { target, imageMap: structuredClone(IMAGES), outDir: join(EXAMPLES.default, '.opsdeck/export', target), dryRun: true });
      const dir = join(GOLDEN, target);
      if (process.env.UPDATE_GOLDEN) {
        rmSync(dir, { recursive: true, force: true });
        for (const f of r.files) {
          mkdirSync(join(dir, f.path, '..'), { recursive: true });
          writeFileSync(join(dir, f.path), f.text);
        }
      }
      for (const f of r.files) assert.equal(f.text, readFileSync(join(dir, f.path), 'utf8'), `${target}/${f.path} differs from the golden file (UPDATE_GOLDEN=1 rewrites them)`);
      const report = r.lines.map((l) => `${l.key}\t${l.status}\t${l.to}${l.services ? `\t${l.services.join(',')}` : ''}`).join('\n') + '\n';
      if (process.env.UPDATE_GOLDEN) writeFileSync(join(GOLDEN, `${target}.report.tsv`), report);
      assert.equal(report, readFileSync(join(GOLDEN, `${target}.report.tsv`), 'utf8'));
    });
  }

  it('every key path of the config schema has a line of the mapping table, and every line covers a key', () => {
    const keys = configKeyPaths();
    assert.ok(keys.length > 200, `only ${keys.length} keys read from the schema`);
    assert.deepEqual(keys.filter((k) => !tableLineFor(k)), [], 'keys with no line in src/core/export/mapping-table.ts');
    assert.deepEqual(MAPPING_TABLE.filter((l) => !keys.some((k) => covers(l.key, k))).map((l) => l.key), [], 'lines that cover no key of the schema');
  });

  it('docs/export.md holds the mapping table as the code has it', () => {
    const doc = readFileSync(join(ROOT, 'docs/export.md'), 'utf8');
    assert.ok(doc.includes(mappingTableMarkdown()), 'docs/export.md: paste mappingTableMarkdown() (src/core/export/mapping-table.ts) into "The mapping table"');
  });

  for (const target of EXPORT_TARGETS) {
    it(`a stack writing every key gets, for ${target}, a mapped or named not-mapped line for each, validates, and never writes a secret`, async () => {
      const r = await run(EVERY_KEY, target, { check: true });
      assert.equal(r.check?.ok, true, r.check?.problems.join('\n'));
      const reported = new Set(r.lines.map((l) => l.key));
      // The schema has the key, but its check refuses it: a log probe can only be a readiness probe.
      const unreachable = ['services.<name>.health.liveness.log'];
      assert.deepEqual(MAPPING_TABLE.map((l) => l.key).filter((k) => !reported.has(k) && !unreachable.includes(k)), [], 'table lines the every-key stack does not reach');
      for (const l of r.lines) assert.ok(l.to.length > 10 && ['mapped', 'not-mapped'].includes(l.status), l.key);
      const all = r.files.map((f) => f.text).join('\n');
      for (const secret of ['s3cret-never-exported', 't0ken-never-exported']) assert.ok(!all.includes(secret), `${secret} is in the export`);
      const secrets = readFileSync(join(tmp, target, 'secrets/web.env'), 'utf8');
      assert.match(secrets, /^API_TOKEN=$/m);
      assert.equal(statSync(join(tmp, target, 'secrets/web.env')).mode & 0o777, 0o600);
      assert.ok(r.notes.some((n) => n.includes('DB_URL: 127.0.0.1:7201 → db:7201')), r.notes.join('\n'));
    });
  }

  it('Compose: depends_on conditions, healthcheck, restart, limits, env_file and profiles', async () => {
    const r = await run(EVERY_KEY, 'compose');
    const text = r.files.find((f) => f.path === 'compose.yaml')!.text;
    assert.match(text, /db:\n\s+condition: service_healthy/);
    assert.match(text, /init:\n\s+condition: service_completed_successfully/);
    assert.match(text, /web:\n\s+condition: service_started/);
    assert.match(text, /mem_limit: 512m/);
    assert.match(text, /nofile:\n\s+soft: 4096\n\s+hard: 4096/);
    assert.match(text, /restart: "no"/);
    assert.match(text, /env_file:\n\s+- secrets\/web.env/);
    assert.match(text, /profiles:\n\s+- full/);
    assert.match(r.files.find((f) => f.path === '.env')!.text, /^COMPOSE_PROFILES=full$/m);
  });

  it('Kubernetes: StatefulSet with claims, Job, init containers, probes, CronJobs, Secrets referenced', async () => {
    const r = await run(EVERY_KEY, 'kubernetes');
    const text = (p: string) => r.files.find((f) => f.path === p)!.text;
    assert.match(text('db.yaml'), /kind: StatefulSet/);
    assert.match(text('db.yaml'), /claimName: db-db-data/);
    assert.match(text('db.yaml'), /startupProbe:\n\s+exec:/);
    assert.match(text('web.yaml'), /name: run-init/);
    assert.match(text('web.yaml'), /name: wait-for-db/);
    assert.match(text('web.yaml'), /secretKeyRef:\n\s+name: web-secrets\n\s+key: API_TOKEN/);
    assert.match(text('stack.yaml'), /kind: CronJob[\s\S]*schedule: 15 \* \* \* \*[\s\S]*backups forget --prune/);
    assert.match(text('stack.yaml'), /backups verify --read-data-subset 10%/);
    assert.ok(!r.files.some((f) => f.path === 'init.yaml'), 'init runs as an init container only');
  });

  describe('bad input: a clear error, nothing written', () => {
    const rejects = async (what: Promise<unknown>, code: string, message: RegExp) => {
      await assert.rejects(what, (e: unknown) => e instanceof OpsError && e.code === code && message.test(e.message) && !!e.hint);
      for (const t of EXPORT_TARGETS) assert.ok(!existsSync(join(tmp, t)), `${t} output folder written`);
    };
    it('an unknown target', () => rejects(run(EXAMPLES.default, 'swarm' as ExportTarget), 'BAD_REQUEST', /unknown export target "swarm"/));
    it('an unknown profile', () => rejects(run(EXAMPLES.default, 'compose', { profile: 'prod' }), 'PROFILE_UNKNOWN', /no profile named "prod"/));
    it('services without an image, named', () => rejects(run(EXAMPLES.default, 'compose', { imageMap: { services: { storage: { image: 'x:1', runsCommand: false } } } }), 'EXPORT_IMAGE_MISSING', /no image for messaging, api/));
    it('no image for the backup CronJobs', () => rejects(run(EXAMPLES.default, 'kubernetes', { imageMap: { default: 'node:20', services: {} } }), 'EXPORT_IMAGE_MISSING', /backup CronJobs/));
    it('an image map that is not YAML', async () => {
      writeFileSync(join(tmp, 'bad.yaml'), 'default: [unclosed\n');
      await rejects(run(EXAMPLES.default, 'compose', { imageMap: join(tmp, 'bad.yaml') }), 'EXPORT_IMAGE_MAP_INVALID', /is not YAML or JSON/);
    });
    it('an image map with an unknown key', async () => {
      writeFileSync(join(tmp, 'bad.json'), JSON.stringify({ defaults: 'node:20' }));
      await rejects(run(EXAMPLES.default, 'compose', { imageMap: join(tmp, 'bad.json') }), 'EXPORT_IMAGE_MAP_INVALID', /defaults/);
    });
    it('an image map naming a service the stack does not have', async () => {
      writeFileSync(join(tmp, 'typo.yaml'), 'default: node:20\nservices: { storge: redis:7 }\n');
      await rejects(run(EXAMPLES.default, 'compose', { imageMap: join(tmp, 'typo.yaml') }), 'EXPORT_IMAGE_MAP_INVALID', /"storge"/);
    });
    it('an image map file that does not exist', () => rejects(run(EXAMPLES.default, 'compose', { imageMap: join(tmp, 'none.yaml') }), 'EXPORT_IMAGE_MAP_INVALID', /cannot read the image map/));
  });

  it('the checks find problems: docker-compose rejects a wrong condition, the schemas a wrong port type', async () => {
    const compose = await checkCompose([{ path: 'compose.yaml', role: 'x', text: 'services:\n  a:\n    image: x\n    depends_on:\n      b: { condition: service_ready }\n  b:\n    image: y\n' }]);
    assert.equal(compose.ok, false);
    assert.ok(compose.problems.some((p) => /condition/.test(p)), compose.problems.join('\n'));
    const k8s = await checkKubernetes([
      { path: 'a.yaml', role: 'x', text: 'apiVersion: v1\nkind: Service\nmetadata: { name: Bad_Name }\nspec: { ports: [{ port: "web" }] }\n' },
    ]);
    assert.equal(k8s.ok, false);
    assert.ok(k8s.problems.some((p) => /port/.test(p)) && k8s.problems.some((p) => /Bad_Name/.test(p)), k8s.problems.join('\n'));
  });

  it('a failed check writes nothing: a StatefulSet name longer than Kubernetes allows', async () => {
    const long = 'a-service-whose-name-is-longer-than-a-statefulset-may-be';
    const file = join(tmp, 'opsdeck.yaml');
    writeFileSync(file, `version: 1\nname: long\nservices:\n  ${long}:\n    command: [node, s.cjs]\n    backup: { sqlite: [data/s.db] }\n`);
    const r = await exportStack(file, { target: 'kubernetes', imageMap: structuredClone(IMAGES), outDir: join(tmp, 'out'), check: true });
    assert.equal(r.check?.ok, false);
    assert.ok(r.check.problems.some((p) => p.includes(`"${long}" is longer than 52 characters`)), r.check.problems.join('\n'));
    assert.deepEqual(r.written, []);
    assert.ok(!existsSync(join(tmp, 'out')));
  });

  it('a secrets file that exists is kept, not overwritten', async () => {
    const out = join(tmp, 'compose');
    mkdirSync(join(out, 'secrets'), { recursive: true });
    writeFileSync(join(out, 'secrets/web.env'), 'API_TOKEN=filled-in\n');
    const r = await run(EVERY_KEY, 'compose');
    assert.ok(r.kept.includes('secrets/web.env'));
    assert.equal(readFileSync(join(out, 'secrets/web.env'), 'utf8'), 'API_TOKEN=filled-in\n');
  });
});
