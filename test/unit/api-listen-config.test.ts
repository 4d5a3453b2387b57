import assert from 'node:assert/strict';
import { parseConfig } from '../../src/core/config/load';
import { isLoopback, parseListen } from '../../src/core/config/schema-api';
import { issues, yaml } from '../helpers/config-issues';

const BASE = ['version: 1', 'name: demo', 'services:', '  a:', '    command: [node, a.js]'];
/** opsdeck.yaml with `api:` on line 6 and its keys from line 7. */
const withApi = (...lines: string[]) => yaml(...BASE, 'api:', ...lines);

describe('config: api.listen (the TCP listener of the control API)', () => {
  it('is off by default and takes a loopback HOST:PORT, IPv4, IPv6 in brackets or localhost', () => {
    assert.deepEqual(parseConfig(yaml(...BASE), 'opsdeck.yaml').config.api, { allow_remote: false });
    for (const listen of ['127.0.0.1:9180', '127.0.0.2:1', '[::1]:9180', 'localhost:65535']) {
      assert.deepEqual(issues(withApi(`  listen: "${listen}"`)), [], listen);
      assert.equal(parseConfig(withApi(`  listen: "${listen}"`), 'opsdeck.yaml').config.api.listen, listen);
    }
  });

  it('reports a malformed address at its line:column with what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['9180', /must be HOST:PORT/],
      ['localhost', /must be HOST:PORT, e\.g\. 127\.0\.0\.1:9180/],
      ['127.0.0.1:0', /port 0 is not a port number \(1-65535\)/],
      ['127.0.0.1:70000', /port 70000 is not a port number/],
      ['example.com:80', /example\.com is not an IP address or localhost/],
      ['[nope]:80', /\[nope\] is not an IPv6 address/],
      ['::1:9180', /must be HOST:PORT/],
    ];
    for (const [listen, message] of cases) {
      const found = issues(withApi(`  listen: "${listen}"`));
      assert.equal(found.length, 1, `${listen}: ${JSON.stringify(found)}`);
      assert.equal(found[0]!.path, 'api.listen');
      assert.equal(found[0]!.line, 7);
      assert.equal(found[0]!.column, 11);
      assert.match(found[0]!.message, message, listen);
    }
  });

  it('refuses an address other than loopback unless allow_remote is true, and says why', () => {
    const [issue, ...more] = issues(withApi('  listen: 0.0.0.0:9180'));
    assert.equal(more.length, 0);
    assert.equal(issue!.path, 'api.listen');
    assert.equal(issue!.line, 7);
    assert.match(issue!.message, /0\.0\.0\.0 is not a loopback address.*clear text.*allow_remote: true/);
    assert.deepEqual(issues(withApi('  listen: 0.0.0.0:9180', '  allow_remote: true')), []);
    assert.deepEqual(issues(withApi('  listen: "[::]:9180"', '  allow_remote: true')), []);
    assert.match(issues(withApi('  listen: 192.168.1.5:9180'))[0]!.message, /not a loopback address/);
  });

  it('reports unknown keys and a wrong allow_remote type', () => {
    const unknown = issues(withApi('  listen: 127.0.0.1:9180', '  token: abc'));
    assert.equal(unknown.length, 1);
    assert.match(unknown[0]!.path + ' ' + unknown[0]!.message, /token/);
    const bad = issues(withApi('  allow_remote: yes please'));
    assert.equal(bad[0]!.path, 'api.allow_remote');
    assert.match(bad[0]!.message, /must be true or false/);
  });

  it('parseListen and isLoopback: what the listener binds', () => {
    assert.deepEqual(parseListen('[::1]:80'), { host: '::1', port: 80 });
    assert.deepEqual(parseListen(' 127.0.0.1:9180 '), { host: '127.0.0.1', port: 9180 });
    assert.equal(isLoopback('127.10.0.1'), true);
    assert.equal(isLoopback('::1'), true);
    assert.equal(isLoopback('10.0.0.1'), false);
    assert.equal(isLoopback('::'), false);
  });
});
