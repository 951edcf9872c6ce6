// Where a TableReader's bytes come from: a local file read with fs.readSync (random block reads, plus a
// read-ahead window for scans), or a buffer already in memory.
import * as fs from "node:fs";
import { CorruptionError, TarnError } from "../errors";

export interface Source {
  readonly size: number;
  /**
   * Bytes [offset, offset + length). With `sequential`, a file source reads ahead and returns a view into a
   * larger window: callers that keep the bytes long (the block cache) should copy them.
   */
  read(offset: number, length: number, sequential: boolean): Buffer;
  /** True when views returned by sequential reads pin a larger buffer. */
  readonly windowed: boolean;
  close(): void;
}

const READ_AHEAD = 512 * 1024;

export class FileSource implements Source {
  readonly size: number;
  readonly windowed = true;
  private fd: number;
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;

  constructor(readonly path: string) {
    try {
      this.fd = fs.openSync(path, "r");
      this.size = fs.fstatSync(this.fd).size;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new TarnError(code === "ENOENT" ? "NOT_FOUND" : "INVALID_ARGUMENT", `cannot open table ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  read(offset: number, length: number, sequential: boolean): Buffer {
    this.checkRange(offset, length);
    if (sequential) {
      const w = this.window;
      if (offset >= this.windowStart && offset + length <= this.windowStart + w.length) {
        return w.subarray(offset - this.windowStart, offset - this.windowStart + length);
      }
      // A fresh window each time (never overwritten), so earlier views stay valid.
      const n = Math.min(Math.max(length, READ_AHEAD), this.size - offset);
      this.window = this.readExact(offset, n);
      this.windowStart = offset;
      return this.window.subarray(0, length);
    }
    return this.readExact(offset, length);
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
    this.window = Buffer.alloc(0);
  }

  private readExact(offset: number, length: number): Buffer {
    if (this.fd < 0) throw new TarnError("FAILED_PRECONDITION", `${this.path}: table reader is closed`);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = fs.readSync(this.fd, out, done, length - done, offset + done);
      } catch (err) {
        throw new TarnError("UNAVAILABLE", `cannot read table ${this.path}: ${(err as Error).message}`, { cause: err });
      }
      if (n === 0) throw new CorruptionError(this.path, `file ended at byte ${offset + done} while reading ${length} bytes at ${offset} (truncated?)`);
      done += n;
    }
    return out;
  }

  private checkRange(offset: number, length: number): void {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new CorruptionError(this.path, `read of ${length} bytes at ${offset} goes past the end of the ${this.size}-byte file`);
    }
  }
}

export class BufferSource implements Source {
  readonly size: number;
  readonly windowed = false;

  constructor(
    private bytes: Buffer,
    private readonly name: string,
  ) {
    this.size = bytes.length;
  }

  read(offset: number, length: number): Buffer {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new CorruptionError(this.name, `read of ${length} bytes at ${offset} goes past the end of the ${this.size}-byte table`);
    }
    return this.bytes.subarray(offset, offset + length);
  }

  close(): void {
    this.bytes = Buffer.alloc(0);
  }
}
