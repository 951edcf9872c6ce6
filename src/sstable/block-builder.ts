// Builds one block in memory: prefix-compressed entries, then the restart array. Keys are given in two parts
// (a user key and an optional fixed suffix such as the internal-key trailer) so callers never concatenate.
// The builder reuses its buffers: finish() returns a view that is valid until reset().

export class BlockBuilder {
  private buf: Buffer;
  private pos = 0;
  private restarts: number[] = [];
  private sinceRestart = 0;
  private entries = 0;
  /** The previous full key (user key + suffix), for prefix compression. */
  private last: Buffer;
  private lastLen = 0;

  constructor(
    private readonly restartInterval: number,
    initialCapacity = 8192,
  ) {
    this.buf = Buffer.allocUnsafe(initialCapacity);
    this.last = Buffer.allocUnsafe(256);
  }

  get count(): number {
    return this.entries;
  }

  get empty(): boolean {
    return this.entries === 0;
  }

  /** Size of the block if finished now. */
  estimatedSize(): number {
    return this.pos + 4 * (this.restarts.length + 1);
  }

  /** Appends key (= keyPrefix ++ keySuffix) -> value. Keys must be added in increasing order. */
  add(keyPrefix: Uint8Array, keySuffix: Uint8Array | null, value: Uint8Array): void {
    const plen = keyPrefix.length;
    const slen = keySuffix === null ? 0 : keySuffix.length;
    const klen = plen + slen;
    let shared = 0;
    if (this.sinceRestart >= this.restartInterval || this.entries === 0) {
      this.restarts.push(this.pos);
      this.sinceRestart = 0;
    } else {
      const last = this.last;
      const max = Math.min(this.lastLen, klen);
      // Shared prefix of the previous full key and the new one, walking the two parts of the new key.
      while (shared < max && shared < plen && last[shared] === keyPrefix[shared]) shared++;
      if (shared === plen && keySuffix !== null) {
        while (shared < max && last[shared] === keySuffix[shared - plen]) shared++;
      }
    }
    const nonShared = klen - shared;
    const vlen = value.length;
    this.ensure(15 + nonShared + vlen);
    const b = this.buf;
    let p = this.pos;
    if (shared < 128 && nonShared < 128 && vlen < 128) {
      b[p] = shared;
      b[p + 1] = nonShared;
      b[p + 2] = vlen;
      p += 3;
    } else {
      p = putVarint32(b, p, shared);
      p = putVarint32(b, p, nonShared);
      p = putVarint32(b, p, vlen);
    }
    // Key delta, then value.
    if (shared < plen) p = copyInto(b, p, keyPrefix, shared, plen);
    if (keySuffix !== null) p = copyInto(b, p, keySuffix, Math.max(0, shared - plen), slen);
    p = copyInto(b, p, value, 0, vlen);
    this.pos = p;
    // Remember the full key for the next entry.
    if (this.last.length < klen) {
      const grown = Buffer.allocUnsafe(Math.max(klen, this.last.length * 2));
      this.last.copy(grown, 0, 0, shared);
      this.last = grown;
    }
    copyInto(this.last, shared, keyPrefix, Math.min(shared, plen), plen);
    if (keySuffix !== null) copyInto(this.last, plen, keySuffix, 0, slen);
    this.lastLen = klen;
    this.sinceRestart++;
    this.entries++;
  }

  /** Appends the restart array; returns the finished block (a view into the builder, valid until reset()). */
  finish(): Buffer {
    if (this.restarts.length === 0) this.restarts.push(0); // an empty block still has one restart
    this.ensure(4 * (this.restarts.length + 1));
    const b = this.buf;
    let p = this.pos;
    for (const r of this.restarts) {
      b.writeUInt32LE(r, p);
      p += 4;
    }
    b.writeUInt32LE(this.restarts.length, p);
    p += 4;
    this.pos = p;
    return b.subarray(0, p);
  }

  reset(): void {
    this.pos = 0;
    this.restarts.length = 0;
    this.sinceRestart = 0;
    this.entries = 0;
    this.lastLen = 0;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}

function putVarint32(b: Uint8Array, p: number, v: number): number {
  while (v >= 0x80) {
    b[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  b[p++] = v;
  return p;
}

/** Copies src[from, to) to dst[at...]; a plain loop beats the native call for the short keys of a block. */
function copyInto(dst: Uint8Array, at: number, src: Uint8Array, from: number, to: number): number {
  const n = to - from;
  if (n > 64) {
    dst.set(from === 0 && to === src.length ? src : src.subarray(from, to), at); // no view when copying it all
    return at + n;
  }
  for (let i = from; i < to; i++) dst[at++] = src[i];
  return at;
}
