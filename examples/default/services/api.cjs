// api: the stack's HTTP server. Notes are stored in `storage` and announced on `messaging`.
//
//   POST /notes       body: {"text": "..."} (JSON) or plain text. Stores the note in storage
//                     under `note:<id>`, then publishes it on the messaging topic `notes`.
//                     201 with the note; 502 when storage cannot take it; a note stored but
//                     not announced is still 201, with "published": false.
//   GET  /notes/:id   the note, read back from storage (404 when absent)
//   GET  /health      200 when both upstreams answer their /health, else 503 naming the one down
//   GET  /live        200 while this process answers (liveness: says nothing about upstreams,
//                     so an upstream outage never gets the api killed as "hung")
//
// Env: PORT (default 7103), STORAGE_URL (default http://127.0.0.1:7101),
// MESSAGING_URL (default http://127.0.0.1:7102).
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');
const { readBody: readLimitedBody } = require('./read-body.cjs');

const port = Number(process.env.PORT || 7103);
const STORAGE = process.env.STORAGE_URL || 'http://127.0.0.1:7101';
const MESSAGING = process.env.MESSAGING_URL || 'http://127.0.0.1:7102';
const UPSTREAM_TIMEOUT_MS = 1000;
const MAX_BODY = 64 * 1024;

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const readBody = (req) => readLimitedBody(req, MAX_BODY);

/** fetch with a timeout; network errors become { ok: false, error }. */
async function upstream(url, init = {}) {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) });
    return { ok: res.ok, status: res.status, text: await res.text() };
  } catch (e) {
    return { ok: false, status: 0, error: (e.cause && e.cause.code) || e.message };
  }
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');

  if (url.pathname === '/live' && req.method === 'GET') return send(res, 200, { status: 'ok' });

  if (url.pathname === '/health' && req.method === 'GET') {
    const [s, m] = await Promise.all([upstream(`${STORAGE}/health`), upstream(`${MESSAGING}/health`)]);
    const describe = (r) => (r.ok ? 'ok' : r.error || `HTTP ${r.status}`);
    const body = { storage: describe(s), messaging: describe(m) };
    const down = Object.entries(body).filter(([, v]) => v !== 'ok').map(([k]) => k);
    return send(res, down.length ? 503 : 200, { status: down.length ? `upstream down: ${down.join(', ')}` : 'ok', ...body });
  }

  if (url.pathname === '/notes' && req.method === 'POST') {
    const raw = await readBody(req);
    let text = raw;
    if ((req.headers['content-type'] || '').includes('application/json')) {
      try {
        text = JSON.parse(raw).text;
      } catch {
        return send(res, 400, { error: 'body is not valid JSON' });
      }
    }
    if (typeof text !== 'string' || text.length === 0) return send(res, 400, { error: 'a note needs a non-empty "text"' });
    const note = { id: `${Date.now().toString(36)}-${crypto.randomBytes(4).toString('hex')}`, text, created_at: new Date().toISOString() };
    const stored = await upstream(`${STORAGE}/kv/${encodeURIComponent(`note:${note.id}`)}`, { method: 'PUT', body: JSON.stringify(note) });
    if (!stored.ok) return send(res, 502, { error: `storage did not store the note: ${stored.error || `HTTP ${stored.status}`}` });
    const published = await upstream(`${MESSAGING}/publish/notes`, { method: 'POST', body: JSON.stringify(note) });
    if (!published.ok) console.error(`api: note ${note.id} stored but not published: ${published.error || `HTTP ${published.status}`}`);
    return send(res, 201, { ...note, published: published.ok });
  }

  const m = /^\/notes\/([^/]+)$/.exec(url.pathname);
  if (m && req.method === 'GET') {
    const id = decodeURIComponent(m[1]);
    const r = await upstream(`${STORAGE}/kv/${encodeURIComponent(`note:${id}`)}`);
    if (r.status === 404) return send(res, 404, { error: `no note ${JSON.stringify(id)}` });
    if (!r.ok) return send(res, 502, { error: `storage did not answer: ${r.error || `HTTP ${r.status}`}` });
    return send(res, 200, JSON.parse(r.text));
  }

  return send(res, 404, { error: 'not found', routes: ['POST /notes', 'GET /notes/:id', 'GET /health', 'GET /live'] });
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    if (!res.headersSent) send(res, e.status || 500, { error: e.message });
    else res.destroy();
  });
});
server.listen(port, '127.0.0.1', () => console.log(`api: listening on http://127.0.0.1:${port} (storage ${STORAGE}, messaging ${MESSAGING})`));

function shutdown(signal) {
  console.log(`api: ${signal}, closing`);
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
