// The vocabulary shared by the Raft core (pure, synchronous) and the runtime that does its I/O (the durable
// log, the gRPC transport, the state machine driver). Modelled on etcd's raftpb.
//
// Terms and indexes are plain numbers: exact up to 2^53, which at a million entries a second lasts for
// 285 years; codecs reject anything larger as corrupt rather than round it.

export type NodeId = string;
export type Term = number;
export type Index = number;

export const NONE: NodeId = "";

export enum EntryType {
  /** An opaque command for the state machine. Empty data is the no-op a new leader appends. */
  Normal = 0,
  /** A membership change; data is an encoded ConfChange. */
  ConfChange = 1,
}

export interface Entry {
  term: Term;
  index: Index;
  type: EntryType;
  data: Uint8Array;
}

/** What must be on disk before a node answers a message that depends on it. */
export interface HardState {
  term: Term;
  vote: NodeId;
  commit: Index;
}

/** Cluster membership. During joint consensus `votersOutgoing` holds the old voter set. */
export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
  votersOutgoing: NodeId[];
  /** Learners that become voters when a joint configuration is left. */
  learnersNext: NodeId[];
  autoLeave: boolean;
}

export enum ConfChangeType {
  AddVoter = 0,
  AddLearner = 1,
  RemoveNode = 2,
}

export interface ConfChangeSingle {
  type: ConfChangeType;
  node: NodeId;
  /** The node's peer address, carried so that every member learns how to reach it. */
  address?: string;
}

/**
 * How a change of several voters is made. "auto" (the default): one change applies alone, several enter a
 * joint configuration that the leader leaves automatically. "joint-implicit" enters a joint configuration
 * even for one change and leaves it automatically; "joint-explicit" waits for a ConfChange with leaveJoint.
 */
export type ConfChangeTransition = "auto" | "joint-implicit" | "joint-explicit";

/** One change applies alone; several use joint consensus (entered and left through the log). */
export interface ConfChange {
  changes: ConfChangeSingle[];
  /** Empty changes with leaveJoint = true ask to leave a joint configuration. */
  leaveJoint?: boolean;
  transition?: ConfChangeTransition;
}

export interface SnapshotMetadata {
  index: Index;
  term: Term;
  confState: ConfState;
}

/**
 * A snapshot as the protocol sees it: metadata plus a reference the state machine understands (typically a
 * key on the object store). `data` carries the bytes inline only for the local-only fallback stream.
 */
export interface Snapshot {
  metadata: SnapshotMetadata;
  /** Opaque to raft: where the state machine stored this snapshot, e.g. "s3://bucket/snapshots/0042". */
  reference: string;
  data?: Uint8Array;
}

export enum MessageType {
  Hup = "Hup", // local: start an election
  Beat = "Beat", // local: leader sends heartbeats
  Propose = "Propose", // local or forwarded: append entries
  App = "App",
  AppResp = "AppResp",
  Vote = "Vote",
  VoteResp = "VoteResp",
  PreVote = "PreVote",
  PreVoteResp = "PreVoteResp",
  Snap = "Snap",
  SnapStatus = "SnapStatus", // local: the runtime reports a snapshot send finished or failed
  Heartbeat = "Heartbeat",
  HeartbeatResp = "HeartbeatResp",
  Unreachable = "Unreachable", // local: the transport could not reach a peer
  TransferLeader = "TransferLeader",
  TimeoutNow = "TimeoutNow",
  ReadIndex = "ReadIndex",
  ReadIndexResp = "ReadIndexResp",
}

export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: Term;
  /** App: index of the entry before `entries`; AppResp: the highest index matched (or the rejected index). */
  index: Index;
  /** App: the term of the entry at `index`. VoteResp/PreVote: the candidate's last log term. */
  logTerm: Term;
  entries: Entry[];
  commit: Index;
  reject: boolean;
  /** AppResp with reject: the follower's hint of where its log may match. */
  rejectHint: Index;
  snapshot?: Snapshot;
  /** ReadIndex / Heartbeat: request context echoed back, so responses find their requests. */
  context?: Uint8Array;
}

/** A linearizable read that may proceed once the state machine has applied `index`. */
export interface ReadState {
  index: Index;
  requestCtx: Uint8Array;
}

export enum StateRole {
  Follower = "follower",
  PreCandidate = "pre-candidate",
  Candidate = "candidate",
  Leader = "leader",
}

export interface SoftState {
  leader: NodeId;
  role: StateRole;
}

/**
 * A batch of work the core hands to its runtime. The runtime must, in this order:
 * 1. persist `hardState` (if set), `snapshot` (if set) and `entries` with one fsync;
 * 2. send `messages` — except that a leader may send before persisting (it persists in parallel), because a
 *    leader's own log counts towards a quorum only through `advance()`; this holds only when the Ready does
 *    not change `hardState.term` or `hardState.vote` (the Ready in which a node wins an election carries its
 *    new term and self-vote: persist that one first, or a crash could let it vote twice in one term);
 * 3. apply `committedEntries` to the state machine in order, then report through `advance()`.
 * Messages to a follower that depend on the persisted state are only produced after the fact.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  readStates: ReadState[];
  entries: Entry[];
  snapshot?: Snapshot;
  committedEntries: Entry[];
  messages: Message[];
  /** True when `hardState` or `entries` must be fsynced before `messages` are sent. */
  mustSync: boolean;
}

/**
 * The log as the core reads it (etcd's Storage). The runtime implements it over the durable log; tests use
 * an in-memory one. Reads are synchronous: the durable log keeps its unapplied tail in memory.
 * Entries the runtime has persisted are appended to it before `advance()` is called.
 */
export interface LogStorage {
  /** The persisted hard state and the membership at start-up. */
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries [lo, hi), at most `maxBytes` of data (always at least one entry). Throws CompactedError below firstIndex. */
  entries(lo: Index, hi: Index, maxBytes: number): Entry[];
  /** The term of entry i; valid for firstIndex()-1 .. lastIndex(). Throws CompactedError/UnavailableError otherwise. */
  term(i: Index): Term;
  firstIndex(): Index;
  lastIndex(): Index;
  /** The most recent snapshot (metadata and reference). Throws SnapshotTemporarilyUnavailableError if being made. */
  snapshot(): Snapshot;
}

export class CompactedError extends Error {
  constructor(index: Index) {
    super(`raft: index ${index} is compacted`);
  }
}

export class UnavailableError extends Error {
  constructor(index: Index) {
    super(`raft: index ${index} is beyond the last log index`);
  }
}

export class SnapshotTemporarilyUnavailableError extends Error {
  constructor() {
    super("raft: snapshot is temporarily unavailable");
  }
}
