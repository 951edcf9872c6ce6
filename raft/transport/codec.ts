// Wire codec of the peer API (proto/raft.proto), loaded at run time with protobufjs: no generated code. The
// conversion between the core's Message and the wire shape is explicit, and everything that arrives is
// validated here, where untrusted bytes enter: known enum values, ids as strings, indexes below 2^53.
// Message batches, the hot path, are hand-encoded (message-wire.ts); the reflection codec serves the rest and
// the Snapshot sub-message inside a batch.
import * as fs from "node:fs";
import * as path from "node:path";
import * as protobuf from "protobufjs";
import { ConfState, Entry, EntryType, Message, MessageType, Snapshot } from "../types";
import { MalformedMessageError } from "./errors";
import { decodeBatch, encodeBatch, SnapshotWire } from "./message-wire";

function findProto(): string {
  // Source (raft/transport) and compiled (dist/raft/transport) layouts both reach <repo>/proto by walking up.
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "proto", "raft.proto");
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`proto/raft.proto not found above ${__dirname}`);
  }
}

const root = protobuf.loadSync(findProto());
const T = {
  MessageBatch: root.lookupType("tarn.raft.v1.MessageBatch"),
  Snapshot: root.lookupType("tarn.raft.v1.Snapshot"),
  SendAck: root.lookupType("tarn.raft.v1.SendAck"),
  ProposeRequest: root.lookupType("tarn.raft.v1.ProposeRequest"),
  ProposeResponse: root.lookupType("tarn.raft.v1.ProposeResponse"),
  SnapshotRequest: root.lookupType("tarn.raft.v1.SnapshotRequest"),
  SnapshotChunk: root.lookupType("tarn.raft.v1.SnapshotChunk"),
};

// Wire enum numbers, in proto order.
const MESSAGE_TYPES: MessageType[] = [
  MessageType.Hup,
  MessageType.Beat,
  MessageType.Propose,
  MessageType.App,
  MessageType.AppResp,
  MessageType.Vote,
  MessageType.VoteResp,
  MessageType.PreVote,
  MessageType.PreVoteResp,
  MessageType.Snap,
  MessageType.SnapStatus,
  MessageType.Heartbeat,
  MessageType.HeartbeatResp,
  MessageType.Unreachable,
  MessageType.TransferLeader,
  MessageType.TimeoutNow,
  MessageType.ReadIndex,
  MessageType.ReadIndexResp,
];
const MESSAGE_TYPE_NUMBER = new Map(MESSAGE_TYPES.map((t, i) => [t, i]));

type Long64 = number | { toNumber(): number; high: number };

function num(v: Long64 | null | undefined, what: string): number {
  if (v == null) return 0;
  if (typeof v === "number") return v;
  if (v.high >>> 0 >= 2 ** 21) throw new MalformedMessageError(`${what} exceeds 2^53`);
  return v.toNumber();
}

const bytes = (v: Uint8Array | null | undefined): Uint8Array | undefined => (v && v.length > 0 ? v : undefined);

interface WireConfState {
  voters?: string[];
  learners?: string[];
  votersOutgoing?: string[];
  learnersNext?: string[];
  autoLeave?: boolean;
}
interface WireSnapshot {
  metadata?: { index?: Long64; term?: Long64; confState?: WireConfState } | null;
  reference?: string;
  data?: Uint8Array;
}
interface WireEntry {
  term?: Long64;
  index?: Long64;
  type?: number;
  data?: Uint8Array;
}
interface WireMessage {
  type?: number;
  from?: string;
  to?: string;
  term?: Long64;
  index?: Long64;
  logTerm?: Long64;
  entries?: WireEntry[];
  commit?: Long64;
  reject?: boolean;
  rejectHint?: Long64;
  snapshot?: WireSnapshot | null;
  context?: Uint8Array;
}

function snapshotToWire(s: Snapshot): WireSnapshot {
  return { metadata: { index: s.metadata.index, term: s.metadata.term, confState: s.metadata.confState }, reference: s.reference, data: s.data };
}

function messageToWire(m: Message): WireMessage {
  return {
    type: MESSAGE_TYPE_NUMBER.get(m.type),
    from: m.from,
    to: m.to,
    term: m.term,
    index: m.index,
    logTerm: m.logTerm,
    entries: m.entries.length > 0 ? m.entries : undefined,
    commit: m.commit,
    reject: m.reject,
    rejectHint: m.rejectHint,
    snapshot: m.snapshot ? snapshotToWire(m.snapshot) : undefined,
    context: m.context,
  };
}

