// The RaftPeer service definition for @grpc/grpc-js, hand-written over the codec (no generated code).
// Send's requests are left as raw bytes here: the handler decodes them once it knows who the caller is, so
// a malformed batch is logged with the sender's name.
import type { ServiceDefinition } from "@grpc/grpc-js";
import type { Message } from "../types";
import { encodeMessageBatch, proposeRequestCodec, proposeResponseCodec, sendAckCodec, snapshotChunkCodec, snapshotRequestCodec } from "./codec";

const PREFIX = "/tarn.raft.v1.RaftPeer/";
const raw = (b: Buffer): Buffer => b;

export const PATHS = { send: `${PREFIX}Send`, propose: `${PREFIX}Propose`, fetchSnapshot: `${PREFIX}FetchSnapshot` } as const;

export const raftPeerServiceDefinition: ServiceDefinition = {
  Send: {
    path: PATHS.send,
    requestStream: true,
    responseStream: false,
    requestSerialize: (batch: Message[]) => encodeMessageBatch(batch),
    requestDeserialize: raw,
    responseSerialize: sendAckCodec.encode,
    responseDeserialize: sendAckCodec.decode,
  },
  Propose: {
    path: PATHS.propose,
    requestStream: false,
    responseStream: false,
    requestSerialize: proposeRequestCodec.encode,
    requestDeserialize: proposeRequestCodec.decode,
    responseSerialize: proposeResponseCodec.encode,
    responseDeserialize: proposeResponseCodec.decode,
  },
  FetchSnapshot: {
    path: PATHS.fetchSnapshot,
    requestStream: false,
    responseStream: true,
    requestSerialize: snapshotRequestCodec.encode,
    requestDeserialize: snapshotRequestCodec.decode,
    responseSerialize: snapshotChunkCodec.encode,
    responseDeserialize: snapshotChunkCodec.decode,
  },
};
