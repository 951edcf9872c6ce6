// Reading one block: parseBlock() checks the restart array of verified, decompressed block bytes, and
// BlockIter walks or seeks its entries. Iterators never trust the bytes: every length is bounds-checked and
// data-block keys must be strictly increasing, so a block that passed its checksum but was written wrongly
// still cannot produce wrong answers.
import { CorruptionError } from "../errors";
import { compareBytes, comparePrefixed, prefix } from "./bytes";
import { BLOCK_TRAILER_SIZE } from "./format";

/** A verified, decompressed block, ready to iterate (and to keep in the block cache). */
export interface Block {
  readonly data: Buffer;
  /** Offset of the restart array: entries occupy data[0, restartsOffset). */
  readonly restartsOffset: number;
  readonly numRestarts: number;
}

const HASH_INDEX_MAX_BLOCK = 64 * 1024;

export function parseBlock(data: Buffer, file: string, what: string): Block {
  const bad = (problem: string): never => {
    throw new CorruptionError(file, `${what}: ${problem}`);
  };
  if (data.length < 4) bad(`block of ${data.length} bytes is too short for its restart count`);
  let numRestarts = data.readUInt32LE(data.length - 4);
  let restartsEnd = data.length - 4;
  // RocksDB's data-block hash index (kDataBlockBinaryAndHash) sets the top bit of the count in blocks up to
  // 64 KiB and puts its buckets between the restart array and the count; we skip the buckets.
  if (data.length <= HASH_INDEX_MAX_BLOCK && numRestarts >= 0x80000000) {
    numRestarts &= 0x7fffffff;
    if (data.length < 6) bad("block too short for its hash index");
    const buckets = data.readUInt16LE(data.length - 6);
    restartsEnd = data.length - 6 - buckets;
  }
  const restartsOffset = restartsEnd - 4 * numRestarts;
  if (numRestarts === 0 || restartsOffset < 0) bad(`restart count ${numRestarts} does not fit in a block of ${data.length} bytes`);
  let prev = -1;
  for (let i = 0; i < numRestarts; i++) {
    const r = data.readUInt32LE(restartsOffset + 4 * i);
    if (r <= prev || r > restartsOffset || (i > 0 && r === restartsOffset)) bad(`restart point ${i} (${r}) out of order or outside the entries`);
    prev = r;
  }
  if (data.readUInt32LE(restartsOffset) !== 0 && restartsOffset > 0) bad("first restart point is not 0");
  return { data, restartsOffset, numRestarts };
}

/** How a block's keys and values are laid out. */
export interface BlockLayout {
  /** 8 when keys are internal keys (user key + trailer), 0 when they are plain keys. */
  readonly trailerLen: number;
  /** Index blocks of format_version >= 4: values are block handles, delta-encoded, without a length prefix. */
  readonly deltaHandles: boolean;
  /** Data blocks: require strictly increasing user keys. */
  readonly checkOrder: boolean;
}

export class BlockIter {
  private data: Buffer = EMPTY;
  private limit = 0;
  private restartsOffset = 0;
  private numRestarts = 0;
  private file = "";
  private what = "";
  private trailerLen = 0;
  private deltaHandles = false;
  private checkOrder = false;

  /** Offset of the current entry, or -1 when not positioned. */
  private current = -1;
  private nextOffset = 0;
  /** Whether `key` holds the entry before the current one (false right after a seek to a restart point). */
  private havePrev = false;

  /** The current full key (user key + trailer) in key[0, keyLen). */
  key: Buffer = Buffer.allocUnsafe(256);
  keyLen = 0;
  valueOffset = 0;
  valueLength = 0;
  /** For index blocks: the decoded block handle of the current entry. */
  handleOffset = 0;
  handleSize = 0;

  init(block: Block, layout: BlockLayout, file: string, what: string): this {
    this.data = block.data;
    this.restartsOffset = block.restartsOffset;
    this.limit = block.restartsOffset;
    this.numRestarts = block.numRestarts;
    this.trailerLen = layout.trailerLen;
    this.deltaHandles = layout.deltaHandles;
    this.checkOrder = layout.checkOrder;
    this.file = file;
    this.what = what;
    this.current = -1;
    this.havePrev = false;
    this.keyLen = 0;
    return this;
  }

  get blockData(): Buffer {
    return this.data;
  }

  /** Whether the iterator is on the block's first entry. */
  get atFirst(): boolean {
    return this.current === 0;
  }

  /** The low byte of the current trailer: the entry's kind (1 = Set/Value). */
  get kind(): number {
    return this.trailerLen === 0 ? 0 : this.key[this.keyLen - 8];
  }

  /** The sequence number in the current trailer. */
  get seqnum(): number {
    if (this.trailerLen === 0) return 0;
    const k = this.key;
    const p = this.keyLen - 7;
    return k[p] + k[p + 1] * 2 ** 8 + k[p + 2] * 2 ** 16 + k[p + 3] * 2 ** 24 + (k[p + 4] + k[p + 5] * 2 ** 8 + k[p + 6] * 2 ** 16) * 2 ** 32;
  }

