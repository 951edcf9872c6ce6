// Entries and their encodings, all pure functions.
//
// Inside tables an entry is a graveler value (as lakeFS writes it):
//   zigzag varint(len(identity)) | identity | zigzag varint(len(data)) | data
// where identity is a SHA-256 over what makes two objects "the same content" (size, etag, metadata, content
// type) and data is the protobuf Entry message of lakeFS's catalog (field numbers kept):
//   1 address, 2 last_modified (Timestamp: 1 seconds, 2 nanos), 3 size, 4 e_tag, 5 metadata (map), 6 address_type,
//   7 content_type.
// Diff and merge compare values by identity only, as lakeFS does.
import { createHash } from "node:crypto";
import { Reader, Writer } from "protobufjs/minimal";
import { CorruptionError } from "../errors";

export type AddressType = "relative" | "full";

export interface Entry {
  physicalAddress: string;
  size: number;
  etag: string;
  lastModified: Date;
  contentType?: string;
  metadata?: Record<string, string>;
  addressType: AddressType;
}

const ADDRESS_TYPE_CODE: Record<AddressType, number> = { relative: 1, full: 2 };

function sortedMetadata(metadata: Record<string, string> | undefined): [string, string][] {
  return Object.entries(metadata ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function encodeEntryProto(entry: Entry): Buffer {
  const w = Writer.create();
  w.uint32((1 << 3) | 2).string(entry.physicalAddress);
  const ms = entry.lastModified.getTime();
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  w.uint32((2 << 3) | 2).fork();
  if (seconds !== 0) w.uint32(1 << 3).int64(seconds);
  if (nanos !== 0) w.uint32(2 << 3).int32(nanos);
  w.ldelim();
  if (entry.size !== 0) w.uint32(3 << 3).int64(entry.size);
  if (entry.etag) w.uint32((4 << 3) | 2).string(entry.etag);
  for (const [k, v] of sortedMetadata(entry.metadata)) {
    w.uint32((5 << 3) | 2).fork().uint32((1 << 3) | 2).string(k).uint32((2 << 3) | 2).string(v).ldelim();
  }
  w.uint32(6 << 3).int32(ADDRESS_TYPE_CODE[entry.addressType]);
  if (entry.contentType) w.uint32((7 << 3) | 2).string(entry.contentType);
  return Buffer.from(w.finish());
}

export function decodeEntryProto(bytes: Uint8Array, where: string): Entry {
  try {
    const r = Reader.create(bytes);
    const entry: Entry = { physicalAddress: "", size: 0, etag: "", lastModified: new Date(0), addressType: "relative" };
    while (r.pos < r.len) {
      const tag = r.uint32();
      switch (tag >>> 3) {
        case 1: entry.physicalAddress = r.string(); break;
        case 2: {
          const end = r.uint32() + r.pos;
          let seconds = 0;
          let nanos = 0;
          while (r.pos < end) {
            const t = r.uint32();
            if (t >>> 3 === 1) seconds = Number(r.int64());
            else if (t >>> 3 === 2) nanos = r.int32();
            else r.skipType(t & 7);
          }
          entry.lastModified = new Date(seconds * 1000 + Math.floor(nanos / 1_000_000));
          break;
        }
        case 3: entry.size = Number(r.int64()); break;
        case 4: entry.etag = r.string(); break;
        case 5: {
          const end = r.uint32() + r.pos;
          let key = "";
          let value = "";
          while (r.pos < end) {
            const t = r.uint32();
            if (t >>> 3 === 1) key = r.string();
            else if (t >>> 3 === 2) value = r.string();
            else r.skipType(t & 7);
          }
          (entry.metadata ??= {})[key] = value;
          break;
        }
        case 6: entry.addressType = r.int32() === 2 ? "full" : "relative"; break;
        case 7: entry.contentType = r.string(); break;
        default: r.skipType(tag & 7);
      }
    }
    return entry;
  } catch (err) {
    throw new CorruptionError(where, `entry does not parse: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * SHA-256 over the fields that decide whether two entries hold the same content: each field as its name, a
 * length and its UTF-8 bytes, metadata sorted by key. Built as one buffer and hashed once (it runs per write).
 */
export function entryIdentity(entry: Entry): Buffer {
  const parts: string[] = [];
  const field = (name: string, value: string) => parts.push(name, String(Buffer.byteLength(value)), ":", value);
  field("size", String(entry.size));
  field("etag", entry.etag);
  field("content_type", entry.contentType ?? "");
  for (const [k, v] of sortedMetadata(entry.metadata)) {
    field("metadata_key", k);
    field("metadata_value", v);
  }
  return createHash("sha256").update(parts.join(""), "utf8").digest();
}

// --- graveler value framing -------------------------------------------------------------------------

function writeZigzagVarint(out: number[], n: number): void {
  let z = n * 2; // zigzag of a non-negative length
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
}

function readZigzagVarint(buf: Buffer, pos: number, where: string): [number, number] {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new CorruptionError(where, "value truncated in a length");
    const byte = buf[pos++];
    result += (byte & 0x7f) * mul;
    mul *= 0x80;
    if (byte < 0x80) {
      if (result % 2 !== 0) throw new CorruptionError(where, "negative length in a value");
      return [result / 2, pos];
    }
  }
  throw new CorruptionError(where, "length varint too long");
}

export function encodeValue(identity: Buffer, data: Buffer): Buffer {
  const head: number[] = [];
  writeZigzagVarint(head, identity.length);
  const mid: number[] = [];
  writeZigzagVarint(mid, data.length);
  return Buffer.concat([Buffer.from(head), identity, Buffer.from(mid), data]);
}

export function decodeValue(value: Buffer, where: string): { identity: Buffer; data: Buffer } {
  const [idLen, p1] = readZigzagVarint(value, 0, where);
  if (p1 + idLen > value.length) throw new CorruptionError(where, "identity runs past the value");
  const identity = value.subarray(p1, p1 + idLen);
  const [dataLen, p2] = readZigzagVarint(value, p1 + idLen, where);
  if (p2 + dataLen !== value.length) throw new CorruptionError(where, "data length does not match the value");
  return { identity, data: value.subarray(p2) };
}

/** The identity part of an encoded value, without copying. */
export function valueIdentity(value: Buffer, where = "value"): Buffer {
  const [idLen, p1] = readZigzagVarint(value, 0, where);
  return value.subarray(p1, p1 + idLen);
}

export const sameIdentity = (a: Buffer, b: Buffer): boolean => valueIdentity(a).equals(valueIdentity(b));

export const encodeEntry = (entry: Entry): Buffer => encodeValue(entryIdentity(entry), encodeEntryProto(entry));
export const decodeEntry = (value: Buffer, where: string): Entry => decodeEntryProto(decodeValue(value, where).data, where);
