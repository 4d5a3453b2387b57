// messaging: a small publish/subscribe broker over HTTP, in memory.
//
//   POST /publish/:topic    the request body is the message; it goes to every current
//                           subscriber of the topic (202 with the message id and subscriber count)
//   GET  /subscribe/:topic  server-sent events: first `event: subscribed`, then one
//                           `event: message` per published message (id = message id)
//   GET  /stats             per topic: subscribers, published, delivered, backlog, dropped
//   GET  /health            200 while the broker runs
//
// Backlog: when a subscriber reads more slowly than messages arrive, the socket's buffer fills
// and further messages wait in a queue for that subscriber (flushed on `drain`). A topic's
// backlog is the sum of its subscribers' queues; past MAX_BACKLOG per subscriber the oldest
// queued messages are dropped and counted. Messages are not stored: a topic with no
// subscriber just counts them as published.
//
// Env: PORT (default 7102), MAX_BACKLOG (default 1000).
'use strict';
const http = require('node:http');
const { readBody: readLimitedBody } = require('./read-body.cjs');

const port = Number(process.env.PORT || 7102);
const MAX_BACKLOG = Number(process.env.MAX_BACKLOG || 1000);
const MAX_BODY = 256 * 1024;
const HEARTBEAT_MS = 15_000;
const TOPIC_RE = /^[A-Za-z0-9._-]{1,128}$/;

/** topic name -> { subscribers: Set<Subscriber>, published, delivered, dropped } */
const topics = new Map();
let nextId = 1;
const startedAt = Date.now();

function topic(name) {
  let t = topics.get(name);
  if (!t) topics.set(name, (t = { subscribers: new Set(), published: 0, delivered: 0, dropped: 0 }));
  return t;
}

function frame(event, id, data) {
  const lines = String(data).split(/\r?\n/).map((l) => `data: ${l}`).join('\n');
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\n${lines}\n\n`;
}

/** One SSE subscriber: writes straight to the socket until it pushes back, then queues. */
class Subscriber {
  constructor(res, t) {
    this.res = res;
    this.topic = t;
    this.queue = [];
    this.blocked = false;
  }

  send(text) {
    if (this.blocked) {
      this.queue.push(text);
      if (this.queue.length > MAX_BACKLOG) {
        this.queue.shift();
        this.topic.dropped += 1;
      }
      return;
    }
    this.write(text);
  }

  write(text) {
    const ok = this.res.write(text);
    this.topic.delivered += 1;
    if (!ok) {
      this.blocked = true;
      this.res.once('drain', () => this.flush());
    }
  }

  flush() {
    this.blocked = false;
    while (this.queue.length && !this.blocked) this.write(this.queue.shift());
  }
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const readBody = (req) => readLimitedBody(req, MAX_BODY);

function stats() {
  const out = {};
  for (const [name, t] of topics) {
    let backlog = 0;
    for (const s of t.subscribers) backlog += s.queue.length;
    out[name] = { subscribers: t.subscribers.size, published: t.published, delivered: t.delivered, backlog, dropped: t.dropped };
  }
  return out;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/health' && req.method === 'GET') return send(res, 200, { status: 'ok', topics: topics.size });
  if (url.pathname === '/stats' && req.method === 'GET') {
    return send(res, 200, { uptime_s: Math.round((Date.now() - startedAt) / 1000), topics: stats() });
  }
  const m = /^\/(publish|subscribe)\/([^/]+)$/.exec(url.pathname);
  if (!m) return send(res, 404, { error: 'not found', routes: ['POST /publish/:topic', 'GET /subscribe/:topic', 'GET /stats', 'GET /health'] });
  const name = decodeURIComponent(m[2]);
  if (!TOPIC_RE.test(name)) return send(res, 400, { error: 'a topic is 1-128 letters, digits, ".", "_" or "-"' });

  if (m[1] === 'publish') {
    if (req.method !== 'POST') return send(res, 405, { error: 'use POST /publish/:topic' });
    const body = await readBody(req);
    const t = topic(name);
    const id = nextId++;
    t.published += 1;
    const text = frame('message', id, body);
    for (const s of t.subscribers) s.send(text);
    return send(res, 202, { topic: name, id, subscribers: t.subscribers.size });
  }

  if (req.method !== 'GET') return send(res, 405, { error: 'use GET /subscribe/:topic' });
  const t = topic(name);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  req.socket.setNoDelay(true);
  const sub = new Subscriber(res, t);
  t.subscribers.add(sub);
  // Tells the client it is registered: a message published after this event reaches it.
  res.write(frame('subscribed', undefined, JSON.stringify({ topic: name })));
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  res.on('close', () => {
    clearInterval(heartbeat);
    t.subscribers.delete(sub);
  });
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    if (!res.headersSent) send(res, e.status || 500, { error: e.message });
    else res.destroy();
  });
});
server.listen(port, '127.0.0.1', () => console.log(`messaging: listening on http://127.0.0.1:${port}`));

function shutdown(signal) {
  console.log(`messaging: ${signal}, closing`);
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
