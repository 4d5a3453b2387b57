import assert from 'node:assert/strict';
import * as realCrypto from 'node:crypto';
import * as realHttp2 from 'node:http2';
import * as realHttps from 'node:https';
import { promisify } from 'node:util';
import * as lazyCrypto from '../../src/daemon/shims/lazy-crypto';
import * as lazyHttps from '../../src/daemon/shims/lazy-https';
import * as noHttp2 from '../../src/daemon/shims/no-http2';

/** The stand-ins scripts/build.mjs puts in the daemon's bundle answer like the modules they defer. */
describe('daemon bundle shims (lazy node:crypto and node:https, no node:http2)', () => {
  it('lazy crypto: hashes, HMACs, random values and scrypt as node:crypto does', async () => {
    assert.equal(lazyCrypto.createHash('sha256').update('abc').digest('hex'), realCrypto.createHash('sha256').update('abc').digest('hex'));
    assert.equal(lazyCrypto.createHmac('sha256', 'k').update('abc').digest('hex'), realCrypto.createHmac('sha256', 'k').update('abc').digest('hex'));
    assert.equal(lazyCrypto.randomBytes(16).length, 16);
    const n = lazyCrypto.randomInt(10);
    assert.ok(Number.isInteger(n) && n >= 0 && n < 10);
    assert.match(lazyCrypto.randomUUID(), /^[0-9a-f-]{36}$/);
    assert.ok(lazyCrypto.timingSafeEqual(Buffer.from('ab'), Buffer.from('ab')));
    const scrypt = promisify(lazyCrypto.scrypt) as (p: string, s: string, n: number) => Promise<Buffer>;
    assert.deepEqual(await scrypt('pw', 'salt', 16), await (promisify(realCrypto.scrypt) as typeof scrypt)('pw', 'salt', 16));
    const digest = Buffer.from(await lazyCrypto.webcrypto.subtle.digest('SHA-256', Buffer.from('abc'))).toString('hex');
    assert.equal(digest, realCrypto.createHash('sha256').update('abc').digest('hex'));
  });

  it('lazy crypto: AES-256-GCM through the stand-ins opens with node:crypto', () => {
    const key = lazyCrypto.randomBytes(32);
    const iv = lazyCrypto.randomBytes(12);
    const c = lazyCrypto.createCipheriv('aes-256-gcm', key, iv);
    const sealed = Buffer.concat([c.update('secret'), c.final()]);
    const d = realCrypto.createDecipheriv('aes-256-gcm', key, iv);
    d.setAuthTag(c.getAuthTag());
    assert.equal(Buffer.concat([d.update(sealed), d.final()]).toString(), 'secret');
    assert.throws(() => lazyCrypto.createCipheriv('aes-256-gcm', Buffer.alloc(3), iv), /Invalid key length/);
  });

  it('lazy https: an Agent is node:https\'s own, request makes a real ClientRequest', () => {
    const agent = new lazyHttps.Agent({ keepAlive: true });
    assert.ok(agent instanceof realHttps.Agent);
    assert.equal((agent as unknown as { keepAlive: boolean }).keepAlive, true);
    agent.destroy();
    const req = lazyHttps.request('https://127.0.0.1:9/', { agent: false });
    req.on('error', () => undefined);
    assert.equal(req.method, 'GET');
    req.destroy();
  });

  it('no http2: nothing is ever an Http2ServerRequest; the one constant is right', () => {
    assert.equal({} instanceof noHttp2.Http2ServerRequest, false);
    assert.equal(noHttp2.constants.NGHTTP2_NO_ERROR, realHttp2.constants.NGHTTP2_NO_ERROR);
  });
});
