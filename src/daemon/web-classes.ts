/**
 * Small implementations of the Fetch standard's `Headers`, `Request` and `Response`, enough for
 * hono and @hono/node-server to serve the control API with. Node's own (undici) cost a process
 * that only serves the API 3-5 MB of memory for as long as it runs (its code, and the http2 and
 * other modules it loads): daemon-globals.ts installs these instead in the engine daemon.
 *
 * What is left out on purpose: `FormData` bodies and `formData()` (a TypeError says so), and the
 * network-only parts of a Request (cache, mode, credentials, ...) beyond their default values.
 */

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FORBIDDEN_VALUE = /[\0\r\n]/;
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

function headerName(name: unknown): string {
  const s = String(name);
  if (!TOKEN.test(s)) throw new TypeError(`Headers: invalid header name "${s}"`);
  return s.toLowerCase();
}

function headerValue(value: unknown): string {
  const s = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  if (FORBIDDEN_VALUE.test(s)) throw new TypeError('Headers: invalid header value (NUL, CR or LF)');
  return s;
}

export type HeadersInitLike = LightHeaders | Headers | Iterable<readonly [string, string]> | Record<string, string | readonly string[]>;

export class LightHeaders {
  /** lower-case name → values in the order they were added */
  readonly #map = new Map<string, string[]>();

