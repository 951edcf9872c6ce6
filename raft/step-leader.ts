// How a leader handles messages (etcd's stepLeader).
import { decodeConfChange } from "./confchange";
import { VoteResult } from "./quorum";
import type { Raft } from "./raft";
import { ProgressState } from "./tracker";
import { EntryType, MessageType, NONE } from "./types";
import type { Message } from "./types";

export function stepLeader(r: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.Beat:
      r.bcastHeartbeat();
      return;
    case MessageType.Propose:
      propose(r, m);
      return;
    case MessageType.ReadIndex:
      if (r.trk.isSingleton()) {
        r.respondToReadIndex(m, r.raftLog.committed);
        return;
      }
      // Until an entry of this term is committed the leader does not know the group's commit index.
      if (!r.committedEntryInCurrentTerm()) {
        r.pendingReadIndexMessages.push(m);
        return;
      }
      r.sendReadIndexResponse(m);
      return;
  }

  const pr = r.trk.progress.get(m.from);
  if (!pr) {
    r.logger.debug("raft: no progress available for sender", { id: r.id, from: m.from, type: m.type });
    return;
  }
  switch (m.type) {
    case MessageType.AppResp: {
      pr.recentActive = true;
      if (m.reject) {
        // The follower's hint (and the term there) lets us skip every entry of a conflicting term at once.
        let nextProbe = m.rejectHint;
        if (m.logTerm > 0) nextProbe = r.raftLog.findConflictByTerm(m.rejectHint, m.logTerm).index;
        if (pr.maybeDecrTo(m.index, nextProbe)) {
          if (pr.state === ProgressState.Replicate) pr.becomeProbe();
          r.sendAppend(m.from);
        }
        return;
      }
      const oldPaused = pr.isPaused();
      if (!pr.maybeUpdate(m.index)) return;
      if (pr.state === ProgressState.Probe) {
        pr.becomeReplicate();
      } else if (pr.state === ProgressState.Snapshot && pr.match >= pr.pendingSnapshot) {
        // The snapshot arrived (or the follower caught up another way): resume normal replication.
        pr.becomeProbe();
        pr.becomeReplicate();
      } else if (pr.state === ProgressState.Replicate) {
        pr.inflights.freeLE(m.index);
      }
      if (r.maybeCommit()) {
        r.releasePendingReadIndexMessages();
        r.bcastAppend();
      } else if (oldPaused) {
        r.sendAppend(m.from);
      }
      // Send as much as the flow control allows.
      while (r.maybeSendAppend(m.from, false)) {
        /* keep sending */
      }
      if (m.from === r.leadTransferee && pr.match === r.raftLog.lastIndex()) {
        r.logger.info("raft: sent TimeoutNow after the transferee caught up", { id: r.id, to: m.from });
        r.sendTimeoutNow(m.from);
      }
      return;
    }
    case MessageType.HeartbeatResp: {
      pr.recentActive = true;
      if (m.reject) replicateAgainAfterLostLog(r, m);
      pr.probeSent = false;
      // A full pipeline with a live follower: free one slot so that replication does not stall.
      if (pr.state === ProgressState.Replicate && pr.inflights.full()) pr.inflights.freeFirstOne();
      if (pr.match < r.raftLog.lastIndex()) r.sendAppend(m.from);
      if (r.readOnly.option !== "safe" || !m.context || m.context.length === 0) return;
      const acks = r.readOnly.recvAck(m.from, m.context);
      if (!acks || r.trk.voteResult(acks) !== VoteResult.Won) return;
      for (const rs of r.readOnly.advance(m.context)) r.respondToReadIndex(rs.req, rs.index);
      return;
    }
    case MessageType.SnapStatus:
      if (pr.state !== ProgressState.Snapshot) return;
      if (m.reject) pr.pendingSnapshot = 0; // failed: probe from the match instead
      pr.becomeProbe();
      // Wait for a heartbeat response (or the follower's answer) before the next probe.
      pr.probeSent = true;
      return;
    case MessageType.Unreachable:
      // Pipelined appends were probably lost: go back to probing.
      if (pr.state === ProgressState.Replicate) pr.becomeProbe();
      return;
    case MessageType.TransferLeader: {
      if (pr.isLearner) {
        r.logger.info("raft: ignored transferring leadership to a learner", { id: r.id, to: m.from });
        return;
      }
      const transferee = m.from;
      if (r.leadTransferee !== NONE) {
        if (r.leadTransferee === transferee) return; // the same transfer is already under way
        r.abortLeaderTransfer();
      }
      if (transferee === r.id) return;
      // The transfer must finish within an election timeout.
      r.electionElapsed = 0;
      r.leadTransferee = transferee;
      if (pr.match === r.raftLog.lastIndex()) r.sendTimeoutNow(transferee);
      else r.sendAppend(transferee);
      return;
    }
    default:
      return;
  }
}

