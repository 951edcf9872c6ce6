// Hand-written protobuf encoding of MessageBatch (proto/raft.proto), the transport's hot path: every
// replicated entry passes through it once per follower on the leader and once on each follower. The
// reflection-based protobufjs codec spent more time walking its type tree than copying bytes; this one
// sizes the batch first and writes it into one buffer, and decodes entries as views into the received bytes.
// The rare parts (Snapshot sub-messages) are delegated to the reflection codec, passed in as `SnapshotWire`.
//
// Field numbers (proto/raft.proto):
//   MessageBatch { repeated Message messages = 1; }
//   Message { type = 1; from = 2; to = 3; term = 4; index = 5; log_term = 6; repeated Entry entries = 7;
//             commit = 8; reject = 9; reject_hint = 10; Snapshot snapshot = 11; bytes context = 12; }
//   Entry   { term = 1; index = 2; type = 3; data = 4; }
// Defaults (0, "", false, empty) are not written, as in any proto3 encoder; absent fields decode to them.
import type { Entry, Message, MessageType, Snapshot } from "../types";
import { EntryType } from "../types";
import { MalformedMessageError } from "./errors";

export interface SnapshotWire {
  encode(s: Snapshot): Uint8Array;
  /** Throws MalformedMessageError on bytes that are not a valid Snapshot. */
  decode(bytes: Uint8Array): Snapshot;
}

const TWO_53 = 2 ** 53;

