/**
 * The alert channels against real receivers: a local HTTP server for the webhook (Slack and ntfy
 * bodies checked), a real SMTP server (smtp-server) for email, a command that writes a file; and
 * the secrets they read (env, 0600 file; a file readable by others is refused).
 */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { sendToChannel } from '../../src/core/alerts/channels/send';
import { readSecret } from '../../src/core/alerts/channels/secrets';
import { alertPayload } from '../../src/core/alerts/message';
import type { Incident } from '../../src/core/contract/alerts';
import { NODE, tempStack, type TempStack } from '../helpers/stack';

const incident: Incident = { id: 'storage-abc123', group: 'shop/storage', service: 'storage', openedAt: Date.UTC(2026, 0, 1), severity: 'critical', alerts: ['service_down/storage'], summary: 'storage is down (backoff) for 5m', level: 2, sent: [] };
const payload = alertPayload('shop', incident, [{ id: 'service_down/storage', rule: 'service_down', service: 'storage', severity: 'critical', state: 'firing', since: incident.openedAt, summary: incident.summary, labels: {} }], 'escalated');

function stackWith(channels: Record<string, unknown>): TempStack {
  return tempStack({ version: 1, name: 'shop', services: { storage: { command: [NODE, '-e', '0'] } }, alerts: { channels, routing: { levels: [{ channels: Object.keys(channels) }] } } });
}

async function httpReceiver(): Promise<{ url: string; bodies: { path: string; body: unknown }[]; close(): Promise<void> }> {
  const bodies: { path: string; body: unknown }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      bodies.push({ path: req.url ?? '', body: JSON.parse(data) });
      res.writeHead(req.url === '/revoked' ? 403 : 200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, close: () => new Promise((r) => server.close(() => r())) };
}

