/**
 * A small SMTP client over Node's net and tls (RFC 5321): EHLO, STARTTLS when asked (and
 * required before a password is sent over a plain connection), AUTH PLAIN, MAIL, RCPT, DATA with
 * dot-stuffing, QUIT. Enough to hand an alert to a relay; no attachments, no pooling.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { OpsError } from '../../errors';

export interface MailOptions {
  host: string;
  port: number;
  tls: 'starttls' | 'tls' | 'none';
  user?: string | undefined;
  password?: string | undefined;
  from: string;
  to: readonly string[];
  subject: string;
  text: string;
  timeoutMs: number;
  /** Extra trust for the server's certificate (tests, a private CA). */
  ca?: string | Buffer;
}

interface Reply {
  code: number;
  lines: string[];
}

/** Reads SMTP replies (multi-line: `250-…` until `250 …`) from a socket. */
class ReplyReader {
  private buffer = '';
  private lines: string[] = [];
  private readonly replies: Reply[] = [];
  private waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(private socket: Socket) {
    this.attach(socket);
  }

  attach(socket: Socket): void {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.feed(chunk));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let i: number;
    while ((i = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, i).replace(/\r$/, '');
      this.buffer = this.buffer.slice(i + 1);
      this.lines.push(line.slice(4));
      if (line[3] !== '-') {
        this.replies.push({ code: Number(line.slice(0, 3)), lines: this.lines });
        this.lines = [];
      }
    }
    this.flush();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.flush();
  }

  private flush(): void {
    if (!this.waiting) return;
    const r = this.replies.shift();
    if (r) {
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve(r);
    } else if (this.failure) {
      const w = this.waiting;
      this.waiting = undefined;
      w.reject(this.failure);
    }
  }

  next(): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.flush();
    });
  }

  detach(): void {
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('close');
    this.socket.removeAllListeners('error');
  }
}

const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');
/** A header value without line breaks (no header injection from a summary). */
const headerValue = (v: string) => v.replace(/[\r\n]+/g, ' ');
const encodeSubject = (s: string) => (/^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`);

export function formatMessage(o: Pick<MailOptions, 'from' | 'to' | 'subject' | 'text'>, date = new Date()): string {
  const headers = [
    `From: ${headerValue(o.from)}`,
    `To: ${o.to.map(headerValue).join(', ')}`,
    `Subject: ${encodeSubject(headerValue(o.subject))}`,
    `Date: ${date.toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    'X-Mailer: opsdeck',
  ];
  // Dot-stuffing: a line starting with "." gets another.
  const body = crlf(o.text).split('\r\n').map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\r\n');
  return `${headers.join('\r\n')}\r\n\r\n${body}\r\n`;
}

export async function sendMail(o: MailOptions): Promise<void> {
  const fail = (what: string, r?: Reply) =>
    new OpsError('ALERT_CHANNEL_FAILED', `SMTP ${o.host}:${o.port}: ${what}${r ? ` (${r.code} ${r.lines.join(' ')})` : ''}`, 'check the email channel\'s host, port, tls, user and password');
  let socket: Socket = await open(o);
  const reader = new ReplyReader(socket);
  const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
  const expect = async (ok: (code: number) => boolean, what: string) => {
    const r = await reader.next();
    if (!ok(r.code)) throw fail(what, r);
    return r;
  };
  const send = (line: string) => socket.write(`${line}\r\n`);
  try {
    await expect((c) => c === 220, 'the server did not greet');
    const ehlo = async () => {
      send(`EHLO ${hostname() || 'localhost'}`);
      return (await expect((c) => c === 250, 'EHLO was refused')).lines.map((l) => l.toUpperCase());
    };
    let caps = await ehlo();
    const encrypted = () => (socket as TLSSocket).encrypted === true;
    if (o.tls === 'starttls' && caps.some((c) => c.startsWith('STARTTLS'))) {
      send('STARTTLS');
      await expect((c) => c === 220, 'STARTTLS was refused');
      reader.detach();
      socket = await upgrade(socket, o);
      reader.attach(socket);
      caps = await ehlo();
    }
    if (o.user !== undefined && o.password !== undefined) {
      if (!encrypted() && !isLoopback(o.host)) throw fail('the server offers no TLS, and a password is never sent in clear text');
      send(`AUTH PLAIN ${Buffer.from(`\0${o.user}\0${o.password}`, 'utf8').toString('base64')}`);
      await expect((c) => c === 235, 'the login was refused');
    }
    send(`MAIL FROM:<${o.from}>`);
    await expect((c) => c === 250, 'the sender was refused');
    for (const to of o.to) {
      send(`RCPT TO:<${to}>`);
      await expect((c) => c === 250 || c === 251, `the recipient ${to} was refused`);
    }
    send('DATA');
    await expect((c) => c === 354, 'DATA was refused');
    socket.write(`${formatMessage(o)}.\r\n`);
    await expect((c) => c === 250, 'the message was refused');
    send('QUIT');
    await reader.next().catch(() => undefined);
  } catch (e) {
    if (e instanceof OpsError) throw e;
    throw fail((e as Error).message);
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host.startsWith('127.');

function open(o: MailOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s: Socket =
      o.tls === 'tls'
        ? tlsConnect({ host: o.host, port: o.port, servername: o.host, ...(o.ca ? { ca: o.ca } : {}) }, () => resolve(s))
        : netConnect({ host: o.host, port: o.port }, () => resolve(s));
    s.once('error', (e) => reject(new OpsError('ALERT_CHANNEL_FAILED', `SMTP ${o.host}:${o.port}: cannot connect: ${e.message}`, 'check the email channel\'s host and port')));
  });
}

function upgrade(socket: Socket, o: MailOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ socket, servername: o.host, ...(o.ca ? { ca: o.ca } : {}) }, () => resolve(s));
    s.once('error', reject);
  });
}
