// The layout of a state node's classic-level database. Two prefixes, one byte each:
//
//   0x00 <name>   Tarn's own records (never visible through the key-value interface)
//     0x00 "applied"    u64 BE applied index | u64 BE term of the newest applied command
//                       (written in the same atomic batch as every applied command)
//     0x00 "members"    JSON { confState, addresses }: the Raft membership as of the applied index
//     0x00 "snapshot"   the object-store key of the newest snapshot this node wrote (local only: not part
//                       of snapshots themselves)
//   0x01 <user key>     u64 BE version (the Raft index of the command that wrote it) | value bytes
//
// Every byte after 0x01 belongs to the caller, so user keys order exactly as the graveler interface wants
// (unsigned bytewise). Versions are Raft indexes: the same on every node, exact up to 2^53.
import type { ConfState } from "../../raft/types";

export const META_PREFIX = 0x00;
export const USER_PREFIX = 0x01;

export const APPLIED_KEY = Buffer.from("\x00applied", "latin1");
export const MEMBERS_KEY = Buffer.from("\x00members", "latin1");
export const SNAPSHOT_KEY = Buffer.from("\x00snapshot", "latin1");

/** The first key after the user keyspace: the upper bound of a scan over all user keys. */
export const USER_END = Buffer.from([USER_PREFIX + 1]);
export const USER_START = Buffer.from([USER_PREFIX]);

/** Records that describe this node rather than the replicated state: left out of snapshots. */
export const isLocalRecord = (key: Buffer): boolean => key.equals(SNAPSHOT_KEY);

export const userKey = (key: Buffer): Buffer => Buffer.concat([USER_START, key]);

export interface Applied {
  index: number;
  term: number;
}

export function encodeApplied(applied: Applied): Buffer {
  const buf = Buffer.alloc(16);
  buf.writeBigUInt64BE(BigInt(applied.index), 0);
  buf.writeBigUInt64BE(BigInt(applied.term), 8);
  return buf;
}

/** Returns undefined when `raw` is not 16 bytes; callers name the file or db in their error. */
export function decodeApplied(raw: Buffer): Applied | undefined {
  if (raw.length !== 16) return undefined;
  const index = raw.readBigUInt64BE(0);
  const term = raw.readBigUInt64BE(8);
  if (index > BigInt(Number.MAX_SAFE_INTEGER) || term > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return { index: Number(index), term: Number(term) };
}

/** The stored form of a user value: its version (a Raft index) then the bytes. */
export function encodeStored(version: number, value: Buffer): Buffer {
  const buf = Buffer.allocUnsafe(8 + value.length);
  // Two 32-bit halves: exact for versions up to 2^53, without a BigInt per write.
  buf.writeUInt32BE(Math.floor(version / 0x1_0000_0000), 0);
  buf.writeUInt32BE(version % 0x1_0000_0000, 4);
  value.copy(buf, 8);
  return buf;
}

export function decodeStored(raw: Buffer): { version: number; value: Buffer } {
  return { version: raw.readUInt32BE(0) * 0x1_0000_0000 + raw.readUInt32BE(4), value: raw.subarray(8) };
}

/** Whether the stored record `raw` holds exactly `value` (whatever its version). */
export const storedValueEquals = (raw: Buffer, value: Buffer): boolean => raw.length - 8 === value.length && raw.compare(value, 0, value.length, 8) === 0;

export interface Membership {
  confState: ConfState;
  /** Peer addresses (HOST:PORT) by member id, as carried by the membership changes. */
  addresses: Record<string, string>;
}

export const encodeMembership = (m: Membership): Buffer => Buffer.from(JSON.stringify({ confState: m.confState, addresses: sortedRecord(m.addresses) }), "utf8");

/** Returns undefined when `raw` is not a membership record. */
export function decodeMembership(raw: Buffer): Membership | undefined {
  try {
    const parsed = JSON.parse(raw.toString("utf8")) as Membership;
    const cs = parsed?.confState;
    const lists = cs && [cs.voters, cs.learners, cs.votersOutgoing, cs.learnersNext];
    if (!lists || !lists.every((l) => Array.isArray(l) && l.every((id) => typeof id === "string"))) return undefined;
    if (typeof parsed.addresses !== "object" || parsed.addresses === null) return undefined;
    if (!Object.values(parsed.addresses).every((a) => typeof a === "string")) return undefined;
    return { confState: { ...cs, autoLeave: cs.autoLeave === true }, addresses: parsed.addresses };
  } catch {
    return undefined;
  }
}

function sortedRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A key for messages: text when it is printable ASCII, hex otherwise. */
export function printableKey(key: Buffer): string {
  const text = key.toString("latin1");
  return /^[\x20-\x7e]*$/.test(text) ? JSON.stringify(text) : `0x${key.toString("hex")}`;
}
