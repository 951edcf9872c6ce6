// Range records: what a metarange stores about each range. Pure encodings.
//
// A metarange is a table of range records keyed by each range's max key; the value is a graveler value whose
// identity is the range ID (hex, as bytes) and whose data is the protobuf RangeData of lakeFS:
//   1 min_key (bytes), 2 max_key (bytes), 3 estimated_size (uint64), 4 count (int64).
import { Reader, Writer } from "protobufjs/minimal";
import { CorruptionError } from "../../errors";
import { decodeValue, encodeValue } from "../entry";
import type { RangeId } from "../ids";

export interface RangeRecord {
  id: RangeId;
  minKey: Buffer;
  maxKey: Buffer;
  count: number;
  estimatedSize: number;
}

export function encodeRangeRecord(record: RangeRecord): Buffer {
  const w = Writer.create();
  w.uint32((1 << 3) | 2).bytes(record.minKey);
  w.uint32((2 << 3) | 2).bytes(record.maxKey);
  if (record.estimatedSize) w.uint32(3 << 3).uint64(record.estimatedSize);
  if (record.count) w.uint32(4 << 3).int64(record.count);
  return encodeValue(Buffer.from(record.id, "utf8"), Buffer.from(w.finish()));
}

export function decodeRangeRecord(maxKey: Buffer, value: Buffer, where: string): RangeRecord {
  const { identity, data } = decodeValue(value, where);
  const record: RangeRecord = { id: identity.toString("utf8") as RangeId, minKey: Buffer.alloc(0), maxKey: Buffer.from(maxKey), count: 0, estimatedSize: 0 };
  if (!/^[0-9a-f]{64}$/.test(record.id)) throw new CorruptionError(where, `range record for key ${maxKey.toString("hex")} has no valid range ID`);
  try {
    const r = Reader.create(data);
    while (r.pos < r.len) {
      const tag = r.uint32();
      switch (tag >>> 3) {
        case 1: record.minKey = Buffer.from(r.bytes()); break;
        case 2: record.maxKey = Buffer.from(r.bytes()); break;
        case 3: record.estimatedSize = Number(r.uint64()); break;
        case 4: record.count = Number(r.int64()); break;
        default: r.skipType(tag & 7);
      }
    }
  } catch (err) {
    throw new CorruptionError(where, `range record does not parse: ${(err as Error).message}`, { cause: err });
  }
  return record;
}

/** Index of the first record whose max key is >= key (the only range that can hold key), or records.length. */
export function rangeIndexFor(records: readonly RangeRecord[], key: Buffer, from = 0): number {
  let lo = from;
  let hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Buffer.compare(records[mid].maxKey, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Whether `key` falls inside the record's [minKey, maxKey]. */
export const rangeHolds = (record: RangeRecord, key: Buffer): boolean =>
  Buffer.compare(record.minKey, key) <= 0 && Buffer.compare(key, record.maxKey) <= 0;
