// How followers, candidates and pre-candidates handle messages (etcd's stepFollower, stepCandidate and the
// handle* functions).
import { restoreSnapshot } from "./membership";
import { newMessage } from "./messages";
import { VoteResult } from "./quorum";
import type { Raft } from "./raft";
import { MessageType, NONE, StateRole } from "./types";
import type { Message } from "./types";

export function stepCandidate(r: Raft, m: Message): void {
  const myVoteResp = r.state === StateRole.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
  switch (m.type) {
    case MessageType.Propose:
      r.dropProposal(`no leader at term ${r.term}`);
      return;
    case MessageType.App:
      r.becomeFollower(m.term, m.from); // always m.term === r.term here
      handleAppendEntries(r, m);
      return;
    case MessageType.Heartbeat:
      r.becomeFollower(m.term, m.from);
      handleHeartbeat(r, m);
      return;
    case MessageType.Snap:
      r.becomeFollower(m.term, m.from);
      handleSnapshot(r, m);
      return;
    case myVoteResp: {
      const result = r.poll(m.from, !m.reject);
      if (result === VoteResult.Won) {
        if (r.state === StateRole.PreCandidate) {
          r.campaign("election");
        } else {
          r.becomeLeader();
          r.bcastAppend();
        }
      } else if (result === VoteResult.Lost) {
        // A rejection at a higher term already made us a follower in step(); this keeps our term.
        r.becomeFollower(r.term, NONE);
      }
      return;
    }
    default:
      return; // TimeoutNow to a candidate is ignored
  }
}

export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.Propose:
      r.dropProposal(r.lead === NONE ? `no leader at term ${r.term}` : `not the leader (the leader is ${r.lead})`);
      return;
    case MessageType.App:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleAppendEntries(r, m);
      return;
    case MessageType.Heartbeat:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleHeartbeat(r, m);
      return;
    case MessageType.Snap:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleSnapshot(r, m);
      return;
    case MessageType.TransferLeader:
      if (r.lead === NONE) {
        r.logger.info("raft: no leader; dropping leader transfer", { id: r.id, term: r.term });
        return;
      }
      r.send({ ...m, to: r.lead, from: m.from });
      return;
    case MessageType.TimeoutNow:
      // Leadership transfer: campaign at once, even inside a leader lease.
      r.logger.info("raft: received TimeoutNow; campaigning to take leadership", { id: r.id, term: r.term, from: m.from });
      if (r.hasUnappliedConfChange()) {
        // Typically the conf change that removed the old leader: campaign as soon as it is applied.
        r.campaignAfterApply = true;
        return;
      }
      r.hup("transfer");
      return;
    case MessageType.ReadIndex:
      if (r.lead === NONE) {
        r.logger.info("raft: no leader; dropping read index", { id: r.id, term: r.term });
        return;
      }
      r.send({ ...m, to: r.lead, from: r.id });
      return;
    case MessageType.ReadIndexResp:
      r.readStates.push({ index: m.index, requestCtx: m.context ?? new Uint8Array(0) });
      return;
    default:
      return;
  }
}

function handleAppendEntries(r: Raft, m: Message): void {
  if (m.index < r.raftLog.committed) {
    r.send(newMessage({ type: MessageType.AppResp, to: m.from, index: r.raftLog.committed }));
    return;
  }
  const lastNew = r.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (lastNew !== undefined) {
    r.send(newMessage({ type: MessageType.AppResp, to: m.from, index: lastNew }));
    return;
  }
  // Tell the leader where our log may match: the last index whose term is <= the one it tried.
  const hint = r.raftLog.findConflictByTerm(Math.min(m.index, r.raftLog.lastIndex()), m.logTerm);
  r.logger.debug("raft: rejected append", { id: r.id, index: m.index, logTerm: m.logTerm, hint });
  r.send(newMessage({ type: MessageType.AppResp, to: m.from, index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term }));
}

function handleHeartbeat(r: Raft, m: Message): void {
  // The leader never sends a commit beyond our match: one beyond our log means we lost entries we had
  // acknowledged (a wiped or replaced disk). The leader is told where our log ends, to replicate from there.
  const last = r.raftLog.lastIndex();
  const commit = Math.min(m.commit, last);
  r.raftLog.commitTo(commit);
  const ctx = m.context ? { context: m.context } : {};
  if (commit < m.commit) {
    r.logger.warn("raft: heartbeat commit beyond our log: entries we acknowledged are lost; telling the leader", { id: r.id, commit: m.commit, lastIndex: last });
    r.send(newMessage({ type: MessageType.HeartbeatResp, to: m.from, reject: true, rejectHint: last, logTerm: r.raftLog.lastTerm(), ...ctx }));
    return;
  }
  r.send(newMessage({ type: MessageType.HeartbeatResp, to: m.from, ...ctx }));
}

function handleSnapshot(r: Raft, m: Message): void {
  const s = m.snapshot!;
  if (restoreSnapshot(r, s)) {
    r.send(newMessage({ type: MessageType.AppResp, to: m.from, index: r.raftLog.lastIndex() }));
  } else {
    r.send(newMessage({ type: MessageType.AppResp, to: m.from, index: r.raftLog.committed }));
  }
}
