// Snapshots and membership on the Raft state machine: installing a leader's snapshot, applying a committed
// conf change (and what a leader does when it is removed), and leaving a joint configuration automatically.
import { Changer, encodeConfChange, enterJoint, isLeaveJoint, restoreConfig } from "./confchange";
import type { ChangeResult } from "./confchange";
import { RaftError } from "./errors";
import type { Raft } from "./raft";
import { ProgressTracker } from "./tracker";
import { EntryType, NONE, StateRole } from "./types";
import type { ConfChange, ConfState, Index, NodeId, Snapshot } from "./types";

/** Installs a snapshot from the leader. Returns false when it is stale or already covered by the log. */
export function restoreSnapshot(r: Raft, s: Snapshot): boolean {
  const { index, term, confState: cs } = s.metadata;
  if (index <= r.raftLog.committed) return false;
  if (r.raftLog.applying > r.raftLog.applied) {
    // The runtime is applying entries handed out before this snapshot; some may be conf changes it will
    // apply to our configuration. Swapping the configuration under it would make them fail: refuse for
    // now, the leader sends the snapshot again.
    r.logger.info("raft: deferring snapshot while committed entries are being applied", { id: r.id, index });
    return false;
  }
  if (r.state !== StateRole.Follower) {
    // Defensive: only a follower receives snapshots. Move to a new term so no leader of this term exists here.
    r.logger.warn("raft: attempted to restore snapshot as non-follower; becoming follower", { id: r.id });
    r.becomeFollower(r.term + 1, NONE);
    return false;
  }
  // A node never configured yet (added with an empty log) takes any snapshot: the entries after it add it.
  const member = [cs.voters, cs.learners, cs.votersOutgoing].some((ids) => ids.includes(r.id));
  if (!member && r.trk.progress.size > 0) {
    r.logger.warn("raft: attempted to restore snapshot but it is not in the ConfState", { id: r.id, confState: cs });
    return false;
  }
  if (r.raftLog.matchTerm(index, term)) {
    // We already have the entry: fast-forward the commit index instead of replacing the log.
    r.raftLog.commitTo(index);
    return false;
  }
  r.raftLog.restore(s);
  r.trk = new ProgressTracker(r.trk.maxInflight);
  switchToConfig(r, restoreConfig(new Changer(r.trk, r.raftLog.lastIndex()), cs));
  const pr = r.trk.progress.get(r.id);
  pr?.maybeUpdate(pr.next - 1);
  r.logger.info("raft: restored snapshot", { id: r.id, index, term });
  return true;
}

export function applyConfChange(r: Raft, cc: ConfChange): ConfState {
  const changer = new Changer(r.trk, r.raftLog.lastIndex());
  let result: ChangeResult;
  if (isLeaveJoint(cc)) {
    result = changer.leaveJoint();
  } else {
    const { enter, autoLeave } = enterJoint(cc);
    result = enter ? changer.enterJoint(autoLeave, cc.changes) : changer.simple(cc.changes);
  }
  return switchToConfig(r, result);
}

export function switchToConfig(r: Raft, result: ChangeResult): ConfState {
  r.trk.config = result.config;
  r.trk.progress = result.progress;
  const cs = r.trk.confState();
  const pr = r.trk.progress.get(r.id);
  r.isLearner = pr?.isLearner ?? false;
  if ((!pr || r.isLearner) && r.state === StateRole.Leader) {
    stepDownRemovedLeader(r);
    return cs;
  }
  if (r.state !== StateRole.Leader || cs.voters.length === 0) return cs;
  if (r.maybeCommit()) {
    r.bcastAppend();
  } else {
    r.trk.visit((id) => {
      if (id !== r.id) r.maybeSendAppend(id, false);
    });
  }
  if (r.leadTransferee !== NONE && !r.trk.isVoter(r.leadTransferee)) r.abortLeaderTransfer();
  return cs;
}

/**
 * This leader was removed (or demoted): it tells everyone the commit index, asks the most up-to-date voter to
 * campaign at once (so the group is not leaderless for an election timeout), and steps down.
 */
function stepDownRemovedLeader(r: Raft): void {
  r.trk.visit((id) => {
    if (id !== r.id) r.sendAppend(id);
  });
  let best: NodeId = NONE;
  let bestMatch = -1;
  r.trk.visit((id, pr) => {
    if (id !== r.id && r.trk.config.voters[0].has(id) && pr.match > bestMatch) {
      best = id;
      bestMatch = pr.match;
    }
  });
  if (best !== NONE && bestMatch === r.raftLog.lastIndex()) r.sendTimeoutNow(best);
  r.logger.info("raft: leader removed from the configuration; stepping down", { id: r.id, term: r.term, handoff: best });
  r.becomeFollower(r.term, NONE);
}

/**
 * After the runtime applied up to `applied`: run a leadership transfer that waited for a conf change, and
 * leave a joint configuration automatically if asked to.
 */
export function appliedTo(r: Raft, applied: Index): void {
  const old = r.raftLog.applied;
  r.raftLog.appliedTo(applied);
  if (r.campaignAfterApply && !r.hasUnappliedConfChange()) {
    r.campaignAfterApply = false;
    if (r.state === StateRole.Follower) r.hup("transfer");
  }
  if (
    r.trk.config.autoLeave &&
    old <= r.pendingConfIndex &&
    applied >= r.pendingConfIndex &&
    r.state === StateRole.Leader
  ) {
    const data = encodeConfChange({ changes: [], leaveJoint: true });
    if (!r.appendEntry([{ term: 0, index: 0, type: EntryType.ConfChange, data }])) {
      throw new RaftError("INVALID_STATE", "raft: could not append the entry that leaves the joint config");
    }
    r.pendingConfIndex = r.raftLog.lastIndex();
    r.bcastAppend();
    r.logger.info("raft: initiating automatic transition out of joint configuration", { id: r.id });
  }
}
