// The gRPC peer transport of the Raft runtime (proto/raft.proto).
export { GrpcTransport, ForwardError, DEFAULT_MAX_MESSAGE_BYTES } from "./grpc-transport";
export type { GrpcTransportOptions, TransportHandlers } from "./grpc-transport";
export type { PeerHandlers } from "./server";
export { TransportError, MalformedMessageError } from "./errors";
export { signPeerCall, verifyPeerCall, HEADER as PEER_AUTH_HEADERS } from "./auth";
export { encodeMessageBatch, decodeMessageBatch } from "./codec";
export { raftPeerServiceDefinition } from "./service";
