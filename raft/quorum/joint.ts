// Joint quorums (etcd's quorum/joint.go): during a membership change a decision needs a majority of the
// incoming voters AND a majority of the outgoing ones.
import type { Index, NodeId } from "../types";
import { majorityCommitted, majorityVoteResult, VoteResult } from "./majority";
import type { AckedIndexer } from "./majority";

/** [incoming, outgoing]; outgoing is empty outside of a joint configuration. */
export type JointConfig = [Set<NodeId>, Set<NodeId>];

export function jointCommitted(c: JointConfig, acked: AckedIndexer): Index {
  return Math.min(majorityCommitted(c[0], acked), majorityCommitted(c[1], acked));
}

export function jointVoteResult(c: JointConfig, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const r1 = majorityVoteResult(c[0], votes);
  const r2 = majorityVoteResult(c[1], votes);
  if (r1 === r2) return r1;
  if (r1 === VoteResult.Lost || r2 === VoteResult.Lost) return VoteResult.Lost;
  return VoteResult.Pending;
}

export const isJoint = (c: JointConfig): boolean => c[1].size > 0;

/** Every voter of either half, sorted. */
export function jointIds(c: JointConfig): NodeId[] {
  return [...new Set([...c[0], ...c[1]])].sort();
}
