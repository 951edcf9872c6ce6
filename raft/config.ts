// What a RawNode is built from, and the check that it can work.
import { RaftError } from "./errors";
import type { ReadOnlyOption } from "./read-only";
import type { Index, LogStorage, NodeId } from "./types";

export interface RaftLogger {
  debug(msg: string, fields?: object): void;
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
}

export interface RaftConfig {
  id: NodeId;
  /** Ticks without hearing from a leader before a follower campaigns (randomized in [n, 2n)). */
  electionTick: number;
  /** Ticks between a leader's heartbeats; must be less than electionTick. */
  heartbeatTick: number;
  storage: LogStorage;
  /** The last index the state machine applied before a restart; committed entries up to it are not re-applied. */
  applied?: Index;
  /** The most entry bytes in one append message. */
  maxSizePerMsg: number;
  /** The most append messages in flight to one follower in the replicate state. */
  maxInflightMsgs: number;
  /** The most uncommitted payload bytes a leader accepts before dropping proposals. */
  maxUncommittedEntriesSize?: number;
  /** The most committed entry bytes handed out in one Ready. */
  maxCommittedSizePerReady?: number;
  preVote: boolean;
  checkQuorum: boolean;
  readOnlyOption?: ReadOnlyOption;
  /** Injected randomness in [0,1), for randomized election timeouts. */
  random: () => number;
  logger?: RaftLogger;
}

export const silentLogger: RaftLogger = { debug() {}, info() {}, warn() {} };

export function validateConfig(c: RaftConfig): void {
  const bad = (what: string) => new RaftError("INVALID_CONFIG", `raft: config: ${what}`);
  if (typeof c.id !== "string" || c.id === "") throw bad("id must be a non-empty string");
  if (!Number.isSafeInteger(c.heartbeatTick) || c.heartbeatTick <= 0) throw bad("heartbeatTick must be a positive integer");
  if (!Number.isSafeInteger(c.electionTick) || c.electionTick <= c.heartbeatTick) {
    throw bad("electionTick must be an integer greater than heartbeatTick");
  }
  if (!Number.isSafeInteger(c.maxInflightMsgs) || c.maxInflightMsgs <= 0) throw bad("maxInflightMsgs must be a positive integer");
  if (!(c.maxSizePerMsg > 0)) throw bad("maxSizePerMsg must be positive");
  if (c.maxUncommittedEntriesSize !== undefined && !(c.maxUncommittedEntriesSize > 0)) {
    throw bad("maxUncommittedEntriesSize must be positive");
  }
  if (c.readOnlyOption === "lease-based" && !c.checkQuorum) throw bad("lease-based reads need checkQuorum");
  if (typeof c.random !== "function") throw bad("random must be a function returning [0,1)");
  if (c.applied !== undefined && (!Number.isSafeInteger(c.applied) || c.applied < 0)) throw bad("applied must be a non-negative integer");
}
