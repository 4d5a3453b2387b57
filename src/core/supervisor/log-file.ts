/**
 * A service's captured output: one line per write, timestamped and tagged with the stream,
 * secrets redacted (src/core/redact.ts), appended synchronously (nothing buffered is lost if the
 * engine dies), rotated by size (`name.log` → `name.log.1` → … → `name.log.<keep>`). Owner-only:
 * files 0600 in a 0700 folder (src/core/private-files.ts), rotated ones too.
 */
import { closeSync, existsSync, fstatSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { openPrivate, privateDir } from '../private-files';
import { redactSecrets } from '../redact';

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
    // One line per write, whatever it holds (an argv or a check's output can span lines).
    const text = `${new Date(this.now()).toISOString()} ${stream.padEnd(6)} ${redactSecrets(line).replace(/\r?\n/g, ' ⏎ ')}\n`;
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
    privateDir(dirname(this.path));
    this.fd = openPrivate(this.path, 'a');
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