describe('alerts: channels against real receivers', function () {
  this.timeout(20_000);
  let t: TempStack | undefined;
  afterEach(() => t?.cleanup());

  it('webhook: a Slack body from the URL in an env variable, an ntfy body from a 0600 file; a 403 is a failure', async () => {
    const rx = await httpReceiver();
    try {
      t = stackWith({ chat: { type: 'webhook', url_env: 'TEST_HOOK_URL' }, push: { type: 'webhook', url_file: 'ntfy.url', format: 'ntfy', topic: 'ops' }, bad: { type: 'webhook', url_env: 'TEST_BAD_URL' } });
      writeFileSync(join(t.dir, 'ntfy.url'), `${rx.url}/\n`, { mode: 0o600 });
      const ctx = { stackDir: t.dir, channels: t.stack.config.alerts.channels, env: { TEST_HOOK_URL: `${rx.url}/hooks/T1`, TEST_BAD_URL: `${rx.url}/revoked` } };
      await sendToChannel('chat', payload, ctx);
      await sendToChannel('push', payload, ctx);
      await assert.rejects(sendToChannel('bad', payload, ctx), (e: Error) => /answered 403/.test(e.message));
      assert.equal(rx.bodies[0]!.path, '/hooks/T1');
      const slack = rx.bodies[0]!.body as { text: string };
      assert.match(slack.text, /^\*\[ESCALATED\] shop\/storage critical: storage is down \(backoff\) for 5m\*\n/);
      assert.match(slack.text, /opsdeck alerts ack storage-abc123/);
      assert.deepEqual(Object.keys(rx.bodies[1]!.body as object).sort(), ['message', 'priority', 'tags', 'title', 'topic']);
      assert.equal((rx.bodies[1]!.body as { topic: string; priority: number }).topic, 'ops');
      assert.equal((rx.bodies[1]!.body as { priority: number }).priority, 5);
    } finally {
      await rx.close();
    }
  });

  it('email: a real SMTP server receives the message, logged in with the password from a 0600 file', async () => {
    const received: { from: string; to: string[]; data: string; user?: string }[] = [];
    const server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      authOptional: false,
      onAuth(auth, _session, cb) {
        if (auth.username === 'ops' && auth.password === 's3cret') cb(null, { user: 'ops' });
        else cb(new Error('bad login'));
      },
      onData(stream, session, cb) {
        let data = '';
        stream.on('data', (c: Buffer) => (data += c.toString('utf8')));
        stream.on('end', () => {
          received.push({ from: (session.envelope.mailFrom as { address: string }).address, to: session.envelope.rcptTo.map((r) => r.address), data, user: session.user as string });
          cb();
        });
      },
      logger: false,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.server.address() as AddressInfo).port;
    try {
      t = stackWith({ mail: { type: 'email', host: '127.0.0.1', port, tls: 'starttls', user: 'ops', password_file: 'smtp.pass', from: 'opsdeck@example.com', to: ['oncall@example.com', 'lead@example.com'] } });
      writeFileSync(join(t.dir, 'smtp.pass'), 's3cret\n', { mode: 0o600 });
      await sendToChannel('mail', { ...payload, text: `${payload.text}\n.a line starting with a dot` }, { stackDir: t.dir, channels: t.stack.config.alerts.channels });
      assert.equal(received.length, 1);
      assert.equal(received[0]!.user, 'ops');
      assert.equal(received[0]!.from, 'opsdeck@example.com');
      assert.deepEqual(received[0]!.to, ['oncall@example.com', 'lead@example.com']);
      assert.match(received[0]!.data, /^Subject: \[ESCALATED\] shop\/storage critical: storage is down/m);
      assert.match(received[0]!.data, /opsdeck alerts ack storage-abc123/);
      assert.match(received[0]!.data, /\r\n\.a line starting with a dot\r\n/, 'dot-stuffing undone by the server');

      writeFileSync(join(t.dir, 'smtp.pass'), 'wrong\n', { mode: 0o600 });
      await assert.rejects(sendToChannel('mail', payload, { stackDir: t.dir, channels: t.stack.config.alerts.channels }), (e: Error) => /login was refused/.test(e.message));
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('command: runs argv without a shell, the alert JSON on stdin; a failing command is a failure', async () => {
    t = stackWith({
      log: { type: 'command', argv: [NODE, '-e', "require('fs').writeFileSync('alert.json', require('fs').readFileSync(0))", '$(touch injected)'] },
      broken: { type: 'command', argv: [NODE, '-e', 'process.exit(3)'] },
    });
    await sendToChannel('log', payload, { stackDir: t.dir, channels: t.stack.config.alerts.channels });
    const got = JSON.parse(readFileSync(join(t.dir, 'alert.json'), 'utf8')) as typeof payload;
    assert.equal(got.incident, 'storage-abc123');
    assert.equal(got.phase, 'escalated');
    assert.equal(got.alerts[0]!.rule, 'service_down');
    assert.throws(() => readFileSync(join(t!.dir, 'injected')), /ENOENT/, 'no shell expanded the argument');
    await assert.rejects(sendToChannel('broken', payload, { stackDir: t.dir, channels: t.stack.config.alerts.channels }), (e: Error) => /command failed/.test(e.message));
  });

  it('secrets: an unset variable and a file readable by others are refused with what to do', () => {
    t = stackWith({ log: { type: 'command', argv: [NODE, '-e', '0'] } });
    assert.throws(() => readSecret('chat', 'webhook URL', { env: 'NOPE_NOT_SET' }, t!.dir, {}), (e: Error & { hint?: string }) => /NOPE_NOT_SET is not set/.test(e.message) && /export NOPE_NOT_SET/.test(e.hint ?? ''));
    writeFileSync(join(t.dir, 'open.url'), 'http://x\n');
    chmodSync(join(t.dir, 'open.url'), 0o644);
    assert.throws(() => readSecret('chat', 'webhook URL', { file: 'open.url' }, t!.dir), (e: Error & { hint?: string }) => /can be read by others \(mode 0644\)/.test(e.message) && e.hint === 'run chmod 600 open.url');
    chmodSync(join(t.dir, 'open.url'), 0o600);
    assert.equal(readSecret('chat', 'webhook URL', { file: 'open.url' }, t.dir), 'http://x');
  });
});
