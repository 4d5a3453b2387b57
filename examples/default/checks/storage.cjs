// Full-functionality check of `storage`: write a unique key, read it back, delete it.
'use strict';
const { runCheck, request, token } = require('./lib.cjs');

const base = `http://127.0.0.1:${process.env.PORT || 7101}`;

runCheck('storage', 4000, async (elapsed) => {
  const key = token('opsdeck-check');
  const value = `value of ${key}`;
  const url = `${base}/kv/${encodeURIComponent(key)}`;
  const put = await request(url, { method: 'PUT', body: value });
  if (put.status !== 201 && put.status !== 200) throw new Error(`PUT ${key}: HTTP ${put.status} ${put.text}`);
  const got = await request(url);
  if (got.status !== 200) throw new Error(`GET ${key} after writing it: HTTP ${got.status} ${got.text}`);
  if (got.text !== value) throw new Error(`wrote ${JSON.stringify(value)}, read back ${JSON.stringify(got.text)}`);
  const del = await request(url, { method: 'DELETE' });
  if (del.status !== 204) throw new Error(`DELETE ${key}: HTTP ${del.status} ${del.text}`);
  return `wrote ${key}, read it back and deleted it in ${elapsed()}ms`;
});