function varintBytes(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** The size of a length-delimited field (tag byte, length varint, body); all our field numbers fit one tag byte. */
const delimitedBytes = (bodyBytes: number): number => 1 + varintBytes(bodyBytes) + bodyBytes;
const varintFieldBytes = (v: number): number => (v === 0 ? 0 : 1 + varintBytes(v));

class Writer {
  at = 0;
  constructor(readonly buf: Buffer) {}

  varint(v: number): void {
    const buf = this.buf;
    while (v >= 0x80) {
      buf[this.at++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[this.at++] = v;
  }

  /** A varint field, skipped when 0 (the proto3 default). */
  field(tag: number, v: number): void {
    if (v === 0) return;
    this.buf[this.at++] = tag;
    this.varint(v);
  }

  bytes(tag: number, b: Uint8Array): void {
    if (b.length === 0) return;
    this.buf[this.at++] = tag;
    this.varint(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  string(tag: number, s: string, byteLength: number): void {
    if (byteLength === 0) return;
    this.buf[this.at++] = tag;
    this.varint(byteLength);
    this.at += this.buf.write(s, this.at, byteLength, "utf8");
  }
}

function entryBodyBytes(e: Entry): number {
  return varintFieldBytes(e.term) + varintFieldBytes(e.index) + varintFieldBytes(e.type) + (e.data.length > 0 ? delimitedBytes(e.data.length) : 0);
}

interface Sized {
  body: number;
  from: number;
  to: number;
  entries: number[];
  snapshot?: Uint8Array;
}

function sizeMessage(m: Message, typeNumber: number, snapshots: SnapshotWire): Sized {
  const from = Buffer.byteLength(m.from, "utf8");
  const to = Buffer.byteLength(m.to, "utf8");
  let body =
    varintFieldBytes(typeNumber) +
    (from > 0 ? delimitedBytes(from) : 0) +
    (to > 0 ? delimitedBytes(to) : 0) +
    varintFieldBytes(m.term) +
    varintFieldBytes(m.index) +
    varintFieldBytes(m.logTerm) +
    varintFieldBytes(m.commit) +
    (m.reject ? 2 : 0) +
    varintFieldBytes(m.rejectHint);
  const entries = new Array<number>(m.entries.length);
  for (let i = 0; i < m.entries.length; i++) {
    entries[i] = entryBodyBytes(m.entries[i]);
    body += delimitedBytes(entries[i]);
  }
  const snapshot = m.snapshot ? snapshots.encode(m.snapshot) : undefined;
  if (snapshot) body += delimitedBytes(snapshot.length);
  if (m.context && m.context.length > 0) body += delimitedBytes(m.context.length);
  return { body, from, to, entries, snapshot };
}

/** Encodes a batch; `typeNumber` maps the core's message types to the wire enum. */
export function encodeBatch(messages: readonly Message[], typeNumber: (t: MessageType) => number, snapshots: SnapshotWire): Buffer {
  const sized = new Array<Sized>(messages.length);
  let total = 0;
  for (let i = 0; i < messages.length; i++) {
    sized[i] = sizeMessage(messages[i], typeNumber(messages[i].type), snapshots);
    total += delimitedBytes(sized[i].body);
  }
  const w = new Writer(Buffer.allocUnsafe(total));
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const s = sized[i];
    w.buf[w.at++] = 0x0a; // messages = 1
    w.varint(s.body);
    w.field(0x08, typeNumber(m.type));
    w.string(0x12, m.from, s.from);
    w.string(0x1a, m.to, s.to);
    w.field(0x20, m.term);
    w.field(0x28, m.index);
    w.field(0x30, m.logTerm);
    for (let j = 0; j < m.entries.length; j++) {
      const e = m.entries[j];
      w.buf[w.at++] = 0x3a; // entries = 7
      w.varint(s.entries[j]);
      w.field(0x08, e.term);
      w.field(0x10, e.index);
      w.field(0x18, e.type);
      w.bytes(0x22, e.data);
    }
    w.field(0x40, m.commit);
    if (m.reject) {
      w.buf[w.at++] = 0x48;
      w.buf[w.at++] = 1;
    }
    w.field(0x50, m.rejectHint);
    if (s.snapshot) {
      w.buf[w.at++] = 0x5a;
      w.varint(s.snapshot.length);
      w.buf.set(s.snapshot, w.at);
      w.at += s.snapshot.length;
    }
    if (m.context) w.bytes(0x62, m.context);
  }
  if (w.at !== total) throw new Error(`message batch encoder wrote ${w.at} bytes, sized ${total}`);
  return w.buf;
}

// ---- decoding: untrusted bytes ---------------------------------------------------------------------------

/** A structural problem (truncation, bad wire type): reported as an undecodable batch. */
class Undecodable extends Error {}

class Reader {
  constructor(
    readonly buf: Buffer,
    public at: number,
    readonly end: number,
  ) {}

  /** A varint below 2^53; `what` names the field for the error if it is larger. */
  varint(what: string): number {
    const buf = this.buf;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.end) throw new Undecodable(`truncated varint at byte ${this.at}`);
      const b = buf[this.at++];
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (value >= TWO_53) throw new MalformedMessageError(`${what} exceeds 2^53`);
        return value;
      }
      scale *= 128;
    }
    throw new Undecodable(`varint longer than 10 bytes at byte ${this.at}`);
  }

  /** The bounds of a length-delimited field's body. */
  delimited(): number {
    const length = this.varint("length");
    if (length > this.end - this.at) throw new Undecodable(`field of ${length} bytes at byte ${this.at} runs past the end`);
    return length;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint("skipped field");
    else if (wireType === 2) this.at += this.delimited();
    else if (wireType === 1) this.at += 8;
    else if (wireType === 5) this.at += 4;
    else throw new Undecodable(`invalid wire type ${wireType} at byte ${this.at}`);
    if (this.at > this.end) throw new Undecodable(`field runs past the end`);
  }

  /** Reads a tag and checks the wire type the field must have. */
  expect(tag: number, wireType: number): void {
    if ((tag & 7) !== wireType) throw new Undecodable(`field ${tag >>> 3} has wire type ${tag & 7}, expected ${wireType}`);
  }
}

const EMPTY = new Uint8Array(0);

function decodeEntry(r: Reader, end: number): Entry {
  let term = 0;
  let index = 0;
  let type = 0;
  let data: Uint8Array = EMPTY;
  while (r.at < end) {
    const tag = r.varint("tag");
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, 0);
        term = r.varint("entry term");
        break;
      case 2:
        r.expect(tag, 0);
        index = r.varint("entry index");
        break;
      case 3:
        r.expect(tag, 0);
        type = r.varint("entry type");
        break;
      case 4: {
        r.expect(tag, 2);
        const n = r.delimited();
        data = r.buf.subarray(r.at, r.at + n);
        r.at += n;
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  if (r.at !== end) throw new Undecodable(`entry runs past its end`);
  if (type !== EntryType.Normal && type !== EntryType.ConfChange) throw new MalformedMessageError(`unknown entry type ${type}`);
  return { term, index, type, data };
}

function decodeMessage(r: Reader, end: number, messageType: (n: number) => MessageType | undefined, snapshots: SnapshotWire): Message {
  let typeNumber = 0;
  let from = "";
  let to = "";
  let term = 0;
  let index = 0;
  let logTerm = 0;
  const entries: Entry[] = [];
  let commit = 0;
  let reject = false;
  let rejectHint = 0;
  let snapshot: Snapshot | undefined;
  let context: Uint8Array | undefined;
  while (r.at < end) {
    const tag = r.varint("tag");
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, 0);
        typeNumber = r.varint("message type");
        break;
      case 2:
      case 3: {
        r.expect(tag, 2);
        const n = r.delimited();
        const s = r.buf.toString("utf8", r.at, r.at + n);
        r.at += n;
        if (tag >>> 3 === 2) from = s;
        else to = s;
        break;
      }
      case 4:
        r.expect(tag, 0);
        term = r.varint("term");
        break;
      case 5:
        r.expect(tag, 0);
        index = r.varint("index");
        break;
      case 6:
        r.expect(tag, 0);
        logTerm = r.varint("log term");
        break;
      case 7: {
        r.expect(tag, 2);
        const n = r.delimited();
        entries.push(decodeEntry(r, r.at + n));
        break;
      }
      case 8:
        r.expect(tag, 0);
        commit = r.varint("commit");
        break;
      case 9:
        r.expect(tag, 0);
        reject = r.varint("reject") !== 0;
        break;
      case 10:
        r.expect(tag, 0);
        rejectHint = r.varint("reject hint");
        break;
      case 11: {
        r.expect(tag, 2);
        const n = r.delimited();
        snapshot = snapshots.decode(r.buf.subarray(r.at, r.at + n));
        r.at += n;
        break;
      }
      case 12: {
        r.expect(tag, 2);
        const n = r.delimited();
        context = n > 0 ? r.buf.subarray(r.at, r.at + n) : undefined;
        r.at += n;
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  if (r.at !== end) throw new Undecodable(`message runs past its end`);
  const type = messageType(typeNumber);
  if (type === undefined) throw new MalformedMessageError(`unknown message type ${typeNumber}`);
  return { type, from, to, term, index, logTerm, entries, commit, reject, rejectHint, snapshot, context };
}

/** Decodes a batch from an untrusted peer; throws MalformedMessageError naming what is wrong. */
export function decodeBatch(buf: Buffer, messageType: (n: number) => MessageType | undefined, snapshots: SnapshotWire): Message[] {
  const out: Message[] = [];
  try {
    const r = new Reader(buf, 0, buf.length);
    while (r.at < buf.length) {
      const tag = r.varint("tag");
      if (tag >>> 3 !== 1) {
        r.skip(tag & 7);
        continue;
      }
      r.expect(tag, 2);
      const n = r.delimited();
      out.push(decodeMessage(r, r.at + n, messageType, snapshots));
    }
  } catch (err) {
    if (err instanceof Undecodable) throw new MalformedMessageError(`undecodable message batch of ${buf.length} bytes: ${err.message}`);
    throw err;
  }
  return out;
}
