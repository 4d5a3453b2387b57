/**
 * The control API's TCP listener (api.listen) and its bearer tokens, on a real engine host with a
 * real service: 401 without or with a wrong token, the read-only token reads but changes nothing,
 * rotation drops the old token at once, the unix socket needs none, and the CLI's `opsdeck api`.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../../src/core/client/api-client';
import { EngineHost } from '../../src/core/host/engine-host';
import { OpsError } from '../../src/core/errors';
import { rotateTokens, tokenFile } from '../../src/core/api/tokens';
import { socketPath } from '../../src/core/stack-lock';
import { cliAsync as cli } from '../helpers/built-cli';
import { listeningHost, type ListeningHost } from '../helpers/api-listener';
import { NODE, tempStack, type TempStack } from '../helpers/stack';

interface Answer {
  status: number;
  challenge: string | null;
  body: unknown;
}

describe('control API over TCP with bearer tokens (real engine host, real service)', function () {
  this.timeout(60_000);
  let h: ListeningHost;
  let t: TempStack;
  let base: string;
  let socket: ApiClient;

  async function call(method: string, path: string, token?: string, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, challenge: res.headers.get('www-authenticate'), body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  }
  const code = (a: Answer) => (a.body as { error?: { code: string } }).error?.code;
  const tokens = () => h.tokens();
  const stateOf = async (name: string) => (await socket.status()).services.find((s) => s.name === name)?.state;

  before(async () => {
    h = await listeningHost('tokens');
    ({ t, base, socket } = h);
  });

  after(async () => {
    await h?.stop();
  });

  it('serves on the configured address and keeps the tokens 0600 under .opsdeck/', () => {
    assert.equal(base, `http://${t.stack.config.api.listen}`);
    assert.equal(statSync(tokenFile(t.dir)).mode & 0o777, 0o600);
    assert.match(tokens().full, /^opsdeck_full_[A-Za-z0-9_-]{43}$/);
    assert.match(tokens().read, /^opsdeck_read_[A-Za-z0-9_-]{43}$/);
  });

  it('answers 401 with WWW-Authenticate to a request without a token, a wrong token or another scheme', async () => {
    const none = await call('GET', '/v1/status');
    assert.equal(none.status, 401);
    assert.equal(none.challenge, 'Bearer realm="opsdeck"');
    assert.equal(code(none), 'UNAUTHORIZED');
    const wrong = await call('GET', '/v1/status', `${tokens().full.slice(0, -1)}x`);
    assert.equal(wrong.status, 401);
    assert.equal(wrong.challenge, 'Bearer realm="opsdeck", error="invalid_token"');
    const basic = await fetch(`${base}/metrics`, { headers: { authorization: `Basic ${Buffer.from(`x:${tokens().full}`).toString('base64')}` } });
    assert.equal(basic.status, 401);
    // A wrong token is refused before the route runs: a POST changes nothing.
    assert.equal((await call('POST', '/v1/stack/down', 'nope', {})).status, 401);
    assert.equal(await stateOf('web'), 'ready');
  });

  it('lets the read-only token GET status and scrape /metrics', async () => {
    const status = await call('GET', '/v1/status', tokens().read);
    assert.equal(status.status, 200);
    assert.equal((status.body as { stack: string }).stack, 'tokens');
    const scrape = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${tokens().read}` } });
    assert.equal(scrape.status, 200);
    assert.match(scrape.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(await scrape.text(), /^# (HELP|TYPE) opsdeck_/m);
  });

  it('refuses the read-only token every request that changes something (403) and nothing changes', async () => {
    const { read } = tokens();
    const profileBefore = (await socket.profiles()).active;
    for (const [method, path, body] of [
      ['POST', '/v1/stack/down', {}],
      ['POST', '/v1/services/web/stop', undefined],
      ['PUT', '/v1/profile', { name: 'none' }],
      ['POST', '/v1/api/tokens/rotate', {}],
      ['DELETE', '/v1/silences/x', undefined],
    ] as const) {
      const a = await call(method, path, read, body);
      assert.equal(a.status, 403, `${method} ${path}`);
      assert.equal(code(a), 'FORBIDDEN');
      assert.equal(a.challenge, 'Bearer realm="opsdeck", error="insufficient_scope", scope="full"');
    }
    assert.equal(await stateOf('web'), 'ready');
    assert.equal((await socket.profiles()).active, profileBefore);
    assert.equal(tokens().read, read, 'the tokens were not rotated');
    // The typed client over TCP says the same.
    const client = ApiClient.overTcp(base, read);
    await assert.rejects(client.down(), (e: unknown) => e instanceof OpsError && e.code === 'FORBIDDEN');
    assert.equal((await client.health()).level, 'OK');
  });

  it('lets the full token change things, but never hands out tokens over TCP', async () => {
    const client = ApiClient.overTcp(base, tokens().full);
    const plan = await client.restart('web', true);
    assert.deepEqual(plan.plan.map((p) => `${p.action} ${p.service}`), ['restart web']);
    for (const [method, path] of [['GET', '/v1/api/tokens'], ['POST', '/v1/api/tokens/rotate']] as const) {
      const a = await call(method, path, tokens().full, method === 'POST' ? {} : undefined);
      assert.equal(a.status, 403, path);
      assert.match((a.body as { error: { message: string } }).error.message, /unix socket only/);
    }
    assert.deepEqual(await client.apiAccess(), { socket: socketPath(t.dir), listen: t.stack.config.api.listen, url: base, tokenFile: tokenFile(t.dir), rotatedAt: tokens().rotatedAt });
  });

  it('keeps the unix socket open without a token, tokens included', async () => {
    assert.equal((await socket.status()).stack, 'tokens');
    assert.deepEqual(await socket.apiTokens(), tokens());
  });

  it('drops a rotated token at once: through the socket route, and when the file is rewritten (the CLI without an engine)', async () => {
    const old = tokens();
    const dry = await socket.rotateApiTokens('read', true);
    assert.deepEqual(dry, { dryRun: true, rotated: ['read'] });
    assert.deepEqual(tokens(), old, 'a dry run changes nothing');
    const rotated = await socket.rotateApiTokens('read');
    assert.equal(rotated.tokens!.full, old.full, 'only the read token was replaced');
    assert.notEqual(rotated.tokens!.read, old.read);
    assert.equal((await call('GET', '/metrics', old.read)).status, 401);
    assert.equal((await call('GET', '/metrics', rotated.tokens!.read)).status, 200);
    assert.equal((await call('GET', '/v1/status', old.full)).status, 200);

    const again = rotateTokens(t.dir);
    assert.equal((await call('GET', '/v1/status', old.full)).status, 401);
    assert.equal((await call('GET', '/v1/status', rotated.tokens!.read)).status, 401);
    assert.equal((await call('GET', '/v1/status', again.full)).status, 200);
    assert.equal(statSync(tokenFile(t.dir)).mode & 0o777, 0o600);
  });

  it('refuses every request while the token file is damaged, saying how to make new tokens', async () => {
    const { writeFileSync } = await import('node:fs');
    const old = tokens();
    writeFileSync(tokenFile(t.dir), 'not json');
    const a = await call('GET', '/v1/status', old.full);
    assert.equal(a.status, 500);
    assert.equal(code(a), 'CONFIG_INVALID');
    assert.match((a.body as { error: { hint: string } }).error.hint, /opsdeck api token rotate/);
    const fresh = rotateTokens(t.dir);
    assert.equal((await call('GET', '/v1/status', fresh.full)).status, 200);
    assert.equal((await call('GET', '/v1/status', old.full)).status, 401);
  });

  it('opsdeck api (the built CLI): info, token show --scope, rotate --dry-run, a bad scope changes nothing', async () => {
    const info = await cli(t.dir, 'api', 'info', '--json');
    assert.equal(info.code, 0, info.stderr);
    assert.equal(JSON.parse(info.stdout).url, base);
    const shown = await cli(t.dir, 'api', 'token', 'show', '--scope', 'read');
    assert.equal(shown.stdout, `${tokens().read}\n`);
    const before = tokens();
    const dry = await cli(t.dir, 'api', 'token', 'rotate', '--dry-run', '--json');
    assert.deepEqual(JSON.parse(dry.stdout), { dryRun: true, rotated: ['full', 'read'] });
    const bad = await cli(t.dir, 'api', 'token', 'rotate', '--scope', 'admin');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--scope admin is not a token scope/);
    assert.match(bad.stderr, /full, read or all/);
    assert.deepEqual(tokens(), before);
    const real = await cli(t.dir, 'api', 'token', 'rotate', '--scope', 'full');
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, /replaced the full token/);
    assert.notEqual(tokens().full, before.full);
    assert.equal(tokens().read, before.read);
  });
});

describe('control API TCP listener: an address in use', function () {
  this.timeout(30_000);
  it('fails the engine start with CONFIG_INVALID naming api.listen, and leaves no socket or lock behind', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const t = tempStack({ version: 1, name: 'busy', api: { listen: `127.0.0.1:${port}` }, services: { a: { command: [NODE, '-e', 'setInterval(()=>{},1000)'] } } });
    try {
      await assert.rejects(EngineHost.start(t.dir, { owner: 'test', version: 'test' }), (e: unknown) => e instanceof OpsError && e.code === 'CONFIG_INVALID' && /api\.listen 127\.0\.0\.1:\d+: the port is in use/.test(e.message));
      // The stack is free again: the next start (without the listener) works.
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(t.dir, 'opsdeck.yaml'), 'version: 1\nname: busy\nservices:\n  a:\n    command: [node, -e, "setInterval(()=>{},1000)"]\n');
      const host = await EngineHost.start(t.dir, { owner: 'test', version: 'test' });
      assert.equal(host.apiUrl, undefined);
      await host.stop();
    } finally {
      blocker.close();
      t.cleanup();
    }
  });
});
