// Full-functionality check of `api`, end to end: listen on the messaging topic `notes`,
// POST a note, GET it back by id, and see it announced on the topic within 2 s.
'use strict';
const { runCheck, request, subscribe, token } = require('./lib.cjs');

const base = `http://127.0.0.1:${process.env.PORT || 7103}`;
const messaging = process.env.MESSAGING_URL || 'http://127.0.0.1:7102';

runCheck('api', 5000, async (elapsed) => {
  const text = token('check note');
  const sub = subscribe(`${messaging}/subscribe/notes`);
  try {
    await sub.subscribed;
    const created = await request(`${base}/notes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    if (created.status !== 201) throw new Error(`POST /notes: HTTP ${created.status} ${created.text}`);
    const note = JSON.parse(created.text);
    if (!note.published) throw new Error(`note ${note.id} was stored but not published on messaging`);
    const announced = sub.next((data) => {
      try {
        return JSON.parse(data).id === note.id;
      } catch {
        return false;
      }
    }, 2000);
    const got = await request(`${base}/notes/${encodeURIComponent(note.id)}`);
    if (got.status !== 200) throw new Error(`GET /notes/${note.id}: HTTP ${got.status} ${got.text}`);
    if (JSON.parse(got.text).text !== text) throw new Error(`note ${note.id} read back as ${got.text}`);
    await announced;
    return `note ${note.id} created, read back and announced on notes in ${elapsed()}ms`;
  } finally {
    sub.close();
  }
});
