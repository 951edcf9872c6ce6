// src/state: the Raft-replicated state machine on classic-level, the only stateful part of Tarn.
//
//   const node = await StateNode.start({ id, dataDir, members, clusterSecret, snapshotStore, listen });
//   await node.kv.write({ preconditions: [{ key, absent: true }], mutations: [{ op: "put", key, value }] });
//   const rec = await node.kv.get(key);          // linearizable (ReadIndex)
//   const stale = await node.kv.localReads().get(key);   // this member's database as it is
//   node.status();  await node.stop();
//
// `node.kv` implements the graveler KvStore (src/graveler/kv/types.ts): versions are Raft indexes, writes
// from any member are forwarded to the leader, a lost compare-and-set is FAILED_PRECONDITION naming the key,
// no leader (elections) is UNAVAILABLE (NoLeaderError, with the leader's address when known), a timed-out
// write is UNAVAILABLE with `mayHaveApplied` (OutcomeUnknownError). Snapshots are SSTables in the snapshot
// store under `snapshots/<index>-<term>.sst`; a new or wiped member restores from the leader's newest one.
export { StateNode } from "./state-node";
export type { MemberRole, StateNodeOptions, StateNodeStatus } from "./state-node";
export { ReplicatedKv, MAX_COMMAND_BYTES } from "./replicated-kv";
export { memberKvOn } from "./member-registry";
export type { ReadMode } from "./replicated-kv";
export { NoLeaderError, OutcomeUnknownError } from "./raft-errors";
export { TarnStateMachine } from "./machine";
export type { RestoreRecord, StateMachineOptions } from "./machine";
export { decodeCommand, encodeCommand, decodeResult, encodeResult, MalformedCommandError, ResultStatus, COMMAND_VERSION } from "./command";
export type { CommandResult } from "./command";
export { parseSnapshotKey, snapshotKey, SnapshotStore, SNAPSHOT_PREFIX } from "./snapshot-store";
export { loadSnapshotFile, writeSnapshotFile, SNAPSHOT_FORMAT } from "./snapshot-file";
export type { SnapshotInfo } from "./snapshot-file";
export type { Applied, Membership } from "./keyspace";
