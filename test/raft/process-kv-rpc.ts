// The client API of the test KV member (test/raft/process-node.ts, served by process-kv-server.ts): gRPC
// service tarn.testkv.KV with
// Put(key, value) → revision (protobuf, the same field numbers as etcd's PutRequest, so the benchmark drives
// both systems with the same client code), and JSON-bodied Status and Dump for the tests.
import { Client, credentials, Metadata, ServiceError } from "@grpc/grpc-js";
import * as protobuf from "protobufjs";

export interface PutRequest {
  key: Uint8Array;
  value: Uint8Array;
}

/** PutRequest { bytes key = 1; bytes value = 2; } — the prefix of etcd's etcdserverpb.PutRequest. */
export function encodePutRequest(req: PutRequest): Buffer {
  return Buffer.from(protobuf.Writer.create().uint32(10).bytes(req.key).uint32(18).bytes(req.value).finish());
}

/** Reads a protobuf varint at `at`; returns [value, next offset]. Values past 2^53 are not needed here. */
function readVarint(buf: Uint8Array, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    const b = buf[i];
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, i + 1];
    scale *= 128;
  }
  throw new Error(`PutRequest: truncated varint at byte ${at}`);
}

/**
 * Hand-written (this is the benchmark's hot path): key and value are views into `buf`, not copies. Unknown
 * fields (etcd's lease, prev_kv, ...) are skipped; a truncated or malformed body throws.
 */
export function decodePutRequest(buf: Uint8Array): PutRequest {
  const out: PutRequest = { key: EMPTY, value: EMPTY };
  let at = 0;
  while (at < buf.length) {
    const [tag, afterTag] = readVarint(buf, at);
    at = afterTag;
    const wire = tag & 7;
    if (wire === 2) {
      const [length, start] = readVarint(buf, at);
      if (start + length > buf.length) throw new Error(`PutRequest: field ${tag >>> 3} of ${length} bytes runs past the end (${buf.length} bytes)`);
      if (tag === 10) out.key = buf.subarray(start, start + length);
      else if (tag === 18) out.value = buf.subarray(start, start + length);
      at = start + length;
    } else if (wire === 0) {
      at = readVarint(buf, at)[1];
    } else if (wire === 1) {
      at += 8;
    } else if (wire === 5) {
      at += 4;
    } else {
      throw new Error(`PutRequest: unsupported wire type ${wire} at byte ${afterTag - 1}`);
    }
  }
  if (at !== buf.length) throw new Error(`PutRequest: last field runs past the end (${buf.length} bytes)`);
  return out;
}

const EMPTY = new Uint8Array(0);

/** PutResponse { uint64 revision = 1; } */
export function encodePutResponse(revision: number): Buffer {
  const buf = Buffer.allocUnsafe(11);
  buf[0] = 8;
  let at = 1;
  let v = revision;
  while (v >= 0x80) {
    buf[at++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[at++] = v;
  return buf.subarray(0, at);
}

export function decodePutResponse(buf: Buffer): number {
  const r = protobuf.Reader.create(buf);
  let revision = 0;
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === 8) revision = Number(r.uint64().toString());
    else r.skipType(tag & 7);
  }
  return revision;
}

const json = {
  encode: (v: unknown) => Buffer.from(JSON.stringify(v ?? {})),
  decode: (b: Buffer) => (b.length ? JSON.parse(b.toString("utf8")) : {}),
};
const raw = (b: Buffer) => b;

export const KV_PATHS = { put: "/tarn.testkv.KV/Put", status: "/tarn.testkv.KV/Status", dump: "/tarn.testkv.KV/Dump" } as const;

export interface MemberStatus {
  id: string;
  role: string;
  leader: string;
  term: number;
  commit: number;
  applied: number;
}

export interface MemberDump {
  applied: number;
  /** key → value (UTF-8) of everything applied. */
  data: Record<string, string>;
}

/** A unary-call client for one member (Put takes raw protobuf bytes, so callers may pre-encode). */
export class KvClient {
  readonly client: Client;

  constructor(readonly address: string) {
    this.client = new Client(address, credentials.createInsecure());
  }

  putRaw(path: string, body: Buffer, timeoutMs = 10_000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(path, raw, raw, body, new Metadata(), { deadline: Date.now() + timeoutMs }, (err: ServiceError | null, res?: Buffer) =>
        err ? reject(err) : resolve(res!),
      );
    });
  }

  async put(key: string, value: Uint8Array, timeoutMs?: number): Promise<number> {
    return decodePutResponse(await this.putRaw(KV_PATHS.put, encodePutRequest({ key: Buffer.from(key), value }), timeoutMs));
  }

  status(timeoutMs = 2000): Promise<MemberStatus> {
    return this.json<MemberStatus>(KV_PATHS.status, timeoutMs);
  }

  dump(timeoutMs = 10_000): Promise<MemberDump> {
    return this.json<MemberDump>(KV_PATHS.dump, timeoutMs);
  }

  close(): void {
    this.client.close();
  }

  private json<T>(path: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(path, json.encode, json.decode, {}, new Metadata(), { deadline: Date.now() + timeoutMs }, (err: ServiceError | null, res?: T) =>
        err ? reject(err) : resolve(res!),
      );
    });
  }
}