  constructor(init?: HeadersInitLike | null) {
    if (init == null) return;
    if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
      for (const pair of init as Iterable<readonly [string, string]>) {
        if (!pair || typeof pair === 'string' || pair.length !== 2) throw new TypeError('Headers: each init entry must be a [name, value] pair');
        this.append(pair[0], pair[1]);
      }
      return;
    }
    if (typeof init !== 'object') throw new TypeError('Headers: init must be an object, an iterable of pairs, or Headers');
    for (const [k, v] of Object.entries(init)) {
      if (Array.isArray(v)) for (const one of v) this.append(k, one as string);
      else this.append(k, v as string);
    }
  }

  append(name: string, value: string): void {
    const key = headerName(name);
    const v = headerValue(value);
    const list = this.#map.get(key);
    if (list) list.push(v);
    else this.#map.set(key, [v]);
  }

  set(name: string, value: string): void {
    this.#map.set(headerName(name), [headerValue(value)]);
  }

  delete(name: string): void {
    this.#map.delete(headerName(name));
  }

  has(name: string): boolean {
    return this.#map.has(headerName(name));
  }

  get(name: string): string | null {
    const key = headerName(name);
    const list = this.#map.get(key);
    if (!list) return null;
    return list.join(key === 'cookie' ? '; ' : ', ');
  }

  getSetCookie(): string[] {
    return [...(this.#map.get('set-cookie') ?? [])];
  }

  forEach(cb: (value: string, name: string, headers: LightHeaders) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) cb.call(thisArg, v, k, this);
  }

  /** Sorted by name; `set-cookie` values one by one, every other name's values joined. */
  *entries(): IterableIterator<[string, string]> {
    for (const k of [...this.#map.keys()].sort()) {
      const list = this.#map.get(k)!;
      if (k === 'set-cookie') for (const v of list) yield [k, v];
      else yield [k, list.join(', ')];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): IterableIterator<string> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'Headers';
  }
}

type Source = { kind: 'none' } | { kind: 'bytes'; bytes: Uint8Array } | { kind: 'blob'; blob: Blob } | { kind: 'stream'; stream: ReadableStream<Uint8Array> };

const encoder = new TextEncoder();

/** What a body init becomes, and the content type it implies. */
function extractBody(body: unknown): { source: Source; type?: string } {
  if (body == null) return { source: { kind: 'none' } };
  if (typeof body === 'string') return { source: { kind: 'bytes', bytes: encoder.encode(body) }, type: 'text/plain;charset=UTF-8' };
  if (body instanceof URLSearchParams) return { source: { kind: 'bytes', bytes: encoder.encode(body.toString()) }, type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  if (body instanceof ArrayBuffer) return { source: { kind: 'bytes', bytes: new Uint8Array(body.slice(0)) } };
  if (ArrayBuffer.isView(body)) return { source: { kind: 'bytes', bytes: new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)) } };
  if (typeof Blob !== 'undefined' && body instanceof Blob) return { source: { kind: 'blob', blob: body }, ...(body.type ? { type: body.type } : {}) };
  if (typeof (body as ReadableStream).getReader === 'function') return { source: { kind: 'stream', stream: body as ReadableStream<Uint8Array> } };
  if (typeof body === 'object' && Object.prototype.toString.call(body) === '[object FormData]') {
    throw new TypeError('FormData bodies are not supported here (the engine daemon serves JSON and text)');
  }
  return { source: { kind: 'bytes', bytes: encoder.encode(String(body)) }, type: 'text/plain;charset=UTF-8' };
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = typeof value === 'string' ? encoder.encode(value) : value;
    parts.push(chunk);
    n += chunk.byteLength;
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** The body half shared by LightRequest and LightResponse. */
abstract class LightBody {
  #source: Source;
  #stream: ReadableStream<Uint8Array> | null | undefined;
  #used = false;
  abstract readonly headers: LightHeaders;

  protected constructor(source: Source) {
    this.#source = source;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#stream !== undefined) return this.#stream;
    const s = this.#source;
    this.#stream = s.kind === 'none' ? null : s.kind === 'stream' ? s.stream : s.kind === 'bytes' ? streamOf(s.bytes) : (s.blob.stream() as ReadableStream<Uint8Array>);
    return this.#stream;
  }

  get bodyUsed(): boolean {
    return this.#used || (this.#stream != null && this.#stream.locked && this.#source.kind === 'stream');
  }

  async #consume(): Promise<Uint8Array> {
    if (this.#used || (this.#stream != null && this.#stream.locked)) throw new TypeError('Body is unusable: Body has already been used');
    this.#used = true;
    const s = this.#source;
    if (this.#stream != null && s.kind !== 'bytes') return readAll(this.#stream);
    if (s.kind === 'none') return new Uint8Array(0);
    if (s.kind === 'bytes') return s.bytes;
    if (s.kind === 'blob') return new Uint8Array(await s.blob.arrayBuffer());
    return readAll(s.stream);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = await this.#consume();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer());
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(await this.#consume());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async blob(): Promise<Blob> {
    const b = await this.#consume();
    return new Blob([b], { type: this.headers.get('content-type') ?? '' });
  }

  async formData(): Promise<never> {
    throw new TypeError('formData() is not supported here (the engine daemon serves JSON and text)');
  }

  /** The source for a clone: a stream body is teed, this side keeps one branch. */
  protected cloneSource(): Source {
    if (this.bodyUsed) throw new TypeError('Body is unusable: cannot clone a used body');
    const s = this.#source;
    if (s.kind !== 'stream' && this.#stream == null) return s;
    const [a, b] = this.body!.tee();
    this.#source = { kind: 'stream', stream: a };
    this.#stream = a;
    return { kind: 'stream', stream: b };
  }
}

export interface LightResponseInit {
  status?: number;
  statusText?: string;
  headers?: HeadersInitLike;
}

export class LightResponse extends LightBody {
  readonly status: number;
  readonly statusText: string;
  readonly headers: LightHeaders;

  constructor(body: unknown = null, init: LightResponseInit = {}) {
    const { source, type } = extractBody(body);
    super(source);
    const status = init.status ?? 200;
    if (!Number.isInteger(status) || status < 200 || status > 599) throw new RangeError(`Response: status ${status} is outside 200-599`);
    if (source.kind !== 'none' && NULL_BODY_STATUS.has(status)) throw new TypeError(`Response: status ${status} cannot have a body`);
    this.status = status;
    this.statusText = init.statusText ?? '';
    this.headers = new LightHeaders(init.headers);
    if (type && !this.headers.has('content-type')) this.headers.set('content-type', type);
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get type(): string {
    return this.status === 0 ? 'error' : 'default';
  }

  get url(): string {
    return '';
  }

  get redirected(): boolean {
    return false;
  }

  clone(): LightResponse {
    return new LightResponse(streamOrNull(this.cloneSource()), { status: this.status, statusText: this.statusText, headers: this.headers });
  }

  static json(data: unknown, init: LightResponseInit = {}): LightResponse {
    const headers = new LightHeaders(init.headers);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return new LightResponse(JSON.stringify(data), { ...init, headers });
  }

  static redirect(url: string | URL, status = 302): LightResponse {
    if (!REDIRECT_STATUS.has(status)) throw new RangeError(`Response.redirect: ${status} is not a redirect status`);
    return new LightResponse(null, { status, headers: { location: new URL(url).href } });
  }

  static error(): LightResponse {
    const r = new LightResponse(null, { status: 200 });
    Object.defineProperty(r, 'status', { value: 0 });
    return r;
  }

  get [Symbol.toStringTag](): string {
    return 'Response';
  }
}

function streamOrNull(s: Source): unknown {
  if (s.kind === 'none') return null;
  if (s.kind === 'bytes') return s.bytes;
  if (s.kind === 'blob') return s.blob;
  return s.stream;
}

export interface LightRequestInit {
  method?: string;
  headers?: HeadersInitLike;
  body?: unknown;
  signal?: AbortSignal | null;
  redirect?: string;
  duplex?: string;
}

const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

export class LightRequest extends LightBody {
  readonly url: string;
  readonly method: string;
  readonly headers: LightHeaders;
  readonly signal: AbortSignal;
  readonly redirect: string;

  constructor(input: string | URL | LightRequest, init: LightRequestInit = {}) {
    const from = input instanceof LightRequest ? input : undefined;
    const method = normalizeMethod(init.method ?? from?.method ?? 'GET');
    let body: { source: Source; type?: string };
    if (init.body != null) body = extractBody(init.body);
    else if (from && 'body' in init === false) body = { source: from.cloneSource() };
    else body = { source: { kind: 'none' } };
    if (body.source.kind !== 'none' && (method === 'GET' || method === 'HEAD')) throw new TypeError(`Request: a ${method} request cannot have a body`);
    super(body.source);
    let url: URL;
    try {
      url = new URL(from ? from.url : String(input));
    } catch {
      throw new TypeError(`Request: invalid URL "${String(input)}"`);
    }
    this.url = url.href;
    this.method = method;
    this.headers = new LightHeaders(init.headers ?? from?.headers);
    if (body.type && !this.headers.has('content-type')) this.headers.set('content-type', body.type);
    this.signal = init.signal ?? from?.signal ?? new AbortController().signal;
    this.redirect = init.redirect ?? from?.redirect ?? 'follow';
  }

  get cache(): string {
    return 'default';
  }

  get credentials(): string {
    return 'same-origin';
  }

  get mode(): string {
    return 'cors';
  }

  get keepalive(): boolean {
    return false;
  }

  clone(): LightRequest {
    return new LightRequest(this.url, { method: this.method, headers: this.headers, body: streamOrNull(this.cloneSource()), signal: this.signal, redirect: this.redirect });
  }

  get [Symbol.toStringTag](): string {
    return 'Request';
  }
}

function normalizeMethod(m: string): string {
  if (!TOKEN.test(m)) throw new TypeError(`Request: invalid method "${m}"`);
  const upper = m.toUpperCase();
  if (upper === 'CONNECT' || upper === 'TRACE' || upper === 'TRACK') throw new TypeError(`Request: method ${upper} is forbidden`);
  return NORMALIZED_METHODS.has(upper) ? upper : m;
}
