// The versioning engine's public face.
export { Graveler } from "./graveler";
export type { GravelerOptions, CommitOptions, ListOptions, Listing, DiffEntry, MergeOptions } from "./graveler";
export type { Entry, AddressType } from "./entry";
export { encodeEntry, decodeEntry } from "./entry";
export type { Commit, Repository, BranchRecord } from "./refs/records";
export type { MergeStrategy } from "./committed/merge";
export type { CommittedOptions } from "./committed/manager";
export type { RangeShape } from "./committed/range-writer";
export * from "./ids";
export type { KvStore, KvBatch, KvRecord, KvScanOptions, KvPrecondition, KvMutation } from "./kv/types";
export { scanAll } from "./kv/types";
export { LevelKv } from "./kv/level";
export { MemoryKv } from "./kv/memory";
