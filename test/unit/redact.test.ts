import assert from 'node:assert/strict';
import { EventBus } from '../../src/core/events';
import { REDACTED, redactDeep, redactSecrets, SECRET_PATTERNS } from '../../src/core/redact';
import type { EngineEvent } from '../../src/core/contract/events';

describe('redaction: one table of patterns, one function (src/core/redact.ts)', () => {
  it('every pattern of the table hides the example it documents, and only the secret of it', () => {
    assert.ok(SECRET_PATTERNS.length >= 6);
    for (const p of SECRET_PATTERNS) {
      for (const [input, expected] of p.examples) assert.equal(redactSecrets(input), expected, `${p.name}: ${input}`);
    }
  });

  it('hides the value after --password / --api-token in a command line', () => {
    assert.equal(redactSecrets('started pid 42: node app.js --password hunter2 --port 80'), 'started pid 42: node app.js --password *** --port 80');
    assert.equal(redactSecrets('node app.js --api-token abc.def --verbose'), 'node app.js --api-token *** --verbose');
    assert.equal(redactSecrets('sh -c "node app.js --password hunter2"'), 'sh -c "node app.js --password ***"');
  });

  it('hides Authorization: Bearer …, password= in URLs, user:pass@ and *_TOKEN / *_SECRET / *_PASSWORD / *_KEY values', () => {
    assert.equal(redactSecrets('GET / Authorization: Bearer eyJhbGciOi.J9x'), 'GET / Authorization: Bearer ***');
    assert.equal(redactSecrets('{"authorization": "Basic dXNlcjpwYXNz"}'), '{"authorization": "Basic ***"}');
    assert.equal(redactSecrets('curl -H "Bearer 0123456789abcdef"'), 'curl -H "Bearer ***"');
    assert.equal(redactSecrets('GET http://db/x?user=bob&password=hunter2&page=2'), 'GET http://db/x?user=bob&password=***&page=2');
    assert.equal(redactSecrets('connecting to postgres://app:s3cret@db:5432/app'), 'connecting to postgres://app:***@db:5432/app');
    assert.equal(redactSecrets('API_TOKEN=tok-123 AWS_SECRET=abc DB_PASSWORD=hunter2 STRIPE_KEY=sk_live_1'), 'API_TOKEN=*** AWS_SECRET=*** DB_PASSWORD=*** STRIPE_KEY=***');
  });

  it('leaves ordinary lines alone', () => {
    for (const s of ['GET /api/orders 200 12ms', 'key=value', 'sort_key=name', 'tokenizer ready', 'bearer of bad news', '--port 80', 'KEYBOARD=us']) {
      assert.equal(redactSecrets(s), s);
    }
  });

  it('redactDeep: secret-named fields (API_TOKEN, STRIPE_KEY, authorization), the argument after a secret flag; the same object when nothing is secret', () => {
    const e = { command: ['node', 'app.js', '--password', 'hunter2', '--port', '80'], env: { API_TOKEN: 't', STRIPE_KEY: 'k', HOME: '/h' }, headers: { authorization: 'x' } };
    assert.deepEqual(redactDeep(e), {
      command: ['node', 'app.js', '--password', REDACTED, '--port', '80'],
      env: { API_TOKEN: REDACTED, STRIPE_KEY: REDACTED, HOME: '/h' },
      headers: { authorization: REDACTED },
    });
    const clean = { type: 'log', line: 'hello', nested: { list: [1, 'two'] } };
    assert.equal(redactDeep(clean), clean);
  });

  it('the event bus delivers events redacted to every listener (memory, SSE, extension)', () => {
    const bus = new EventBus();
    const seen: EngineEvent[] = [];
    bus.onAny((e) => seen.push(e));
    bus.emit({ type: 'spawn', service: 'api', at: 1, pid: 7, command: ['node', 'app.js', '--password', 'hunter2'] });
    bus.emit({ type: 'log', service: 'api', at: 2, stream: 'stdout', line: 'API_TOKEN=tok-123 ready' });
    assert.doesNotMatch(JSON.stringify(seen), /hunter2|tok-123/);
    assert.deepEqual((seen[0] as { command: string[] }).command, ['node', 'app.js', '--password', REDACTED]);
    assert.equal((seen[1] as { line: string }).line, 'API_TOKEN=*** ready');
  });
});
