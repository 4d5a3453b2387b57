/**
 * How one blob (a chunk, an index file, an encrypted manifest) is stored:
 *
 *   unencrypted:  codec (1 byte) ‖ payload
 *   encrypted:    seal(codec ‖ payload)  =  nonce (12) ‖ AES-256-GCM(codec ‖ payload) ‖ tag (16)
 *
 * codec 0 = stored as is, 1 = raw deflate, 2 = brotli. A blob that does not shrink is stored
 * with codec 0. Compression runs on libuv's thread pool (zlib's async API), so several blobs
 * compress in parallel while the main thread chunks and hashes.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Codec, CompressionSetting } from './index';
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
 * compression itself. One buffer of about the input's size makes it one trip.
 */
function outChunk(n: number): number {
  return Math.max(64 * 1024, Math.min(n + 4096, 8 * 1024 * 1024));
}

/** Worth compressing? A 32 KiB sample from the middle is tried first (as the workers do). */
function worthCompressing(plain: Buffer, setting: CompressionSetting): boolean {
  if (plain.length <= 256 * 1024) return true;
  const off = (plain.length >> 1) - 16384;
  const sample = plain.subarray(off, off + 32768);
  const z =
    setting.codec === 'brotli'
      ? zlib.brotliCompressSync(sample, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: setting.level, [zlib.constants.BROTLI_PARAM_LGWIN]: 22 } })
      : zlib.deflateRawSync(sample, { level: setting.level });
  return z.length < sample.length * 0.97;
}

async function compress(plain: Buffer, setting: CompressionSetting): Promise<Buffer | undefined> {
  if (setting.codec === 'none' || !worthCompressing(plain, setting)) return undefined;
  if (setting.codec === 'deflate') return deflateRaw(plain, { level: setting.level, chunkSize: outChunk(plain.length) });
  return brotliCompress(plain, {
    chunkSize: outChunk(plain.length),
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: setting.level,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: plain.length,
      [zlib.constants.BROTLI_PARAM_LGWIN]: 22,
    },
  });
}

export async function encodeBlob(plain: Buffer, setting: CompressionSetting, key?: Buffer): Promise<EncodedBlob> {
  let codec: Codec = 'none';
  let payload = plain;
  if (plain.length >= 64) {
    const c = await compress(plain, setting);
    if (c && c.length < plain.length - 16) {
      codec = setting.codec;
      payload = c;
    }
  }
  const head = Buffer.of(CODEC_BYTE[codec]);
  if (key) {
    const sealed = seal(key, [head, payload]);
    return { parts: [sealed], length: sealed.length, rawLength: plain.length, codec };
  }
  return { parts: [head, payload], length: 1 + payload.length, rawLength: plain.length, codec };
}

/** The plaintext of a stored blob. Throws BlobDecodeError when it cannot be decoded. */
export async function decodeBlob(stored: Uint8Array, key?: Buffer, rawLength?: number): Promise<Buffer> {
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
  const payload = Buffer.from(inner.buffer, inner.byteOffset + 1, inner.length - 1);
  const limit = rawLength !== undefined ? { maxOutputLength: Math.max(rawLength, 1), chunkSize: outChunk(rawLength) } : { chunkSize: outChunk(payload.length * 4) };
  try {
    switch (codec) {
      case 'none':
        return payload;
      case 'deflate':
        return await inflateRaw(payload, limit);
      case 'brotli':
        return await brotliDecompress(payload, limit);
      default:
        throw new BlobDecodeError(`unknown codec byte ${inner[0]}`);
    }
  } catch (e) {
    if (e instanceof BlobDecodeError) throw e;
    throw new BlobDecodeError(`cannot decompress (${codec}): ${(e as Error).message}`);
  }
}

/** Encode a small document (index file, manifest, pack trailer) as one buffer. */
export async function encodeDocument(plain: Buffer, key?: Buffer): Promise<Buffer> {
  const b = await encodeBlob(plain, { codec: 'brotli', level: 4 }, key);
  return b.parts.length === 1 ? b.parts[0]! : Buffer.concat(b.parts);
}
