// The Raft library: a deterministic core in the style of etcd's raft. It knows nothing of Tarn and imports
// nothing from src/. See rawnode.ts for the API and types.ts for the vocabulary shared with the runtime.
export * from "./types";
export { RawNode } from "./rawnode";
export type { ProgressStatus, Status } from "./rawnode";
export type { RaftConfig, RaftLogger } from "./config";
export { silentLogger } from "./config";
export { MemoryStorage, emptyConfState } from "./memory-storage";
export type { MemoryStorageInit } from "./memory-storage";
export { InvalidMessageError, isRaftError, ProposalDroppedError, RaftError } from "./errors";
export type { RaftErrorCode } from "./errors";
export { decodeConfChange, encodeConfChange } from "./confchange";
export type { ReadOnlyOption } from "./read-only";
export { ProgressState } from "./tracker";
export { validatePeerMessage } from "./validate";
