/**
 * A service's captured output: one line per write, timestamped and tagged with the stream,
 * appended synchronously (nothing buffered is lost if the engine dies), rotated by size
 * (`name.log` → `name.log.1` → … → `name.log.<keep>`).
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface LogFileOptions {
  maxBytes: number;
  keep: number;
}

export class LogFile {
  private fd: number | undefined;
  private size = 0;

  constructor(
    readonly path: string,
    private readonly opts: LogFileOptions,
    private readonly now: () => number = Date.now,
  ) {}

  write(stream: 'stdout' | 'stderr' | 'opsdeck', line: string): void {
    const text = `${new Date(this.now()).toISOString()} ${stream.padEnd(6)} ${line}\n`;
    const bytes = Buffer.byteLength(text);
    if (this.fd === undefined) this.open();
    if (this.size > 0 && this.size + bytes > this.opts.maxBytes) this.rotate();
    writeSync(this.fd!, text);
    this.size += bytes;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    this.fd = openSync(this.path, 'a');
    this.size = fstatSync(this.fd).size;
  }

  private rotate(): void {
    this.close();
    const { keep } = this.opts;
    if (keep === 0) {
      rmSync(this.path, { force: true });
    } else {
      rmSync(`${this.path}.${keep}`, { force: true });
      for (let i = keep - 1; i >= 1; i--) {
        if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      }
      renameSync(this.path, `${this.path}.1`);
    }
    this.open();
  }
}
