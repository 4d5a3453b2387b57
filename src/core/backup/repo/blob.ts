/**
 * How one blob (a chunk, an index file, an encrypted manifest) is stored:
 *
 *   unencrypted:  codec (1 byte) ‖ payload
 *   encrypted:    seal(codec ‖ payload)  =  nonce (12) ‖ AES-256-GCM(codec ‖ payload) ‖ tag (16)
 *
 * codec 0 = stored as is, 1 = raw deflate, 2 = brotli. A blob that does not shrink is stored
 * with codec 0. The one codec of the repository, in two forms: async (encodeBlob, decodeBlob:
 * zlib on libuv's thread pool, so several blobs compress in parallel while the main thread chunks
 * and hashes) and sync (encodeBlobSync, decodeBlobSync: the worker threads of worker-thread.ts,
 * where each thread is already one core's worth of work).
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Codec, CompressionSetting } from './model';
import { seal, unseal } from './crypto';

export const CODEC_BYTE: Record<Codec, number> = { none: 0, deflate: 1, brotli: 2 };
const BYTE_CODEC: Record<number, Codec> = { 0: 'none', 1: 'deflate', 2: 'brotli' };

const deflateRaw = promisify(zlib.deflateRaw);
const inflateRaw = promisify(zlib.inflateRaw);
const brotliCompress = promisify(zlib.brotliCompress);
const brotliDecompress = promisify(zlib.brotliDecompress);

export interface EncodedBlob {
  /** The stored bytes, in pieces (written with writev). */
  parts: Buffer[];
  length: number;
  rawLength: number;
  codec: Codec;
}

export class BlobDecodeError extends Error {
  constructor(message: string) {
    super(message);
  }
}

/**
 * zlib's output buffer size. The default (16 KiB) makes a 1 MiB blob cost dozens of round trips
 * between the thread pool and the main thread, each allocating a buffer: far slower than the
 * compression itself. One buffer of about the input's size makes it one trip (and no larger: a
 * 64 KiB buffer for each 4 KiB SQLite page costs more than compressing the page).
 */
function outChunk(n: number): number {
  return Math.max(1024, Math.min(n + 1024, 8 * 1024 * 1024));
}

/**
 * The largest brotli window (log2) for a quality. Qualities 0 and 1 compress in blocks of the
 * window's size, each in a buffer of twice that (brotli's `storage`, when zlib's output buffer is
 * smaller), allocated afresh for every blob: a 4 MiB blob cost ~8 MiB of short-lived allocations
 * in a worker thread, which its allocator keeps. Blocks of 256 KiB need 512 KiB, and store about
 * as much: through the CLI, the stack bench's repository is 527 against 526 MiB (bench/README.md,
 * "Tenth round"). Higher qualities match across the whole window: the blob's size, up to 4 MiB.
 */
const windowCap = (quality: number): number => (quality <= 1 ? 18 : 22);

/**
 * zlib options to compress `n` bytes with a setting (deflate level, or brotli quality). zlib
 * returns its output as a view of one buffer of `chunkSize` bytes, which stays allocated as long
 * as the blob does: `expect` (the share of `n` the output is expected to take, from a sample)
 * sizes it to about the output rather than the input. When it is too small, zlib takes one more
 * buffer and joins them: slower, as correct.
 */
function compressOptions(setting: CompressionSetting, n: number, expect = 1): zlib.ZlibOptions & zlib.BrotliOptions {
  const chunkSize = outChunk(Math.ceil(n * Math.min(1, expect)));
  if (setting.codec === 'deflate') return { level: setting.level, chunkSize };
  return {
    chunkSize,
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: setting.level,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: n,
      // a window no larger than the blob: the same output size, and half the cost per 4 KiB page
      [zlib.constants.BROTLI_PARAM_LGWIN]: Math.min(windowCap(setting.level), Math.max(10, Math.ceil(Math.log2(n + 16)))),
    },
  };
}

/** Compress on the calling thread, zlib's output buffer sized for `expect` (compressOptions). */
function compressSync(plain: Uint8Array, setting: CompressionSetting, expect = 1): Buffer {
  const options = compressOptions(setting, plain.length, expect);
  return setting.codec === 'brotli' ? zlib.brotliCompressSync(plain, options) : zlib.deflateRawSync(plain, options);
}

/**
 * The share of its size a blob is expected to take once compressed, or undefined when it is not
 * worth trying: not with codec none nor under 64 bytes; up to 256 KiB, always tried (1); above,
 * only when a 32 KiB sample from the middle shrinks (the sample's ratio, with a margin).
 */
function expectedShare(plain: Uint8Array, setting: CompressionSetting): number | undefined {
  if (setting.codec === 'none' || plain.length < 64) return undefined;
  if (plain.length <= 256 * 1024) return 1;
  const off = (plain.length >> 1) - 16384;
  const sample = plain.subarray(off, off + 32768);
  const ratio = compressSync(sample, setting).length / sample.length;
  return ratio < 0.97 ? ratio * 1.25 + 0.02 : undefined;
}

