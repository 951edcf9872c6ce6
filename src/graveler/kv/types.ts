// The ordered key-value interface the versioning engine keeps refs and staged entries in. Two implementations
// stand behind it: classic-level on one disk (level.ts) and, later, the Raft-replicated state machine. Both run
// the same conformance suite (test/graveler/kv-conformance.ts), so this file stays small, async and free of
// any LevelDB specifics.
//
// Keys and values are bytes; keys order by unsigned byte comparison (Buffer.compare).
// Every stored value has a version: a positive integer that grows with every write that touches the key
// (implementations may use a global sequence, e.g. the Raft applied index), exact up to 2^53.

export interface KvRecord {
  key: Buffer;
  value: Buffer;
  version: number;
}

/** What a conditional write expects of one key when it is applied. */
export type KvPrecondition =
  | { key: Buffer; absent: true }
  | { key: Buffer; equals: Buffer }
  | { key: Buffer; version: number };

export type KvMutation = { op: "put"; key: Buffer; value: Buffer } | { op: "delete"; key: Buffer };

/**
 * An atomic batch: either every precondition holds and every mutation is applied, or nothing changes and
 * `write` rejects with a TarnError FAILED_PRECONDITION naming the first failed key.
 */
export interface KvBatch {
  preconditions?: KvPrecondition[];
  mutations: KvMutation[];
}

export interface KvScanOptions {
  /** Only keys that start with these bytes. */
  prefix?: Buffer;
  /** Only keys >= start (inclusive). */
  start?: Buffer;
  /** Only keys > after (exclusive); combines with prefix (the usual pagination cursor). */
  after?: Buffer;
  /** Only keys < end (exclusive). */
  end?: Buffer;
  /** At most this many records. */
  limit?: number;
}

export interface KvStore {
  get(key: Buffer): Promise<KvRecord | undefined>;
  /** One page of records in key order. A page shorter than `limit` is the last one. */
  scan(options: KvScanOptions): Promise<KvRecord[]>;
  write(batch: KvBatch): Promise<void>;
  /**
   * Optional: reclaims the room of deleted keys in [start, end). A log-structured store keeps a tombstone per
   * deleted key until compaction reaches it, and every scan that starts before a run of tombstones walks all of
   * them (dropping a staging token of 1,000,000 entries made each scan of a token sorting just before it cost
   * 300-500 ms on LevelDB). Stores without tombstones leave it out.
   */
  compact?(start: Buffer, end: Buffer): Promise<void>;
  close(): Promise<void>;
}

/** Every record under `options`, fetched page by page in key order. */
export async function* scanAll(kv: KvStore, options: KvScanOptions, pageSize = 1000): AsyncGenerator<KvRecord> {
  let after = options.after;
  let remaining = options.limit ?? Infinity;
  while (remaining > 0) {
    const limit = Math.min(pageSize, remaining);
    const page = await kv.scan({ ...options, after, limit });
    for (const record of page) yield record;
    if (page.length < limit) return;
    remaining -= page.length;
    after = page[page.length - 1].key;
  }
}

/** The smallest key greater than every key that starts with `prefix`, or undefined when there is none. */
export function prefixEnd(prefix: Buffer): Buffer | undefined {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}

/** The tightest [lower, upper) bounds of a scan, with `lowerExclusive` when the lower bound is `after`. */
export function scanBounds(options: KvScanOptions): { lower?: Buffer; lowerExclusive: boolean; upper?: Buffer } {
  let lower: Buffer | undefined;
  let lowerExclusive = false;
  const raise = (candidate: Buffer | undefined, exclusive: boolean) => {
    if (!candidate) return;
    const c = lower ? Buffer.compare(candidate, lower) : 1;
    if (c > 0 || (c === 0 && exclusive)) {
      lower = candidate;
      lowerExclusive = exclusive;
    }
  };
  raise(options.prefix, false);
  raise(options.start, false);
  raise(options.after, true);
  let upper = options.prefix ? prefixEnd(options.prefix) : undefined;
  if (options.end && (!upper || Buffer.compare(options.end, upper) < 0)) upper = options.end;
  return { lower, lowerExclusive, upper };
}