function confStateFromWire(c: WireConfState | undefined | null): ConfState {
  return {
    voters: c?.voters ?? [],
    learners: c?.learners ?? [],
    votersOutgoing: c?.votersOutgoing ?? [],
    learnersNext: c?.learnersNext ?? [],
    autoLeave: c?.autoLeave ?? false,
  };
}

export function snapshotFromWire(s: WireSnapshot): Snapshot {
  return {
    metadata: { index: num(s.metadata?.index, "snapshot index"), term: num(s.metadata?.term, "snapshot term"), confState: confStateFromWire(s.metadata?.confState) },
    reference: s.reference ?? "",
    data: bytes(s.data),
  };
}

function entryFromWire(e: WireEntry): Entry {
  const type = e.type ?? 0;
  if (type !== EntryType.Normal && type !== EntryType.ConfChange) throw new MalformedMessageError(`unknown entry type ${type}`);
  return { term: num(e.term, "entry term"), index: num(e.index, "entry index"), type, data: e.data ?? new Uint8Array(0) };
}

function messageFromWire(w: WireMessage): Message {
  const type = MESSAGE_TYPES[w.type ?? -1];
  if (type === undefined) throw new MalformedMessageError(`unknown message type ${w.type}`);
  return {
    type,
    from: w.from ?? "",
    to: w.to ?? "",
    term: num(w.term, "term"),
    index: num(w.index, "index"),
    logTerm: num(w.logTerm, "log term"),
    entries: (w.entries ?? []).map(entryFromWire),
    commit: num(w.commit, "commit"),
    reject: w.reject ?? false,
    rejectHint: num(w.rejectHint, "reject hint"),
    snapshot: w.snapshot ? snapshotFromWire(w.snapshot) : undefined,
    context: bytes(w.context),
  };
}

/** Rough encoded size of a message, to keep batches under the size limit without encoding twice. */
export function estimateMessageBytes(m: Message): number {
  let n = 64 + (m.context?.length ?? 0) + (m.snapshot ? 256 + (m.snapshot.data?.length ?? 0) : 0);
  for (const e of m.entries) n += 24 + e.data.length;
  return n;
}

const snapshotWire: SnapshotWire = {
  encode: (snap) => T.Snapshot.encode(snapshotToWire(snap) as protobuf.Message).finish(),
  decode: (buf) => {
    let wire: WireSnapshot;
    try {
      wire = T.Snapshot.decode(buf) as unknown as WireSnapshot;
    } catch (err) {
      throw new MalformedMessageError(`undecodable snapshot of ${buf.length} bytes: ${(err as Error).message}`);
    }
    return snapshotFromWire(wire);
  },
};

const wireTypeNumber = (t: MessageType): number => MESSAGE_TYPE_NUMBER.get(t) ?? 0;
const messageTypeOf = (n: number): MessageType | undefined => MESSAGE_TYPES[n];

export function encodeMessageBatch(messages: Message[]): Buffer {
  return encodeBatch(messages, wireTypeNumber, snapshotWire);
}

/** Decodes a batch from an untrusted peer; throws MalformedMessageError naming what is wrong. */
export function decodeMessageBatch(buf: Buffer): Message[] {
  return decodeBatch(buf, messageTypeOf, snapshotWire);
}

/** The reflection codec's encoding of a batch: the reference the hand-written one is tested against. */
export function encodeMessageBatchByReflection(messages: Message[]): Buffer {
  return Buffer.from(T.MessageBatch.encode({ messages: messages.map(messageToWire) }).finish());
}

/** The reflection codec's decoding of a batch (see encodeMessageBatchByReflection). */
export function decodeMessageBatchByReflection(buf: Buffer): Message[] {
  const decoded = T.MessageBatch.decode(buf) as unknown as { messages?: WireMessage[] };
  return (decoded.messages ?? []).map(messageFromWire);
}

function simple<V extends object>(type: protobuf.Type) {
  return {
    encode: (v: V): Buffer => Buffer.from(type.encode(v as protobuf.Message).finish()),
    decode: (buf: Buffer): V => {
      try {
        return type.decode(buf) as unknown as V;
      } catch (err) {
        throw new MalformedMessageError(`undecodable ${type.name} of ${buf.length} bytes: ${(err as Error).message}`);
      }
    },
  };
}

export const sendAckCodec = simple<object>(T.SendAck);
export const proposeRequestCodec = simple<{ data: Uint8Array }>(T.ProposeRequest);
export const proposeResponseCodec = simple<{ result: Uint8Array }>(T.ProposeResponse);
export const snapshotRequestCodec = simple<{ index: Long64; reference: string }>(T.SnapshotRequest);
export const snapshotChunkCodec = simple<{ offset: Long64; data: Uint8Array; totalBytes: Long64 }>(T.SnapshotChunk);
export { num as wireNumber };
