// The leader's bookkeeping for the whole group (etcd's tracker/tracker.go): the active configuration, one
// Progress per member, and the votes of an election in progress.
import { isJoint, jointCommitted, jointIds, jointVoteResult, VoteResult } from "../quorum";
import type { JointConfig } from "../quorum";
import type { ConfState, Index, NodeId } from "../types";
import type { Progress } from "./progress";

export interface TrackerConfig {
  voters: JointConfig;
  /** Learners: receive the log, never vote. Disjoint from both voter sets. */
  learners: Set<NodeId>;
  /** Outgoing voters that become learners when the joint configuration is left. */
  learnersNext: Set<NodeId>;
  /** Leave the joint configuration automatically once it is applied. */
  autoLeave: boolean;
}

export const emptyTrackerConfig = (): TrackerConfig => ({
  voters: [new Set(), new Set()],
  learners: new Set(),
  learnersNext: new Set(),
  autoLeave: false,
});

export const cloneTrackerConfig = (c: TrackerConfig): TrackerConfig => ({
  voters: [new Set(c.voters[0]), new Set(c.voters[1])],
  learners: new Set(c.learners),
  learnersNext: new Set(c.learnersNext),
  autoLeave: c.autoLeave,
});

export type ProgressMap = Map<NodeId, Progress>;

export class ProgressTracker {
  config: TrackerConfig = emptyTrackerConfig();
  progress: ProgressMap = new Map();
  votes = new Map<NodeId, boolean>();
  readonly maxInflight: number;

  constructor(maxInflight: number) {
    this.maxInflight = maxInflight;
  }

  confState(): ConfState {
    return {
      voters: [...this.config.voters[0]].sort(),
      votersOutgoing: [...this.config.voters[1]].sort(),
      learners: [...this.config.learners].sort(),
      learnersNext: [...this.config.learnersNext].sort(),
      autoLeave: this.config.autoLeave,
    };
  }

  isSingleton(): boolean {
    return this.config.voters[0].size === 1 && this.config.voters[1].size === 0;
  }

  isJoint(): boolean {
    return isJoint(this.config.voters);
  }

  isVoter(id: NodeId): boolean {
    return this.config.voters[0].has(id) || this.config.voters[1].has(id);
  }

  /** The largest index a quorum of voters has acknowledged. */
  committed(): Index {
    return jointCommitted(this.config.voters, (id) => this.progress.get(id)?.match);
  }

  /** Visits every member in id order, so that message order is deterministic. */
  visit(f: (id: NodeId, pr: Progress) => void): void {
    for (const id of [...this.progress.keys()].sort()) f(id, this.progress.get(id)!);
  }

  /** Whether a quorum of voters was recently active (check-quorum). */
  quorumActive(): boolean {
    const votes = new Map<NodeId, boolean>();
    this.visit((id, pr) => {
      if (!pr.isLearner) votes.set(id, pr.recentActive);
    });
    return jointVoteResult(this.config.voters, votes) === VoteResult.Won;
  }

  voterNodes(): NodeId[] {
    return jointIds(this.config.voters);
  }

  learnerNodes(): NodeId[] {
    return [...this.config.learners].sort();
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  /** Records a vote; only the first answer of each voter counts. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      const v = this.votes.get(id);
      if (v === undefined) continue;
      if (v) granted++;
      else rejected++;
    }
    return { granted, rejected, result: this.voteResult(this.votes) };
  }

  voteResult(votes: ReadonlyMap<NodeId, boolean>): VoteResult {
    return jointVoteResult(this.config.voters, votes);
  }
}
