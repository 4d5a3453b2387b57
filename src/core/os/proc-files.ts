/**
 * Files of /proc that are read again at every sample (each supervised process's `stat` and its
 * threads' `children`), kept open and read from their start with one pread each: readFileSync
 * costs an open, an fstat, the read and a close (and Node's option handling) every time, for a
 * 300-byte line; at 50 services that was most of what a metrics sample cost. procfs makes the
 * content afresh at every read from offset 0.
 *
 * A file is closed when a read of it fails (its process has exited: procfs answers ESRCH) and by
 * sweep(), for the files not read since the previous sweep (processes no longer walked). A pid
 * reused by a new process is read afresh: the old descriptor fails, and the path is opened again
 * at once. At most `maxOpen` files (default 256) are kept open, so a large stack does not use up
 * the engine's descriptors: past that, a file is opened, read and closed as before.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export class ProcFiles {
  private readonly fds = new Map<string, number>();
  private readonly readSinceSweep = new Set<string>();
  private buf = Buffer.allocUnsafe(4096);

  constructor(private readonly maxOpen = 512) {}

  /** The file's content now, or undefined when it cannot be read (the process is gone, no /proc). */
  read(path: string): string | undefined {
    this.readSinceSweep.add(path);
    const fd = this.fds.get(path);
    if (fd !== undefined) {
      const text = this.readFrom(fd);
      if (text !== undefined) return text;
      this.close(path);
    }
    let fresh: number;
    try {
      fresh = openSync(path, 'r');
    } catch {
      return undefined;
    }
    this.fds.set(path, fresh);
    const text = this.readFrom(fresh);
    if (text === undefined || this.fds.size > this.maxOpen) this.close(path);
    return text;
  }

  /** Closes the files not read since the last sweep. */
  sweep(): void {
    for (const path of this.fds.keys()) if (!this.readSinceSweep.has(path)) this.close(path);
    this.readSinceSweep.clear();
  }

  /** Closes every file. */
  closeAll(): void {
    for (const path of [...this.fds.keys()]) this.close(path);
    this.readSinceSweep.clear();
  }

  /** Descriptors open now (for tests). */
  get openCount(): number {
    return this.fds.size;
  }

  private readFrom(fd: number): string | undefined {
    try {
      for (;;) {
        const n = readSync(fd, this.buf, 0, this.buf.length, 0);
        // A file as long as the buffer may have more: read it again into a bigger one.
        if (n < this.buf.length) return this.buf.toString('latin1', 0, n);
        this.buf = Buffer.allocUnsafe(this.buf.length * 2);
      }
    } catch {
      return undefined;
    }
  }

  private close(path: string): void {
    const fd = this.fds.get(path);
    if (fd === undefined) return;
    this.fds.delete(path);
    try {
      closeSync(fd);
    } catch {
      // already closed: nothing to do
    }
  }
}
