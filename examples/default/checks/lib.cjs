// Shared helpers of the full-functionality checks in this folder (not a check itself).
//
// A check exercises its service for real and ends with one line and an exit code:
// 0 "… ok: …" when everything worked, 1 "… FAILED: …" otherwise. Opsdeck runs it with the
// service's environment (PORT, STORAGE_URL, …) from the stack folder.
'use strict';
const http = require('node:http');

/** Print the one-line verdict and exit (0 ok, 1 failed). */
function finish(name, ok, message) {
  console.log(`${name} ${ok ? 'ok' : 'FAILED'}: ${message}`);
  process.exit(ok ? 0 : 1);
}

/** Run `body`; any error, or no verdict within `ms`, is a failure. */
function runCheck(name, ms, body) {
  const t0 = Date.now();
  setTimeout(() => finish(name, false, `no result within ${ms}ms`), ms).unref();
  body(() => Date.now() - t0).then(
    (message) => finish(name, true, message),
    (e) => finish(name, false, e.message),
  );
}

/** An HTTP request with a timeout; resolves to { status, text, headers } or throws a readable error. */
async function request(url, { method = 'GET', body, headers, timeoutMs = 1500 } = {}) {
  let res;
  try {
    res = await fetch(url, { method, body, headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new Error(`${method} ${url}: ${(e.cause && e.cause.code) || e.message}`);
  }
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/**
 * Subscribe to a server-sent-events URL. `subscribed` resolves on the broker's `subscribed`
 * event (from then on, published messages reach us); `next(pred, ms)` resolves with the data
 * of the first message event matching `pred`.
 */
function subscribe(url) {
  const waiters = [];
  const seen = [];
  let onSubscribed;
  let onError;
  const subscribed = new Promise((resolve, reject) => {
    onSubscribed = resolve;
    onError = reject;
  });
  const req = http.get(url, (res) => {
    if (res.statusCode !== 200) {
      onError(new Error(`GET ${url}: HTTP ${res.statusCode}`));
      res.resume();
      return;
    }
    res.setEncoding('utf8');
    let buf = '';
    res.on('data', (chunk) => {
      buf += chunk;
      let end;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        let event = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (event === 'subscribed') onSubscribed();
        else if (event === 'message') {
          const text = data.join('\n');
          seen.push(text);
          for (const w of [...waiters]) if (w.pred(text)) w.resolve(text);
        }
      }
    });
  });
  req.on('error', (e) => onError(new Error(`GET ${url}: ${e.code || e.message}`)));
  return {
    subscribed,
    next(pred, ms) {
      const already = seen.find(pred);
      if (already !== undefined) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const w = {
          pred,
          resolve: (text) => {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(w), 1);
            resolve(text);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no matching message on ${url} within ${ms}ms`));
        }, ms);
        waiters.push(w);
      });
    },
    close() {
      req.destroy();
    },
  };
}

/** A value no other run produces: checks never trip over each other or over old data. */
const token = (prefix) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

module.exports = { finish, runCheck, request, subscribe, token };
