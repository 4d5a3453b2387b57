import assert from 'node:assert/strict';
import { eventText, MAX_TEXT_CHARS, oneLine } from '../../src/core/memory/event-text';
import { QUERY_HINT, toFtsQuery } from '../../src/core/memory/query';
import { redactDeep, redactSecrets } from '../../src/core/redact';
import type { EngineEvent } from '../../src/core/contract/events';

const base = { service: 'storage', at: Date.UTC(2026, 0, 1) };

describe('memory: event text, redaction and query translation', () => {
  describe('eventText', () => {
    const cases: [EngineEvent, string][] = [
      [{ ...base, type: 'state', from: 'ready', to: 'degraded', reason: 'upstream: storage' }, 'state ready → degraded: upstream: storage'],
      [{ ...base, type: 'state', from: 'stopped', to: 'starting', reason: '' }, 'state stopped → starting'],
      [{ ...base, type: 'spawn', pid: 4242, command: ['node', 'services/storage.js', 'a b'] }, 'spawn pid 4242: node services/storage.js "a b"'],
      [{ ...base, type: 'exit', pid: 4242, code: 1, signal: null, expected: false }, 'exit code 1 (pid 4242)'],
      [{ ...base, type: 'exit', pid: 4242, code: null, signal: 'SIGKILL', expected: true }, 'exit by signal SIGKILL (pid 4242, expected)'],
      [{ ...base, type: 'exit', pid: undefined, code: null, signal: null, expected: false, error: 'ENOENT' }, 'exit: could not start: ENOENT'],
      [{ ...base, type: 'probe', probe: 'readiness', ok: true, latencyMs: 3.6, failures: 0, threshold: 3 }, 'readiness probe ok in 4ms'],
      [
        { ...base, type: 'probe', probe: 'liveness', ok: false, latencyMs: 1000, error: 'timeout after 1000ms', failures: 2, threshold: 3 },
        'liveness probe failed 2/3 in 1000ms: timeout after 1000ms',
      ],
      [{ ...base, type: 'restart', attempt: 2, delayMs: 1000, cause: 'crash', detail: 'exit code 1' }, 'restart 2 in 1s (crash: exit code 1)'],
      [{ ...base, type: 'restart', attempt: 1, delayMs: 500, cause: 'hang', detail: 'hang: liveness failed 3 times (timeout)' }, 'restart 1 in 500ms (hang: liveness failed 3 times (timeout))'],
      [{ ...base, type: 'retry-reset', after: 60_000 }, 'retry counter reset after 1m running'],
      [{ ...base, type: 'gave-up', restarts: 5, windowMs: 600_000 }, 'gave up after 5 restarts within 10m'],
      [{ ...base, type: 'limit', limit: 'memory', valueMb: 612, maxMb: 512 }, 'memory limit exceeded: 612 MB > 512 MB'],
      [{ ...base, type: 'check', ok: false, durationMs: 120, output: 'write failed\ndisk full' }, 'check failed in 120ms: write failed ⏎ disk full'],
      [{ ...base, type: 'check', ok: true, durationMs: 1500, output: '' }, 'check ok in 1.5s'],
      [{ ...base, type: 'log', stream: 'stderr', line: '\u001b[31mERROR\u001b[0m disk full' }, 'ERROR disk full'],
    ];
    for (const [e, text] of cases) {
      it(`renders ${e.type}: ${text}`, () => assert.equal(eventText(e), text));
    }

    it('gives kinds it does not know yet (backup, deploy, …) a readable line', () => {
      const e = { ...base, type: 'backup', snapshot: 'a1b2', files: 12, ok: true } as unknown as EngineEvent;
      assert.equal(eventText(e), 'backup snapshot=a1b2 files=12 ok=true');
    });

    it('keeps text on one bounded line', () => {
      assert.equal(oneLine('a\r\nb\tc\u0007'), 'a ⏎ b c');
      const long = oneLine('x'.repeat(MAX_TEXT_CHARS + 10));
      assert.ok(long.endsWith('… (10 more chars)'));
    });
  });

  describe('redaction', () => {
    it('hides values of secret-looking keys, not the keys', () => {
      assert.equal(redactSecrets('connecting with DB_PASSWORD=hunter2 host=db'), 'connecting with DB_PASSWORD=*** host=db');
      assert.equal(redactSecrets('GITHUB_TOKEN: ghp_abc123 ok'), 'GITHUB_TOKEN: *** ok');
      assert.equal(redactSecrets('{"apiKey": "sk-123", "user": "bob"}'), '{"apiKey": "***", "user": "bob"}');
      assert.equal(redactSecrets('GET /x?api_key=abc&page=2'), 'GET /x?api_key=***&page=2');
      assert.equal(redactSecrets("private-key='-----BEGIN'"), "private-key='***'");
      assert.equal(redactSecrets('client_secret=s3 passwd=p4'), 'client_secret=*** passwd=***');
      assert.equal(redactSecrets('postgres://app:s3cret@db:5432/app'), 'postgres://app:***@db:5432/app');
    });

    it('leaves ordinary lines alone', () => {
      for (const s of ['GET /api/orders 200 12ms', 'state ready → degraded: upstream: storage', 'key=value', 'tokenizer ready']) assert.equal(redactSecrets(s), s);
    });

    it('redacts every string of an event, secret-named fields and the argument after a secret flag', () => {
      const e = { type: 'spawn', service: 's', at: 1, pid: 1, command: ['node', 'app.js', '--api-key', 'k-123', '--password=pw', '--port', '80'], env: { API_TOKEN: 'x' } };
      assert.deepEqual(redactDeep(e), { ...e, command: ['node', 'app.js', '--api-key', '***', '--password=***', '--port', '80'], env: { API_TOKEN: '***' } });
    });
  });

  describe('toFtsQuery', () => {
    const cases: [string, string | undefined][] = [
      ['crash', '"crash"'],
      ['exit code 1', '"exit" "code" "1"'],
      ['crash*', '"crash"*'],
      ['"exit code 1"', '"exit code 1"'],
      ['"unbalanced quote', '"unbalanced quote"'],
      ['timeout OR ECONNREFUSED', '"timeout" OR "ECONNREFUSED"'],
      ['error NOT storage', '"error" NOT "storage"'],
      ['crash (storage OR api)', '"crash" AND ( "storage" OR "api" )'],
      ['(unclosed group', '( "unclosed" "group" )'],
      ['stray) paren', '"stray" "paren"'],
      ['()', undefined],
      ['service:storage crash', 'service : "storage" "crash"'],
      ['kind: restart', 'kind : "restart"'],
      ['service:(api OR web) timeout', 'service : ( "api" OR "web" ) AND "timeout"'],
      ['127.0.0.1:7101', '"127.0.0.1:7101"'],
      ['crash: exit', '"crash:" "exit"'],
      ['say "hi"', '"say" "hi"'],
      ['or and not', '"or" "and" "not"'],
      ['"OR"', '"OR"'],
      ['!!! ***', undefined],
      ['c++ -v', '"c++" "-v"'],
    ];
    for (const [input, fts] of cases) {
      it(`${JSON.stringify(input)} → ${fts === undefined ? 'nothing searchable' : fts}`, () => assert.equal(toFtsQuery(input), fts));
    }

    for (const bad of ['crash OR', 'OR crash', 'NOT storage', 'AND', 'storage AND OR crash', '(OR crash)']) {
      it(`rejects ${JSON.stringify(bad)} with a hint`, () => {
        assert.throws(
          () => toFtsQuery(bad),
          (err: { code?: string; message?: string; hint?: string }) =>
            err.code === 'MEMORY_QUERY_INVALID' && /needs a search term/.test(err.message ?? '') && err.hint === QUERY_HINT,
        );
      });
    }
  });
});
