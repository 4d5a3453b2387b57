// storage: a small HTTP key-value service whose data lives in SQLite (data/storage.db).
//
//   GET    /kv/:key   the value (text), 404 when absent; header x-updated-at
//   PUT    /kv/:key   store the request body as the value (201 created, 200 replaced)
//   DELETE /kv/:key   remove the key (204, or 404 when absent)
//   GET    /health    200 when the database answers `SELECT 1`, else 503
//
// Env: PORT (default 7101), DB_PATH (default data/storage.db, relative to the stack folder,
// which is the working directory Opsdeck gives every service).
//
// SQLite comes from node-sqlite3-wasm (WebAssembly: no native module to build). It is found
// the usual Node way, walking up from this file to a node_modules folder: inside the Opsdeck
// repository that is the repository's own node_modules.
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const { readBody: readLimitedBody } = require('./read-body.cjs');

let Database;
try {
  ({ Database } = require('node-sqlite3-wasm'));
} catch (e) {
  console.error(`storage: cannot load node-sqlite3-wasm (${e.message.split('\n')[0]})`);
  console.error('storage: run the stack from inside the Opsdeck repository (npm ci), or `npm install node-sqlite3-wasm` in the stack folder, or set NODE_PATH');
  process.exit(1);
}

const port = Number(process.env.PORT || 7101);
const dbPath = path.resolve(process.env.DB_PATH || 'data/storage.db');
const MAX_BODY = 1024 * 1024;

fs.mkdirSync(path.dirname(dbPath), { recursive: true });
const db = new Database(dbPath);
// node-sqlite3-wasm's file system layer has no shared memory, so WAL is not available: the
// classic rollback journal keeps each write atomic (a kill -9 mid-write rolls back on next open).
db.exec(`
  PRAGMA journal_mode = DELETE;
  PRAGMA synchronous = FULL;
  CREATE TABLE IF NOT EXISTS kv (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
`);
const count = db.get('SELECT count(*) AS n FROM kv').n;
console.log(`storage: opened ${path.relative(process.cwd(), dbPath) || dbPath} (${count} keys)`);

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', ...headers });
  res.end(text);
}

const readBody = (req) => readLimitedBody(req, MAX_BODY);

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/health' && req.method === 'GET') {
    try {
      const row = db.get('SELECT 1 AS ok');
      return send(res, row && row.ok === 1 ? 200 : 503, { status: 'ok', keys: db.get('SELECT count(*) AS n FROM kv').n });
    } catch (e) {
      return send(res, 503, { status: 'error', error: e.message });
    }
  }
  const m = /^\/kv\/([^/]+)$/.exec(url.pathname);
  if (!m) return send(res, 404, { error: 'not found', routes: ['GET|PUT|DELETE /kv/:key', 'GET /health'] });
  const key = decodeURIComponent(m[1]);
  if (key.length > 512) return send(res, 400, { error: 'key longer than 512 characters' });

  if (req.method === 'GET') {
    const row = db.get('SELECT value, updated_at FROM kv WHERE key = ?', key);
    if (!row) return send(res, 404, { error: `no key ${JSON.stringify(key)}` });
    return send(res, 200, row.value, { 'x-updated-at': row.updated_at });
  }
  if (req.method === 'PUT') {
    const value = await readBody(req);
    const existed = db.get('SELECT 1 AS x FROM kv WHERE key = ?', key) !== undefined;
    const now = new Date().toISOString();
    db.run(
      'INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      [key, value, now],
    );
    return send(res, existed ? 200 : 201, { key, bytes: Buffer.byteLength(value), updated_at: now });
  }
  if (req.method === 'DELETE') {
    const info = db.run('DELETE FROM kv WHERE key = ?', key);
    return info.changes ? send(res, 204, '') : send(res, 404, { error: `no key ${JSON.stringify(key)}` });
  }
  return send(res, 405, { error: `method ${req.method} not allowed` }, { allow: 'GET, PUT, DELETE' });
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    if (!res.headersSent) send(res, e.status || 500, { error: e.message });
    else res.destroy();
  });
});
server.listen(port, '127.0.0.1', () => console.log(`storage: listening on http://127.0.0.1:${port}`));

function shutdown(signal) {
  console.log(`storage: ${signal}, closing`);
  server.close();
  server.closeAllConnections();
  try {
    db.close();
  } catch {
    // already closed
  }
  process.exit(0);
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
