import assert from 'node:assert/strict';
import { readSse, sseResponse, type SseMessage, type SseWriter } from '../../src/core/api/sse';

/** A body delivering `chunks` one by one, as a network would split them. */
function body(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      chunks.forEach((c) => controller.enqueue(encoder.encode(c)));
      controller.close();
    },
  });
}

async function parse(chunks: string[]): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  await readSse(body(chunks), (m) => out.push(m));
  return out;
}

describe('api: server-sent events', () => {
  it('parses events, multi-line data, ids and comments, whatever the chunking', async () => {
    const text = ': connected\n\nevent: state\ndata: {"a":1}\n\ndata: one\ndata: two\nid: 7\n\n: heartbeat\n\nevent: log\ndata:{"b":2}\n\n';
    const expected = [
      { event: 'state', data: '{"a":1}' },
      { event: 'message', data: 'one\ntwo', id: '7' },
      { event: 'log', data: '{"b":2}', id: '7' },
    ];
    assert.deepEqual(await parse([text]), expected);
    assert.deepEqual(await parse(text.split('')), expected);
    assert.deepEqual(await parse([text.replaceAll('\n', '\r\n')]), expected);
    assert.deepEqual(await parse(text.replaceAll('\n', '\r\n').split('')), expected);
  });

  it('drops a message cut off by the end of the stream', async () => {
    assert.deepEqual(await parse(['event: a\ndata: 1\n\nevent: b\ndata: 2']), [{ event: 'a', data: '1' }]);
  });

  it('multi-byte characters split across chunks survive', async () => {
    const bytes = new TextEncoder().encode('data: «crash» ✓\n\n');
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (const b of bytes) c.enqueue(new Uint8Array([b]));
        c.close();
      },
    });
    const out: SseMessage[] = [];
    await readSse(stream, (m) => out.push(m));
    assert.deepEqual(out, [{ event: 'message', data: '«crash» ✓' }]);
  });

  it('a response stream: open runs at once, its undo when the client goes away', async () => {
    let undone = 0;
    let writer!: SseWriter;
    const res = sseResponse((out) => {
      writer = out;
      out.send('x', { n: 1 });
      return () => undone++;
    }, { heartbeatMs: 60_000 });
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.equal(first, ': connected\n\n');
    assert.equal(new TextDecoder().decode((await reader.read()).value), 'event: x\ndata: {"n":1}\n\n');
    await reader.cancel();
    assert.equal(undone, 1);
    assert.equal(writer.closed, true);
    writer.send('x', 2); // ignored, no throw
  });

  it('closes cleanly when the signal aborts, even one aborted already', async () => {
    const ac = new AbortController();
    let undone = 0;
    const res = sseResponse(() => () => undone++, { heartbeatMs: 60_000, signal: ac.signal });
    ac.abort();
    assert.deepEqual(await new Response(res.body).text(), ': connected\n\n');
    assert.equal(undone, 1);
    const late = sseResponse(() => assert.fail('not opened'), { heartbeatMs: 60_000, signal: ac.signal });
    assert.equal(await new Response(late.body).text(), ': connected\n\n');
  });
});
