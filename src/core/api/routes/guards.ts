/**
 * Request guards of the control API: a body read no further than a size limit, and lists of
 * names each name once.
 */

/**
 * A request body over `maxBytes`: 'too large', known from its content-length or counted as it
 * arrives (then read no further). A body without a length that fits is returned as bytes to
 * stand for the one read; undefined when there is nothing to check or replace.
 */
export async function limitedBody(req: Request, maxBytes: number): Promise<'too large' | Uint8Array | undefined> {
  if (!req.body) return undefined;
  const length = req.headers.get('content-length');
  if (length !== null && !req.headers.has('transfer-encoding')) return Number(length) > maxBytes ? 'too large' : undefined;
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return 'too large';
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/** Each name once (a request may repeat one thousands of times), or undefined. */
export const unique = (names: string[] | undefined) => (names ? [...new Set(names)] : undefined);
