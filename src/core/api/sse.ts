/**
 * Server-sent events, both ways: a `text/event-stream` Response the routes write events into
 * (`event: <name>` + one `data:` line of JSON, heartbeats as `: comments`), and the parser the
 * client reads such a stream with.
 */

export interface SseWriter {
  send(event: string, data: unknown): void;
  comment(text: string): void;
  /** End the stream cleanly (the client sees the end of the body, not an error). */
  close(): void;
  readonly closed: boolean;
}

export interface SseOptions {
  /** A `: heartbeat` comment this often, so proxies and clients can tell a quiet stream from a dead one. */
  heartbeatMs: number;
  /** Aborting it closes the stream (the server shutting down). */
  signal?: AbortSignal;
}

/** A client this far behind (in unread messages) is cut off rather than buffered for without bound. */
const MAX_BACKLOG = 10_000;

/**
 * A streaming Response. `open` runs at once (subscribe there, so nothing is missed between the
 * answer and the first event) and returns what to undo when the stream ends, however it ends.
 */
export function sseResponse(open: (out: SseWriter) => (() => void) | void, opts: SseOptions): Response {
  const encoder = new TextEncoder();
  let finish = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      let undo: (() => void) | void;
      const push = (text: string) => {
        if (closed) return;
        controller.enqueue(encoder.encode(text));
        if ((controller.desiredSize ?? 0) < -MAX_BACKLOG) writer.close();
      };
      finish = () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        opts.signal?.removeEventListener('abort', onAbort);
        undo?.();
      };
      const writer: SseWriter = {
        send: (event, data) => push(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
        comment: (text) => push(`: ${text.replace(/[\r\n]+/g, ' ')}\n\n`),
        close: () => {
          if (closed) return;
          finish();
          controller.close();
        },
        get closed() {
          return closed;
        },
      };
      const onAbort = () => writer.close();
      const heartbeat = setInterval(() => writer.comment('heartbeat'), opts.heartbeatMs);
      heartbeat.unref?.();
      writer.comment('connected');
      if (opts.signal?.aborted) return writer.close();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        undo = open(writer);
      } catch (e) {
        finish();
        controller.error(e);
        return;
      }
      if (closed) undo?.();
    },
    cancel() {
      finish();
    },
  });
  return new Response(body, {
    status: 200,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' },
  });
}

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/**
 * Read a `text/event-stream` body to its end, calling `onMessage` for each message (comments
 * are skipped). Resolves when the stream ends or `signal` aborts; rejects if it breaks.
 */
export async function readSse(body: ReadableStream<Uint8Array>, onMessage: (m: SseMessage) => void, signal?: AbortSignal): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  const line = (text: string) => {
    if (text === '') {
      if (data.length) onMessage({ event: event || 'message', data: data.join('\n'), ...(id !== undefined ? { id } : {}) });
      event = '';
      data = [];
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? '' : text.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  };
  const reader = body.getReader();
  const stop = () => void reader.cancel().catch(() => undefined);
  if (signal?.aborted) stop();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      // A trailing \r may be the first half of \r\n: keep it for the next chunk.
      const hold = !done && buffer.endsWith('\r') ? '\r' : '';
      const parts = (hold ? buffer.slice(0, -1) : buffer).split(/\r\n|\r|\n/);
      // The last part is an incomplete line until the stream ends.
      buffer = done ? '' : parts.pop()! + hold;
      for (const p of parts) line(p);
      if (done) return;
    }
  } finally {
    signal?.removeEventListener('abort', stop);
    reader.releaseLock();
  }
}