/** The stored pieces of a blob: codec byte ‖ payload (compressed, or the plaintext when that did not shrink), sealed with a key. */
function frame(plain: Uint8Array, compressed: Buffer | undefined, setting: CompressionSetting, key: Buffer | undefined): { parts: Buffer[]; codec: Codec } {
  const shrunk = compressed !== undefined && compressed.length < plain.length - 16;
  const codec: Codec = shrunk ? setting.codec : 'none';
  const payload = shrunk ? compressed : Buffer.from(plain.buffer, plain.byteOffset, plain.length);
  const head = Buffer.of(CODEC_BYTE[codec]);
  return { parts: key ? [seal(key, [head, payload])] : [head, payload], codec };
}

export async function encodeBlob(plain: Buffer, setting: CompressionSetting, key?: Buffer): Promise<EncodedBlob> {
  let compressed: Buffer | undefined;
  if (expectedShare(plain, setting) !== undefined) {
    const options = compressOptions(setting, plain.length);
    compressed = setting.codec === 'deflate' ? await deflateRaw(plain, options) : await brotliCompress(plain, options);
  }
  const { parts, codec } = frame(plain, compressed, setting, key);
  let length = 0;
  for (const p of parts) length += p.length;
  return { parts, length, rawLength: plain.length, codec };
}

/**
 * encodeBlob on the calling thread, in its pieces (the codec byte and the payload, or the sealed
 * blob): a worker thread writes them to its pack as they are, with no copy of the blob to join them.
 */
export function encodeBlobPartsSync(plain: Uint8Array, setting: CompressionSetting, key?: Buffer): { parts: Buffer[]; codec: Codec } {
  const expect = expectedShare(plain, setting);
  return frame(plain, expect === undefined ? undefined : compressSync(plain, setting, expect), setting, key);
}

/** encodeBlob on the calling thread, as one buffer. */
export function encodeBlobSync(plain: Uint8Array, setting: CompressionSetting, key?: Buffer): { data: Buffer; codec: Codec } {
  const { parts, codec } = encodeBlobPartsSync(plain, setting, key);
  return { data: parts.length === 1 ? parts[0]! : Buffer.concat(parts), codec };
}

/** A stored blob opened (authenticated when a key is given) and split into its codec and payload. */
function openBlob(stored: Uint8Array, key: Buffer | undefined): { codec: Codec; payload: Buffer } {
  let inner: Uint8Array;
  if (key) {
    const opened = unseal(key, stored);
    if (!opened) throw new BlobDecodeError('authentication failed (damaged data or wrong key)');
    inner = opened;
  } else {
    inner = stored;
  }
  if (inner.length < 1) throw new BlobDecodeError('empty blob');
  const codec = BYTE_CODEC[inner[0]!];
  if (!codec) throw new BlobDecodeError(`unknown codec byte ${inner[0]}`);
  return { codec, payload: Buffer.from(inner.buffer, inner.byteOffset + 1, inner.length - 1) };
}

const decompressError = (codec: Codec, e: unknown) => new BlobDecodeError(`cannot decompress (${codec}): ${(e as Error).message}`);

/** Open a stored blob and decompress its payload with the sync or async zlib functions given. */
function decodeWith<T>(
  stored: Uint8Array,
  key: Buffer | undefined,
  rawLength: number | undefined,
  inflate: (payload: Buffer, options: zlib.ZlibOptions) => T,
  unbrotli: (payload: Buffer, options: zlib.BrotliOptions) => T,
): { codec: Codec; out: T | Buffer } {
  const { codec, payload } = openBlob(stored, key);
  const limit = rawLength !== undefined ? { maxOutputLength: Math.max(rawLength, 1), chunkSize: outChunk(rawLength) } : { chunkSize: outChunk(payload.length * 4) };
  try {
    return { codec, out: codec === 'none' ? payload : codec === 'deflate' ? inflate(payload, limit) : unbrotli(payload, limit) };
  } catch (e) {
    throw decompressError(codec, e);
  }
}

/** The plaintext of a stored blob. Throws BlobDecodeError when it cannot be decoded. */
export async function decodeBlob(stored: Uint8Array, key?: Buffer, rawLength?: number): Promise<Buffer> {
  const { codec, out } = decodeWith(stored, key, rawLength, inflateRaw, brotliDecompress);
  try {
    return await out;
  } catch (e) {
    throw decompressError(codec, e);
  }
}

/** decodeBlob on the calling thread. */
export function decodeBlobSync(stored: Uint8Array, key?: Buffer, rawLength?: number): Buffer {
  return decodeWith(stored, key, rawLength, zlib.inflateRawSync, zlib.brotliDecompressSync).out;
}

/** Encode a small document (index file, manifest, pack trailer) as one buffer; brotli unless told otherwise. */
export async function encodeDocument(plain: Buffer, key?: Buffer, setting: CompressionSetting = { codec: 'brotli', level: 4 }): Promise<Buffer> {
  const b = await encodeBlob(plain, setting, key);
  return b.parts.length === 1 ? b.parts[0]! : Buffer.concat(b.parts);
}
