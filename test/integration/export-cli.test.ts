/**
 * `opsdeck export` through the built CLI (dist/cli.js), on a copy of examples/default: it writes
 * the files and its report, `--json` answers the result, `--dry-run` writes nothing, and bad input
 * (a service without an image, an unknown target) is a clear error, exit 1, nothing written.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ExportResult } from '../../src/core/contract/export';
import { buildBundles, cli } from '../helpers/built-cli';

const EXAMPLE = resolve(import.meta.dirname, '../../examples/default');

describe('opsdeck export (built CLI)', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => buildBundles());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'opsdeck-export-cli-'));
    cpSync(EXAMPLE, join(dir, 'stack'), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the Compose export into .opsdeck/export/compose and reports what does not map', () => {
    const r = cli(join(dir, 'stack'), 'export', 'compose', '--base-image', 'node:20-bookworm-slim', '--check');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /check \(docker-compose config -q\): ok/);
    assert.match(r.stdout, /not mapped: \d+ keys\n {2}alerts: /);
    assert.match(r.stdout, /STORAGE_URL: 127\.0\.0\.1:7101 → storage:7101/);
    assert.match(readFileSync(join(dir, 'stack/.opsdeck/export/compose/compose.yaml'), 'utf8'), /condition: service_healthy/);
  });

  it('--json answers the result; --dry-run writes nothing', () => {
    writeFileSync(join(dir, 'images.yaml'), 'default: node:20-bookworm-slim\nopsdeck: opsdeck:0.1\n');
    const r = cli(join(dir, 'stack'), 'export', 'kubernetes', '--image-map', join(dir, 'images.yaml'), '--out', join(dir, 'k8s'), '--json', '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as ExportResult;
    assert.equal(result.dryRun, true);
    assert.ok(result.written.includes('storage.yaml'));
    assert.ok(result.lines.some((l) => l.key === 'services.<name>.restart.backoff' && l.status === 'not-mapped'));
    assert.ok(!existsSync(join(dir, 'k8s')));
  });

  it('a service without an image: exit 1, the services named, nothing written (and as JSON)', () => {
    const r = cli(join(dir, 'stack'), 'export', 'compose', '--out', join(dir, 'out'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: no image for storage, messaging, api/);
    assert.match(r.stderr, /hint: give --image-map FILE/);
    const j = cli(join(dir, 'stack'), 'export', 'compose', '--out', join(dir, 'out'), '--json');
    assert.equal(j.code, 1);
    assert.equal((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'EXPORT_IMAGE_MISSING');
    assert.ok(!existsSync(join(dir, 'out')));
  });

  it('a failed --check: exit 1, the problems printed, nothing written', () => {
    const long = 'a-service-whose-name-is-longer-than-a-statefulset-may-be';
    writeFileSync(join(dir, 'opsdeck.yaml'), `version: 1\nname: long\nservices:\n  ${long}:\n    command: [node, s.cjs]\n    backup: { sqlite: [data/s.db] }\n`);
    const r = cli(dir, 'export', 'kubernetes', '--base-image', 'node:20', '--check', '--out', join(dir, 'k8s'));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /check \(the Kubernetes OpenAPI schemas .*\): FAILED\n .*longer than 52 characters/);
    assert.match(r.stdout, /nothing written: the output does not validate/);
    assert.ok(!existsSync(join(dir, 'k8s')));
  });

  it('an unknown target: exit 1 with the targets as the hint', () => {
    const r = cli(join(dir, 'stack'), 'export', 'helm', '--base-image', 'node:20');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown export target "helm"\nhint: the targets are compose and kubernetes/);
    assert.ok(!existsSync(join(dir, 'stack/.opsdeck/export')));
  });
});
