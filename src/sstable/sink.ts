// Where a TableWriter's bytes go: a file written through a fixed-size buffer (memory stays bounded however
// large the table grows), or a growable in-memory buffer.
import * as fs from "node:fs";
import { TarnError } from "../errors";

export interface Sink {
  /** Bytes accepted so far: the offset the next write lands at. */
  readonly offset: number;
  /** Copies chunk (the caller may reuse it afterwards). */
  write(chunk: Uint8Array): void;
  /** Flushes and makes the bytes durable; returns them for an in-memory sink. */
  finish(): Buffer | undefined;
  /** Drops everything written (removes a partial file). */
  abort(): void;
}

const FILE_BUFFER = 1 << 20;

export class FileSink implements Sink {
  offset = 0;
  private fd: number;
  private buf = Buffer.allocUnsafe(FILE_BUFFER);
  private used = 0;

  constructor(readonly path: string) {
    try {
      this.fd = fs.openSync(path, "w", 0o644);
    } catch (err) {
      throw new TarnError("INVALID_ARGUMENT", `cannot create table file ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  write(chunk: Uint8Array): void {
    this.offset += chunk.length;
    if (chunk.length > this.buf.length - this.used) {
      this.flush();
      if (chunk.length > this.buf.length) {
        this.writeAll(chunk);
        return;
      }
    }
    this.buf.set(chunk, this.used);
    this.used += chunk.length;
  }

  finish(): undefined {
    this.flush();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = -1;
    return undefined;
  }

  abort(): void {
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed: nothing to release
      }
      this.fd = -1;
    }
    fs.rmSync(this.path, { force: true });
  }

  private flush(): void {
    if (this.used > 0) this.writeAll(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  private writeAll(bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(this.fd, bytes, done, bytes.length - done);
  }
}

export class MemorySink implements Sink {
  offset = 0;
  private buf = Buffer.allocUnsafe(64 * 1024);

  write(chunk: Uint8Array): void {
    const need = this.offset + chunk.length;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.offset);
      this.buf = grown;
    }
    this.buf.set(chunk, this.offset);
    this.offset = need;
  }

  finish(): Buffer {
    // A right-sized copy, so the caller does not hold on to the slack.
    return Buffer.from(this.buf.subarray(0, this.offset));
  }

  abort(): void {
    this.buf = Buffer.alloc(0);
    this.offset = 0;
  }
}
