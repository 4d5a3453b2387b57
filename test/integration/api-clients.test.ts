/**
 * The API's clients outside Opsdeck against a live engine (socket and TCP listener): the public
 * entry `opsdeck/client` (dist/client.js with its declarations in dist/types, as package.json
 * `exports` names them) and the stdlib Python client clients/python/opsdeck_client.py.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { socketPath } from '../../src/core/stack-lock';
import { listeningHost, type ListeningHost } from '../helpers/api-listener';
import { NODE } from '../helpers/stack';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/clients');
const run = promisify(execFile);

describe('API clients outside Opsdeck (real engine host, socket and TCP listener)', function () {
  this.timeout(120_000);
  let h: ListeningHost;

  before(async () => {
    h = await listeningHost('clients');
  });

  after(async () => {
    await h?.stop();
  });

  it('package.json exports opsdeck/client: the bundle npm run build writes, and declarations', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; default: string }> };
    assert.deepEqual(pkg.exports['./client'], { types: './dist/types/core/client/public.d.ts', default: './dist/client.js' });
    assert.ok(existsSync(join(ROOT, 'dist/client.js')), 'dist/client.js: run npm run build');
  });

  it('opsdeck/client: a TypeScript program type-checks against its declarations and runs over the socket and TCP', async () => {
    // The declarations (what --production builds write), then the consumer checked against them.
    await run(NODE, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.client-types.json')], { cwd: ROOT });
    await run(NODE, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(FIXTURES, 'tsconfig.json')], { cwd: ROOT });
    const { stdout } = await run(NODE, ['--import', 'tsx', join(FIXTURES, 'consumer.ts'), socketPath(h.t.dir), h.base, h.tokens().read], { cwd: ROOT });
    assert.deepEqual(JSON.parse(stdout), { stack: 'clients', plan: ['restart web'], scraped: true, refused: 'FORBIDDEN' });
  });

  it('opsdeck/client from plain CommonJS: require() gives the client and the error type', async () => {
    const script = `const c = require('opsdeck/client'); c.ApiClient && new c.ApiClient(process.argv[1]).status().then((s) => console.log(s.stack, typeof c.OpsError, typeof c.tcpFetch));`;
    const { stdout } = await run(NODE, ['-e', script, socketPath(h.t.dir)], { cwd: ROOT });
    assert.equal(stdout.trim(), 'clients function function');
  });

  it('the Python client (stdlib only): socket without a token, TCP with the full and read-only tokens, errors as OpsdeckError', async () => {
    const { full, read } = h.tokens();
    const { stdout } = await run('python3', [join(FIXTURES, 'python_client_check.py'), socketPath(h.t.dir), h.base, full, read], { cwd: ROOT });
    assert.deepEqual(JSON.parse(stdout), {
      status_stack: 'clients',
      health_level: 'OK',
      restart_plan: ['restart web'],
      logs_service: 'web',
      unknown: [404, 'SERVICE_UNKNOWN', 'the services are web'],
      tcp_down_plan: ['stop web'],
      scrape_has_opsdeck: true,
      read_stop: [403, 'FORBIDDEN'],
      wrong: [401, 'UNAUTHORIZED'],
      gone: 'ENGINE_UNREACHABLE',
    });
    assert.equal((await h.socket.status()).services[0]!.state, 'ready', 'the dry runs and refusals changed nothing');
  });
});