/**
 * A follower rejected a heartbeat: the commit index it carried (never beyond the follower's match) is beyond
 * the follower's log, so the follower lost entries it had acknowledged (a wiped disk, restored from an older
 * snapshot or not at all). etcd assumes acknowledged entries are durable: it would probe at the old match for
 * ever. The leader forgets the match and replicates from the follower's last index (or sends a snapshot).
 *
 * Why this is safe: the match only goes down, so the quorum index the leader computes can only go down, and
 * the commit index never moves backwards (commitTo ignores a lower one); entries are committed from matches
 * verified by accepted appends only. A stale rejection (delayed or duplicated) concerns a loss that did happen;
 * if the follower caught up since, its match is forgotten once more and the next probe sets it again.
 * What no leader can undo: entries acknowledged by the wiped member and only one other member of three were
 * committed on a majority that no longer exists; if that other member fails too, they are gone. Removing the
 * member and adding it back (a learner first) avoids that; the object-store snapshot narrows the gap only.
 */
function replicateAgainAfterLostLog(r: Raft, m: Message): void {
  const pr = r.trk.progress.get(m.from)!;
  let hint = m.rejectHint;
  if (m.logTerm > 0) hint = r.raftLog.findConflictByTerm(m.rejectHint, m.logTerm).index;
  const match = pr.match;
  if (!pr.lostLog(hint)) return;
  r.logger.warn("raft: follower lost entries it had acknowledged (its disk was wiped or replaced); replicating to it again", {
    id: r.id,
    to: m.from,
    match,
    followerLastIndex: m.rejectHint,
    next: pr.next,
  });
}

function propose(r: Raft, m: Message): void {
  if (m.entries.length === 0) r.dropProposal("a proposal without entries");
  if (!r.trk.progress.has(r.id)) r.dropProposal(`${r.id} is no longer a member`);
  if (r.leadTransferee !== NONE) r.dropProposal(`leadership is being transferred to ${r.leadTransferee}`);
  const entries = m.entries.map((e) => ({ ...e }));
  entries.forEach((e, i) => {
    if (e.type !== EntryType.ConfChange) return;
    const cc = decodeConfChange(e.data);
    const alreadyPending = r.pendingConfIndex > r.raftLog.applied;
    const alreadyJoint = r.trk.isJoint();
    const wantsLeaveJoint = cc.changes.length === 0;
    let refused = "";
    if (alreadyPending) refused = `possible unapplied conf change at index ${r.pendingConfIndex} (applied to ${r.raftLog.applied})`;
    else if (alreadyJoint && !wantsLeaveJoint) refused = "must transition out of joint config first";
    else if (!alreadyJoint && wantsLeaveJoint) refused = "not in joint state; refusing empty conf change";
    if (refused !== "") {
      // Keep the index a proposal would take, but make it a no-op (as etcd does).
      r.logger.info("raft: ignoring conf change", { id: r.id, reason: refused });
      entries[i] = { ...e, type: EntryType.Normal, data: new Uint8Array(0) };
    } else {
      r.pendingConfIndex = r.raftLog.lastIndex() + i + 1;
    }
  });
  if (!r.appendEntry(entries)) r.dropProposal("the uncommitted log is full");
  r.bcastAppend();
}

