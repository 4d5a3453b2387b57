/**
 * A service's output as lines: what node:readline does for a stream, for much less per stream
 * (the engine keeps two open for every service it runs). A line ends at `\n`, `\r\n` or a lone
 * `\r`; UTF-8 characters split between chunks are joined; the last line is given even without a
 * line end when the stream ends; a line longer than MAX_LINE_CHARS is given in pieces of that
 * size, so a service that never ends a line cannot make the engine hold all it printed.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

export const MAX_LINE_CHARS = 64 * 1024;

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private carry = '';
  /** The last chunk ended with `\r`: a `\n` opening the next one belongs to that line end. */
  private afterCr = false;

  constructor(private readonly onLine: (line: string) => void) {}

  /** Feed a chunk of bytes (or text). */
  push(chunk: Buffer | string): void {
    let text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    if (this.afterCr && text.startsWith('\n')) text = text.slice(1);
    this.afterCr = false;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.emit(this.carry + text.slice(start, i));
      this.carry = '';
      if (c === 13) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else this.afterCr = true;
      }
      start = i + 1;
    }
    this.carry += text.slice(start);
    while (this.carry.length > MAX_LINE_CHARS) {
      this.onLine(this.carry.slice(0, MAX_LINE_CHARS));
      this.carry = this.carry.slice(MAX_LINE_CHARS);
    }
  }

  /** The stream ended: give what is left as a last line. */
  end(): void {
    const rest = this.carry + this.decoder.end();
    this.carry = '';
    if (rest) this.emit(rest);
  }

  private emit(line: string): void {
    for (let i = 0; i < line.length; i += MAX_LINE_CHARS) this.onLine(line.slice(i, i + MAX_LINE_CHARS));
    if (!line.length) this.onLine('');
  }
}

/** Give each line of `stream` to `onLine` until it ends (or fails: what was read still counts). */
export function splitLines(stream: Readable, onLine: (line: string) => void): void {
  const splitter = new LineSplitter(onLine);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    splitter.end();
  };
  stream.on('data', (chunk: Buffer | string) => splitter.push(chunk));
  stream.once('end', end);
  stream.on('error', end);
}
