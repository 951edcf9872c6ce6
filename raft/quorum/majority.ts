// Majority quorums (etcd's quorum/majority.go): the committed index and the outcome of a vote for one
// voter set. Pure functions over a set of ids and a lookup.
import type { Index, NodeId } from "../types";

export enum VoteResult {
  Pending = "pending",
  Lost = "lost",
  Won = "won",
}

/** What a voter has acknowledged; undefined (not heard from) counts as 0. */
export type AckedIndexer = (id: NodeId) => Index | undefined;

/**
 * The largest index acknowledged by a majority of `voters`. An empty set commits everything (Infinity), so
 * that a joint quorum with an empty half is decided by the other half.
 */
export function majorityCommitted(voters: ReadonlySet<NodeId>, acked: AckedIndexer): Index {
  const n = voters.size;
  if (n === 0) return Infinity;
  const srt = new Float64Array(n);
  let i = 0;
  for (const id of voters) srt[i++] = acked(id) ?? 0;
  srt.sort();
  // With the indexes ascending, the one at position n - (n/2+1) is acknowledged by n/2+1 voters.
  return srt[n - (Math.floor(n / 2) + 1)];
}

/** The outcome of a vote given each voter's answer so far (absent = not yet answered). */
export function majorityVoteResult(voters: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.size === 0) return VoteResult.Won; // an empty set agrees with everything, as in joint quorums
  let yes = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) yes++;
  }
  const q = Math.floor(voters.size / 2) + 1;
  if (yes >= q) return VoteResult.Won;
  if (yes + missing >= q) return VoteResult.Pending;
  return VoteResult.Lost;
}
