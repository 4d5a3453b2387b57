// Full-functionality check of `messaging`: subscribe, publish a unique message, receive it
// within 2 s.
'use strict';
const { runCheck, request, subscribe, token } = require('./lib.cjs');

const base = `http://127.0.0.1:${process.env.PORT || 7102}`;
const TOPIC = 'opsdeck-check';

runCheck('messaging', 4000, async (elapsed) => {
  const message = token('ping');
  const sub = subscribe(`${base}/subscribe/${TOPIC}`);
  try {
    await sub.subscribed;
    const received = sub.next((text) => text === message, 2000);
    const pub = await request(`${base}/publish/${TOPIC}`, { method: 'POST', body: message });
    if (pub.status !== 202) throw new Error(`publish: HTTP ${pub.status} ${pub.text}`);
    await received;
    return `published ${message} on ${TOPIC} and received it in ${elapsed()}ms`;
  } finally {
    sub.close();
  }
});
