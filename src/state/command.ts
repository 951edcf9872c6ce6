// The replicated commands and their results: pure, deterministic, versioned binary codecs. A command is what
// the Raft log carries (inside the runtime's proposal envelope); a result is what the proposer gets back.
//
// Command, version 1:
//   u8 version (=1) | u8 kind (1 = key-value batch)
//   uvarint #preconditions, each: u8 type (1 absent, 2 equals, 3 version) | bytes key | [bytes value | uvarint version]
//   uvarint #mutations,     each: u8 op (1 put, 2 delete) | bytes key | [bytes value]
//   nothing after the last mutation
// where bytes = uvarint length | the bytes, and uvarint is LEB128 for integers up to 2^53.
//
// Result, version 1:
//   u8 version (=1) | u8 status (0 applied, 1 precondition failed, 2 rejected command) | uvarint index
//   | bytes key (the failed precondition's key; empty otherwise) | bytes message (UTF-8; empty when applied)
//
// Decoding is strict (no trailing bytes, no unknown tags, lengths inside the buffer) because a command that
// decodes differently on two nodes would fork the state; a malformed one is rejected the same way on all.
import type { KvBatch, KvMutation, KvPrecondition } from "../graveler/kv/types";

export const COMMAND_VERSION = 1;
const KIND_KV_BATCH = 1;
const PRE_ABSENT = 1;
const PRE_EQUALS = 2;
const PRE_VERSION = 3;
const OP_PUT = 1;
const OP_DELETE = 2;

export enum ResultStatus {
  Applied = 0,
  PreconditionFailed = 1,
  Rejected = 2,
}

export interface CommandResult {
  status: ResultStatus;
  /** The Raft index the command was applied at (its version for every key it wrote). */
  index: number;
  key: Buffer;
  message: string;
}

/** A command that does not decode: deterministic on every node, so every node rejects it alike. */
export class MalformedCommandError extends Error {}

/** Appends to one growing buffer (commands are encoded on every write: no per-field allocations). */
class Writer {
  private buf = Buffer.allocUnsafe(256);
  private pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  uvarint(n: number): void {
    this.room(8);
    let v = n;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  bytes(b: Uint8Array): void {
    this.uvarint(b.length);
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

class Reader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  byte(what: string): number {
    if (this.pos >= this.buf.length) throw new MalformedCommandError(`truncated before ${what} at byte ${this.pos}`);
    return this.buf[this.pos++];
  }

  uvarint(what: string): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte(what);
      result += (b & 0x7f) * scale;
      if (result > Number.MAX_SAFE_INTEGER) break;
      if (b < 0x80) {
        if (b === 0 && i > 0) throw new MalformedCommandError(`${what} at byte ${this.pos - 1}: over-long varint`);
        return result;
      }
      scale *= 0x80;
    }
    throw new MalformedCommandError(`${what} at byte ${this.pos}: varint above 2^53`);
  }

  bytes(what: string): Buffer {
    const len = this.uvarint(`length of ${what}`);
    if (len > this.buf.length - this.pos) throw new MalformedCommandError(`${what}: length ${len} runs past the end (${this.buf.length - this.pos} bytes left)`);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return Buffer.from(out);
  }

  end(): void {
    if (this.pos !== this.buf.length) throw new MalformedCommandError(`${this.buf.length - this.pos} unexpected bytes after the command`);
  }
}

export function encodeCommand(batch: KvBatch): Buffer {
  const w = new Writer();
  w.byte(COMMAND_VERSION);
  w.byte(KIND_KV_BATCH);
  const pres = batch.preconditions ?? [];
  w.uvarint(pres.length);
  for (const p of pres) {
    if ("absent" in p) {
      w.byte(PRE_ABSENT);
      w.bytes(p.key);
    } else if ("equals" in p) {
      w.byte(PRE_EQUALS);
      w.bytes(p.key);
      w.bytes(p.equals);
    } else {
      w.byte(PRE_VERSION);
      w.bytes(p.key);
      w.uvarint(p.version);
    }
  }
  w.uvarint(batch.mutations.length);
  for (const m of batch.mutations) {
    w.byte(m.op === "put" ? OP_PUT : OP_DELETE);
    w.bytes(m.key);
    if (m.op === "put") w.bytes(m.value);
  }
  return w.finish();
}

/** Throws MalformedCommandError on anything encodeCommand would not have written. */
export function decodeCommand(data: Uint8Array): KvBatch {
  const r = new Reader(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  const version = r.byte("version");
  if (version !== COMMAND_VERSION) throw new MalformedCommandError(`unknown command version ${version} (this node knows ${COMMAND_VERSION})`);
  const kind = r.byte("kind");
  if (kind !== KIND_KV_BATCH) throw new MalformedCommandError(`unknown command kind ${kind}`);
  const preconditions: KvPrecondition[] = [];
  const nPre = r.uvarint("precondition count");
  for (let i = 0; i < nPre; i++) {
    const type = r.byte(`precondition ${i}`);
    const key = r.bytes(`precondition ${i} key`);
    if (type === PRE_ABSENT) preconditions.push({ key, absent: true });
    else if (type === PRE_EQUALS) preconditions.push({ key, equals: r.bytes(`precondition ${i} value`) });
    else if (type === PRE_VERSION) preconditions.push({ key, version: r.uvarint(`precondition ${i} version`) });
    else throw new MalformedCommandError(`precondition ${i}: unknown type ${type}`);
  }
  const mutations: KvMutation[] = [];
  const nMut = r.uvarint("mutation count");
  for (let i = 0; i < nMut; i++) {
    const op = r.byte(`mutation ${i}`);
    const key = r.bytes(`mutation ${i} key`);
    if (op === OP_PUT) mutations.push({ op: "put", key, value: r.bytes(`mutation ${i} value`) });
    else if (op === OP_DELETE) mutations.push({ op: "delete", key });
    else throw new MalformedCommandError(`mutation ${i}: unknown op ${op}`);
  }
  r.end();
  return preconditions.length > 0 ? { preconditions, mutations } : { mutations };
}

export function encodeResult(result: CommandResult): Buffer {
  const w = new Writer();
  w.byte(COMMAND_VERSION);
  w.byte(result.status);
  w.uvarint(result.index);
  w.bytes(result.key);
  w.bytes(Buffer.from(result.message, "utf8"));
  return w.finish();
}

export function decodeResult(data: Uint8Array): CommandResult {
  const r = new Reader(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  const version = r.byte("result version");
  if (version !== COMMAND_VERSION) throw new MalformedCommandError(`unknown result version ${version}`);
  const status = r.byte("result status");
  if (status !== ResultStatus.Applied && status !== ResultStatus.PreconditionFailed && status !== ResultStatus.Rejected) {
    throw new MalformedCommandError(`unknown result status ${status}`);
  }
  const index = r.uvarint("result index");
  const key = r.bytes("result key");
  const message = r.bytes("result message").toString("utf8");
  r.end();
  return { status, index, key, message };
}
