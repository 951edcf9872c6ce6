// The on-disk record format of the durable log (pure functions; the I/O lives in durable-log.ts).
//
//   +----------------+----------------+--------+-----------------+
//   | length u32 LE  | crc32 u32 LE   | type u8| payload (length)|
//   +----------------+----------------+--------+-----------------+
//
// The CRC-32 (zlib's polynomial) covers the type byte and the payload, so a torn header, a torn payload or a
// flipped bit all fail it. Payloads by type:
//   Entry       term u64 | index u64 | entry type u8 | data
//   HardState   term u64 | commit u64 | vote (UTF-8, rest)
//   Snapshot    JSON { index, term, confState, reference } — an installed snapshot: the log before it is gone
// u64 values are two u32 LE halves (low first); anything above 2^53 is rejected as corrupt.
import { crc32 } from "node:zlib";
import { ConfState, Entry, EntryType, HardState, Snapshot } from "../types";

export const HEADER_BYTES = 9;
/** Larger records are refused on write and treated as corruption on read. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export enum RecordType {
  Entry = 1,
  HardState = 2,
  Snapshot = 3,
}

export interface RawRecord {
  type: RecordType;
  payload: Buffer;
  offset: number;
}

const TWO_32 = 2 ** 32;

function writeU64(buf: Buffer, value: number, at: number): void {
  buf.writeUInt32LE(value % TWO_32, at);
  buf.writeUInt32LE(Math.floor(value / TWO_32), at + 4);
}

function readU64(buf: Buffer, at: number): number {
  const hi = buf.readUInt32LE(at + 4);
  if (hi >= 2 ** 21) throw new RangeError(`u64 at ${at} exceeds 2^53`);
  return hi * TWO_32 + buf.readUInt32LE(at);
}

export const entryRecordBytes = (e: Entry): number => HEADER_BYTES + 17 + e.data.length;

function frame(buf: Buffer, at: number, type: RecordType, payloadBytes: number): void {
  buf.writeUInt32LE(payloadBytes, at);
  buf[at + 8] = type;
  buf.writeUInt32LE(crc32(buf.subarray(at + 8, at + HEADER_BYTES + payloadBytes)), at + 4);
}

/** Writes one entry record at `at`; returns the offset after it. */
export function putEntry(buf: Buffer, at: number, e: Entry): number {
  const p = at + HEADER_BYTES;
  writeU64(buf, e.term, p);
  writeU64(buf, e.index, p + 8);
  buf[p + 16] = e.type;
  buf.set(e.data, p + 17);
  frame(buf, at, RecordType.Entry, 17 + e.data.length);
  return p + 17 + e.data.length;
}

export function encodeHardState(hs: HardState): Buffer {
  const vote = Buffer.from(hs.vote, "utf8");
  const buf = Buffer.allocUnsafe(HEADER_BYTES + 16 + vote.length);
  writeU64(buf, hs.term, HEADER_BYTES);
  writeU64(buf, hs.commit, HEADER_BYTES + 8);
  vote.copy(buf, HEADER_BYTES + 16);
  frame(buf, 0, RecordType.HardState, 16 + vote.length);
  return buf;
}

export function encodeSnapshotRecord(s: Snapshot): Buffer {
  const json = Buffer.from(
    JSON.stringify({ index: s.metadata.index, term: s.metadata.term, confState: s.metadata.confState, reference: s.reference }),
    "utf8",
  );
  const buf = Buffer.allocUnsafe(HEADER_BYTES + json.length);
  json.copy(buf, HEADER_BYTES);
  frame(buf, 0, RecordType.Snapshot, json.length);
  return buf;
}

