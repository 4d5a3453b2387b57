import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { LightHeaders, LightRequest, LightResponse } from '../../src/daemon/web-classes';

/**
 * The daemon's small Headers / Request / Response (src/daemon/web-classes.ts) against Node's
 * own (undici), case by case: what a case returns must be the same with both.
 */
type Classes = { Headers: typeof Headers; Request: typeof Request; Response: typeof Response };
const light = { Headers: LightHeaders, Request: LightRequest, Response: LightResponse } as unknown as Classes;
const native: Classes = { Headers, Request, Response };

async function outcome(fn: () => unknown): Promise<unknown> {
  try {
    return { ok: await fn() };
  } catch (e) {
    return { throws: (e as Error).constructor.name };
  }
}

const cases: [string, (c: Classes) => unknown][] = [
  ['headers: case-insensitive, appended values joined, sorted iteration', (c) => {
    const h = new c.Headers({ 'X-B': '1', a: ' spaced\t' });
    h.append('x-b', '2');
    h.set('C', '3');
    h.delete('c');
    return [h.get('x-B'), h.get('A'), h.has('X-b'), h.has('c'), h.get('nope'), [...h], [...h.keys()], [...h.values()]];
  }],
  ['headers: set-cookie kept apart in iteration and getSetCookie', (c) => {
    const h = new c.Headers([
      ['Set-Cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['x', 'y'],
    ]);
    return [[...h.entries()], h.getSetCookie(), h.get('set-cookie')];
  }],
  ['headers: from another Headers, forEach', (c) => {
    const out: string[] = [];
    new c.Headers(new c.Headers({ b: '2', a: '1' })).forEach((v, k) => out.push(`${k}=${v}`));
    return out;
  }],
  ['headers: a bad name throws', (c) => new c.Headers({ 'bad name': 'x' })],
  ['headers: a value with CR LF throws', (c) => new c.Headers().set('x', 'a\r\nb')],
  ['headers: a bad init entry throws', (c) => new c.Headers([['only-one']] as unknown as [string, string][])],
  ['response: string body', async (c) => {
    const r = new c.Response('héllo', { status: 201, statusText: 'Created', headers: { 'x-a': '1' } });
    return [r.status, r.statusText, r.ok, r.headers.get('content-type'), r.headers.get('x-a'), r.bodyUsed, await r.text(), r.bodyUsed, r.type, r.redirected, r.url];
  }],
  ['response: a body read twice is refused', async (c) => {
    const r = new c.Response('x');
    await r.text();
    return r.text();
  }],
  ['response: null body', async (c) => {
    const r = new c.Response(null, { status: 204 });
    return [r.body, r.headers.get('content-type'), await r.text(), r.ok];
  }],
  ['response: Response.json', async (c) => {
    const r = c.Response.json({ a: [1, 'b'] }, { status: 400 });
    return [r.status, r.headers.get('content-type'), await r.json()];
  }],
  ['response: status out of range throws', (c) => new c.Response('x', { status: 99 })],
  ['response: a body with status 204 throws', (c) => new c.Response('x', { status: 204 })],
  ['response: bytes and ArrayBuffer bodies (copied)', async (c) => {
    const bytes = new Uint8Array([1, 2, 3]);
    const r = new c.Response(bytes);
    bytes[0] = 9;
    return [r.headers.get('content-type'), [...new Uint8Array(await r.arrayBuffer())], [...new Uint8Array(await new c.Response(new Uint8Array([4, 5]).buffer).arrayBuffer())]];
  }],
  ['response: URLSearchParams body', async (c) => {
    const r = new c.Response(new URLSearchParams({ a: '1 2' }));
    return [r.headers.get('content-type'), await r.text()];
  }],
  ['response: stream body read through its reader, in chunks', async (c) => {
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(ctl) {
        ctl.enqueue(enc.encode('data: 1\n\n'));
        ctl.enqueue(enc.encode('data: 2\n\n'));
        ctl.close();
      },
    });
    const r = new c.Response(body, { headers: { 'content-type': 'text/event-stream' } });
    const reader = r.body!.getReader();
    const parts: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(new TextDecoder().decode(value));
    }
    return [r.headers.get('content-type'), parts, r.bodyUsed];
  }],
  ['response: clone of a stream body, both sides read', async (c) => {
    const r = new c.Response(Readable.toWeb(Readable.from([Buffer.from('ab'), Buffer.from('c')])) as ReadableStream);
    const copy = r.clone();
    return [await copy.text(), await r.text()];
  }],
  ['response: clone of a string body', async (c) => {
    const r = new c.Response('abc', { status: 202 });
    const copy = r.clone();
    return [copy.status, await copy.text(), await r.text()];
  }],
  ['request: url, method, headers, signal', (c) => {
    const ac = new AbortController();
    const r = new c.Request('http://opsdeck/v1/status?x=1', { method: 'post', headers: { Accept: 'application/json' }, signal: ac.signal, body: '{}' });
    const before = r.signal.aborted;
    ac.abort();
    return [r.url, r.method, r.headers.get('accept'), r.headers.get('content-type'), before, r.signal.aborted, r.redirect];
  }],
  ['request: methods are normalized like the standard says', (c) => [new c.Request('http://h/', { method: 'delete' }).method, new c.Request('http://h/', { method: 'patch' }).method, new c.Request('http://h/').method]],
  ['request: a relative URL throws', (c) => new c.Request('/v1/status')],
  ['request: a GET with a body throws', (c) => new c.Request('http://h/', { body: 'x' })],
  ['request: TRACE is forbidden', (c) => new c.Request('http://h/', { method: 'TRACE' })],
  ['request: a body from a Node stream (as @hono/node-server gives it)', async (c) => {
    const body = Readable.toWeb(Readable.from([Buffer.from('{"a":'), Buffer.from('1}')]));
    const r = new c.Request('http://h/x', { method: 'POST', body: body as ReadableStream, duplex: 'half' } as RequestInit);
    return [await r.json(), r.bodyUsed];
  }],
  ['request: built from another request', async (c) => {
    const a = new c.Request('http://h/x', { method: 'PUT', headers: { 'x-a': '1' }, body: 'payload' });
    const b = new c.Request(a);
    const d = new c.Request(new c.Request('http://h/y'), { method: 'POST', body: 'new' });
    return [b.url, b.method, b.headers.get('x-a'), await b.text(), d.method, await d.text()];
  }],
  ['request: clone', async (c) => {
    const a = new c.Request('http://h/x', { method: 'POST', body: 'abc' });
    const b = a.clone();
    return [await b.text(), await a.text(), b.method];
  }],
];

describe('web classes of the engine daemon (light Headers, Request, Response vs Node\'s)', () => {
  for (const [name, fn] of cases) {
    it(name, async () => {
      const expected = await outcome(() => fn(native));
      const actual = await outcome(() => fn(light));
      assert.deepEqual(actual, expected);
    });
  }

  it('formData bodies and formData() are refused with a TypeError that says why', async () => {
    assert.throws(() => new LightResponse(new FormData()), (e: Error) => e instanceof TypeError && /FormData bodies are not supported/.test(e.message));
    await assert.rejects(() => new LightResponse('a=1').formData(), (e: Error) => e instanceof TypeError && /not supported/.test(e.message));
  });

  it('toStringTag matches the standard classes', () => {
    assert.equal(Object.prototype.toString.call(new LightHeaders()), '[object Headers]');
    assert.equal(Object.prototype.toString.call(new LightResponse()), '[object Response]');
    assert.equal(Object.prototype.toString.call(new LightRequest('http://h/')), '[object Request]');
  });
});