  first(): boolean {
    this.havePrev = false;
    this.keyLen = 0;
    return this.parseAt(0, 0);
  }

  next(): boolean {
    if (this.current < 0) return false;
    return this.parseAt(this.nextOffset, -1);
  }

  /** Positions on the first entry whose user key is >= target. */
  seekGE(target: Uint8Array): boolean {
    // Binary search for the last restart point whose key is < target.
    let left = 0;
    let right = this.numRestarts - 1;
    const data = this.data;
    const ro = this.restartsOffset;
    const headerLen = this.deltaHandles ? 2 : 3;
    // Common prefix of the target with the nearest key known to sort below it, and above it: every key in
    // between shares the shorter of the two, so comparisons start after it.
    let lcpBelow = 0;
    let lcpAbove = 0;
    while (left < right) {
      const mid = (left + right + 1) >>> 1;
      const o = ro + 4 * mid;
      const r = (data[o] | (data[o + 1] << 8) | (data[o + 2] << 16) | (data[o + 3] << 24)) >>> 0;
      let kp: number;
      let klen: number;
      // Fast path: one-byte lengths (shared 0, short key, short value); anything else is decoded in full.
      if (data[r] === 0 && data[r + 1] < 128 && (headerLen === 2 || data[r + 2] < 128) && r + headerLen + data[r + 1] <= this.limit && data[r + 1] >= this.trailerLen) {
        klen = data[r + 1];
        kp = r + headerLen;
      } else {
        kp = this.restartKey(r);
        klen = this.restartKeyLen;
      }
      const userLen = klen - this.trailerLen;
      const skip = Math.min(lcpBelow, lcpAbove, userLen);
      const cmp = comparePrefixed(data, kp, kp + userLen, target, skip);
      if (cmp < 0) {
        left = mid;
        lcpBelow = prefix.matched;
      } else if (cmp > 0) {
        right = mid - 1;
        lcpAbove = prefix.matched;
      } else {
        left = right = mid; // the restart key is the target itself
      }
    }
    this.havePrev = false;
    this.keyLen = 0;
    if (!this.parseAt(this.restartPoint(left), left)) return false;
    // Entries of this restart interval lie between the two bounds as well.
    const skip = Math.min(lcpBelow, lcpAbove);
    while (comparePrefixed(this.key, 0, this.keyLen - this.trailerLen, target, Math.min(skip, this.keyLen - this.trailerLen)) < 0) {
      if (!this.next()) return false;
    }
    return true;
  }

  /** Compares the current user key with target: <0 when the current key sorts first. */
  compareUserKey(target: Uint8Array): number {
    return compareBytes(this.key, 0, this.keyLen - this.trailerLen, target, 0, target.length);
  }

  /** Copy of the current user key. */
  userKey(): Buffer {
    const n = this.keyLen - this.trailerLen;
    const out = Buffer.allocUnsafe(n);
    const k = this.key;
    if (n > 64) k.copy(out, 0, 0, n);
    else for (let i = 0; i < n; i++) out[i] = k[i];
    return out;
  }

  /** The current value: a view into the block (immutable once read, so it stays valid). */
  value(): Buffer {
    return this.data.subarray(this.valueOffset, this.valueOffset + this.valueLength);
  }

  private restartKeyLen = 0;

  private restartPoint(i: number): number {
    return this.data.readUInt32LE(this.restartsOffset + 4 * i);
  }

  /** Decodes the header of the entry at restart offset r; returns where its key starts (sets restartKeyLen). */
  private restartKey(r: number): number {
    let p = r;
    const shared = this.varint(p);
    p = this.vpos;
    const nonShared = this.varint(p);
    p = this.vpos;
    if (!this.deltaHandles) {
      this.varint(p);
      p = this.vpos;
    }
    if (shared !== 0 || p + nonShared > this.limit || nonShared < this.trailerLen) this.corrupt(r, "restart entry does not hold a whole key");
    this.restartKeyLen = nonShared;
    return p;
  }

  private vpos = 0;