/** Encodes a whole batch (snapshot, entries, hard state: the order replay must see them in) into one buffer. */
export function encodeBatch(entries: readonly Entry[], hardState?: HardState, snapshot?: Snapshot): Buffer {
  const parts: Buffer[] = [];
  if (snapshot) parts.push(encodeSnapshotRecord(snapshot));
  if (entries.length > 0) {
    let bytes = 0;
    for (const e of entries) bytes += entryRecordBytes(e);
    const buf = Buffer.allocUnsafe(bytes);
    let at = 0;
    for (const e of entries) at = putEntry(buf, at, e);
    parts.push(buf);
  }
  if (hardState) parts.push(encodeHardState(hardState));
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

export function decodeEntry(payload: Buffer): Entry {
  if (payload.length < 17) throw new RangeError(`entry payload of ${payload.length} bytes is shorter than 17`);
  const type = payload[16];
  if (type !== EntryType.Normal && type !== EntryType.ConfChange) throw new RangeError(`unknown entry type ${type}`);
  // A copy, so the segment buffer read at start-up can be dropped.
  return { term: readU64(payload, 0), index: readU64(payload, 8), type, data: Uint8Array.prototype.slice.call(payload, 17) };
}

export function decodeHardState(payload: Buffer): HardState {
  if (payload.length < 16) throw new RangeError(`hard state payload of ${payload.length} bytes is shorter than 16`);
  return { term: readU64(payload, 0), commit: readU64(payload, 8), vote: payload.toString("utf8", 16) };
}

export function decodeSnapshotRecord(payload: Buffer): Snapshot {
  const v = JSON.parse(payload.toString("utf8")) as { index: number; term: number; confState: ConfState; reference: string };
  if (!Number.isSafeInteger(v.index) || !Number.isSafeInteger(v.term) || typeof v.reference !== "string" || !v.confState) {
    throw new RangeError("snapshot record lacks index, term, confState or reference");
  }
  return { metadata: { index: v.index, term: v.term, confState: v.confState }, reference: v.reference };
}

/** Best effort: the index inside an entry record's payload, even when its checksum failed. */
export function peekEntryIndex(payload: Buffer): number | undefined {
  try {
    return payload.length >= 16 ? readU64(payload, 8) : undefined;
  } catch {
    return undefined;
  }
}

export interface ScanProblem {
  offset: number;
  reason: string;
  /** The bad record's type and payload when its header could be read (for naming the index). */
  record?: RawRecord;
  /** True when a well-formed record follows the bad one: the damage is in the middle, not a torn tail. */
  followedByValidRecord: boolean;
}

/** Reads the record at `at`; returns it, or why not, without throwing. */
function readRecord(buf: Buffer, at: number): { record?: RawRecord; end: number; reason?: string } {
  if (buf.length - at < HEADER_BYTES) return { end: buf.length, reason: `incomplete header (${buf.length - at} bytes)` };
  const length = buf.readUInt32LE(at);
  const end = at + HEADER_BYTES + length;
  if (length > MAX_RECORD_BYTES) return { end: buf.length, reason: `record length ${length} exceeds the maximum` };
  if (end > buf.length) return { end: buf.length, reason: `incomplete record: ${length} bytes declared, ${buf.length - at - HEADER_BYTES} present` };
  const type = buf[at + 8] as RecordType;
  const record = { type, payload: buf.subarray(at + HEADER_BYTES, end), offset: at };
  if (crc32(buf.subarray(at + 8, end)) !== buf.readUInt32LE(at + 4)) return { record, end, reason: "checksum mismatch" };
  if (type !== RecordType.Entry && type !== RecordType.HardState && type !== RecordType.Snapshot) {
    return { record, end, reason: `unknown record type ${type}` };
  }
  return { record, end };
}

function allZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/**
 * Splits a segment into records, stopping at the first bad one and saying whether valid data follows it.
 * `end` is where the records stop: the buffer's end, or the start of the zeroes a segment is preallocated
 * with (a zero header cannot be a record: its checksum would have to be CRC-32 of the byte 0).
 */
export function scanRecords(buf: Buffer): { records: RawRecord[]; end: number; problem?: ScanProblem } {
  const records: RawRecord[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf[at] === 0 && allZero(buf, at)) return { records, end: at };
    const { record, end, reason } = readRecord(buf, at);
    if (reason) {
      // Zeroes after the bad spot (preallocated or never-written pages) are a torn tail, not data.
      const next = end + HEADER_BYTES <= buf.length && buf.readUInt32LE(end) !== 0 ? readRecord(buf, end) : undefined;
      const followedByValidRecord = next !== undefined && next.reason === undefined;
      return { records, end: at, problem: { offset: at, reason, record, followedByValidRecord } };
    }
    records.push(record!);
    at = end;
  }
  return { records, end: at };
}
