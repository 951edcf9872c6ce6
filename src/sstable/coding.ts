// Varints and fixed-width integers as LevelDB/RocksDB encode them. 64-bit quantities are JavaScript numbers:
// offsets, sizes and counts in a table stay far below 2^53, and a decoder refuses anything larger rather than
// round it.
import { CorruptionError } from "../errors";

/** Bytes that putUvarint writes for v. */
export function uvarintLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Writes v (0 <= v < 2^53) at buf[pos]; returns the position after it. */
export function putUvarint(buf: Uint8Array, pos: number, v: number): number {
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

export function encodeUvarint(v: number): Buffer {
  const b = Buffer.allocUnsafe(uvarintLength(v));
  putUvarint(b, 0, v);
  return b;
}

export function encodeFixed32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
}

export function encodeFixed64(v: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64LE(BigInt(v), 0);
  return b;
}

/**
 * Reads values from buf[pos, end) and throws a CorruptionError naming `file` and `what` when they run past
 * the end or do not parse: the one place where untrusted bytes become numbers.
 */
export class Decoder {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
    private readonly file: string,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(problem: string): never {
    throw new CorruptionError(this.file, `${this.what}: ${problem} at byte ${this.pos}`);
  }

  uvarint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail("truncated varint");
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) this.fail("varint larger than 2^53");
        return result;
      }
      mul *= 128;
    }
    return this.fail("bad varint (more than 10 bytes)");
  }

  /** A zigzag-encoded signed varint64 (RocksDB's varsignedint64). */
  svarint(): number {
    const u = this.uvarint();
    // zigzag: 0 -> 0, 1 -> -1, 2 -> 1, ...; done in floating point because u may exceed 2^32.
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  fixed32(): number {
    if (this.end - this.pos < 4) this.fail("truncated 32-bit integer");
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  bytes(n: number): Uint8Array {
    if (n < 0 || this.end - this.pos < n) this.fail(`truncated: need ${n} bytes, have ${this.end - this.pos}`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/** Decodes a whole buffer as one varint (property values); undefined when it is not exactly one varint. */
export function decodeUvarintExact(buf: Uint8Array): number | undefined {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < buf.length && i < 10; i++) {
    const b = buf[i];
    result += (b & 0x7f) * mul;
    if (b < 0x80) return i === buf.length - 1 && result <= Number.MAX_SAFE_INTEGER ? result : undefined;
    mul *= 128;
  }
  return undefined;
}