  /** Decodes a varint32 at p (position after it in vpos), bounds-checked against the entries. */
  private varint(p: number): number {
    const data = this.data;
    const limit = this.limit;
    let result = 0;
    for (let shift = 0; shift <= 28; shift += 7) {
      if (p >= limit) this.corrupt(p, "truncated varint");
      const b = data[p++];
      result |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.vpos = p;
        return result >>> 0;
      }
    }
    return this.corrupt(p, "bad varint");
  }

  /**
   * Decodes the entry at offset p into the iterator. restartIndex >= 0 when p is a restart point reached by
   * a seek (no previous key to compare with). Returns false at the end of the block.
   */
  private parseAt(p: number, restartIndex: number): boolean {
    const data = this.data;
    const limit = this.limit;
    if (p >= limit) {
      this.current = -1;
      return false;
    }
    const start = p;
    let shared: number;
    let nonShared: number;
    let vlen = 0;
    const b0 = data[p];
    const b1 = data[p + 1];
    const b2 = data[p + 2];
    if (!this.deltaHandles && p + 3 <= limit && (b0 | b1 | b2) < 128) {
      shared = b0;
      nonShared = b1;
      vlen = b2;
      p += 3;
    } else {
      shared = this.varint(p);
      nonShared = this.varint(this.vpos);
      p = this.vpos;
      if (!this.deltaHandles) {
        vlen = this.varint(p);
        p = this.vpos;
      }
    }
    const keyLen = shared + nonShared;
    if (shared > this.keyLen || p + nonShared + vlen > limit || keyLen < this.trailerLen || (restartIndex >= 0 && shared !== 0)) {
      this.corrupt(start, "entry lengths do not fit the block");
    }
    if (this.checkOrder && this.havePrev) this.checkIncreasing(shared, keyLen, p, start);
    // Build the key: keep the shared prefix, copy the rest.
    if (this.key.length < keyLen) {
      const grown = Buffer.allocUnsafe(Math.max(keyLen, this.key.length * 2));
      this.key.copy(grown, 0, 0, shared);
      this.key = grown;
    }
    const k = this.key;
    if (nonShared > 64) data.copy(k, shared, p, p + nonShared);
    else for (let i = 0; i < nonShared; i++) k[shared + i] = data[p + i];
    this.keyLen = keyLen;
    p += nonShared;
    if (this.deltaHandles) {
      p = this.decodeDeltaHandle(p, shared === 0, start);
      this.valueOffset = p;
      this.valueLength = 0;
    } else {
      this.valueOffset = p;
      this.valueLength = vlen;
      p += vlen;
    }
    this.current = start;
    this.nextOffset = p;
    this.havePrev = true;
    return true;
  }

  /** Strict user-key order against the previous entry, in O(1) when the keys share a prefix. */
  private checkIncreasing(shared: number, keyLen: number, deltaAt: number, entry: number): void {
    const prevUser = this.keyLen - this.trailerLen;
    const newUser = keyLen - this.trailerLen;
    if (shared === 0) {
      // The whole new key is in the block at deltaAt.
      if (compareBytes(this.data, deltaAt, deltaAt + newUser, this.key, 0, prevUser) <= 0) this.corrupt(entry, "keys out of order");
      return;
    }
    // `shared` counts full-key bytes, so it can reach into a trailer.
    if (shared >= prevUser) {
      if (newUser > prevUser) return; // the previous user key is a proper prefix of the new one
      this.corrupt(entry, "keys out of order"); // equal user keys, or the new one is a prefix of the previous one
    }
    if (shared >= newUser) this.corrupt(entry, "keys out of order"); // the new user key is a proper prefix of the previous one
    const nb = this.data[deltaAt];
    const pb = this.key[shared];
    if (nb > pb) return;
    if (nb < pb) this.corrupt(entry, "keys out of order");
    // The writer did not share the longest prefix: compare in full (rare).
    const fresh = Buffer.allocUnsafe(newUser);
    this.key.copy(fresh, 0, 0, shared);
    this.data.copy(fresh, shared, deltaAt, deltaAt + (newUser - shared));
    if (fresh.compare(this.key, 0, prevUser) <= 0) this.corrupt(entry, "keys out of order");
  }

  private decodeDeltaHandle(p: number, full: boolean, entry: number): number {
    if (full) {
      const off = this.varint64(p);
      const size = this.varint64(this.vpos);
      this.handleOffset = off;
      this.handleSize = size;
      return this.vpos;
    }
    const u = this.varint64(p);
    const delta = u % 2 === 0 ? u / 2 : -(u + 1) / 2;
    this.handleOffset = this.handleOffset + this.handleSize + BLOCK_TRAILER_SIZE;
    this.handleSize = this.handleSize + delta;
    if (this.handleSize < 0) this.corrupt(entry, "negative block size in delta-encoded handle");
    return this.vpos;
  }

  private varint64(p: number): number {
    const data = this.data;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (p >= this.limit) this.corrupt(p, "truncated varint");
      const b = data[p++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) this.corrupt(p, "varint larger than 2^53");
        this.vpos = p;
        return result;
      }
      mul *= 128;
    }
    return this.corrupt(p, "bad varint");
  }

  /** For index blocks without delta encoding: decodes the current value as a block handle. */
  decodeValueHandle(): void {
    if (this.deltaHandles) return;
    const end = this.valueOffset + this.valueLength;
    const saved = this.limit;
    this.limit = end;
    try {
      this.handleOffset = this.varint64(this.valueOffset);
      this.handleSize = this.varint64(this.vpos);
    } finally {
      this.limit = saved;
    }
  }

  corrupt(at: number, problem: string): never {
    this.current = -1;
    throw new CorruptionError(this.file, `${this.what}: ${problem} (entry at byte ${at} of the block)`);
  }
}

const EMPTY = Buffer.alloc(0);
