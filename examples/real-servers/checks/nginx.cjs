// Full-functionality check of nginx: GET / must serve nginx/html/index.html exactly as it is
// on disk, and GET /health must answer "ok".
'use strict';
const fs = require('node:fs');

const base = `http://127.0.0.1:${process.env.NGINX_PORT}`;

function finish(ok, message) {
  console.log(`nginx ${ok ? 'ok' : 'FAILED'}: ${message}`);
  process.exit(ok ? 0 : 1);
}

async function get(path) {
  const res = await fetch(base + path, { signal: AbortSignal.timeout(2000) });
  return { status: res.status, text: await res.text() };
}

(async () => {
  const expected = fs.readFileSync('nginx/html/index.html', 'utf8');
  const page = await get('/');
  if (page.status !== 200) return finish(false, `GET / answered HTTP ${page.status}`);
  if (page.text !== expected) return finish(false, `GET / served ${page.text.length} bytes that differ from nginx/html/index.html`);
  const health = await get('/health');
  if (health.status !== 200 || health.text.trim() !== 'ok') return finish(false, `GET /health answered HTTP ${health.status} ${health.text.trim()}`);
  finish(true, `GET / served nginx/html/index.html (${page.text.length} bytes) and /health answered ok`);
})().catch((e) => finish(false, `${base}: ${(e.cause && e.cause.code) || e.message}`));
