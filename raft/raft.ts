// The Raft state machine (etcd's raft.go): terms, roles, elections, replication bookkeeping. It does no
// I/O: it appends to an in-memory log, queues messages in `msgs`, and is told by the RawNode what the
// runtime has persisted and applied. The per-role message handlers live in step-leader.ts and
// step-follower.ts; snapshots and membership changes in membership.ts.
import { Changer, restoreConfig } from "./confchange";
import { silentLogger, validateConfig } from "./config";
import type { RaftConfig, RaftLogger } from "./config";
import { ProposalDroppedError, RaftError } from "./errors";
import { RaftLog } from "./log/raft-log";
import { payloadSize } from "./log/util";
import { CAMPAIGN_TRANSFER, newMessage, voteRespType } from "./messages";
import { VoteResult } from "./quorum";
import { switchToConfig } from "./membership";
import { ReadOnly } from "./read-only";
import { stepLeader } from "./step-leader";
import { stepCandidate, stepFollower } from "./step-follower";
import { Progress, ProgressState, ProgressTracker } from "./tracker";
import { CompactedError, EntryType, MessageType, NONE, StateRole } from "./types";
import type { Entry, HardState, Index, Message, NodeId, ReadState, SoftState, Term } from "./types";

export type CampaignType = "pre-election" | "election" | "transfer";

export class Raft {
  readonly id: NodeId;
  term: Term = 0;
  vote: NodeId = NONE;
  readStates: ReadState[] = [];
  readonly raftLog: RaftLog;
  readonly maxMsgSize: number;
  readonly maxUncommittedSize: number;
  trk: ProgressTracker;
  state: StateRole = StateRole.Follower;
  isLearner = false;
  msgs: Message[] = [];
  lead: NodeId = NONE;
  /** The node leadership is being transferred to, or NONE. */
  leadTransferee: NodeId = NONE;
  /** A leader proposes a conf change only when the previous one (at this index) has been applied. */
  pendingConfIndex: Index = 0;
  uncommittedSize = 0;
  readOnly: ReadOnly;
  /** Reads received before this leader committed an entry of its term; answered once it has. */
  pendingReadIndexMessages: Message[] = [];
  /** TimeoutNow arrived while a committed conf change was unapplied: campaign once it is applied. */
  campaignAfterApply = false;
  electionElapsed = 0;
  heartbeatElapsed = 0;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly heartbeatTimeout: number;
  readonly electionTimeout: number;
  randomizedElectionTimeout = 0;
  readonly random: () => number;
  readonly logger: RaftLogger;
  private readonly readOnlyOption;

  constructor(c: RaftConfig) {
    validateConfig(c);
    this.id = c.id;
    this.raftLog = new RaftLog(c.storage, c.maxCommittedSizePerReady);
    this.maxMsgSize = c.maxSizePerMsg;
    this.maxUncommittedSize = c.maxUncommittedEntriesSize ?? Number.MAX_SAFE_INTEGER;
    this.trk = new ProgressTracker(c.maxInflightMsgs);
    this.readOnlyOption = c.readOnlyOption ?? "safe";
    this.readOnly = new ReadOnly(this.readOnlyOption);
    this.checkQuorum = c.checkQuorum;
    this.preVote = c.preVote;
    this.heartbeatTimeout = c.heartbeatTick;
    this.electionTimeout = c.electionTick;
    this.random = c.random;
    this.logger = c.logger ?? silentLogger;

    const { hardState, confState } = c.storage.initialState();
    const restored = restoreConfig(new Changer(this.trk, this.raftLog.lastIndex()), confState);
    switchToConfig(this, restored);
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) this.loadState(hardState);
    if (c.applied) {
      if (c.applied > this.raftLog.lastIndex()) {
        throw new RaftError("INVALID_STATE", `raft: applied index ${c.applied} is beyond the last log index ${this.raftLog.lastIndex()}`);
      }
      // The state machine may have made its applied index durable before the hard state that carried the
      // commit (a runtime that applies while it persists): what was applied was committed.
      if (c.applied > this.raftLog.committed) this.raftLog.committed = c.applied;
      this.raftLog.appliedTo(c.applied);
    }
    this.becomeFollower(this.term, NONE);
    this.logger.info("raft: starting", {
      id: this.id,
      term: this.term,
      commit: this.raftLog.committed,
      applied: this.raftLog.applied,
      lastIndex: this.raftLog.lastIndex(),
      voters: this.trk.voterNodes(),
    });
  }

  softState(): SoftState {
    return { leader: this.lead, role: this.state };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  private loadState(hs: HardState): void {
    if (hs.commit > this.raftLog.lastIndex()) {
      throw new RaftError("INVALID_STATE", `raft: stored commit ${hs.commit} is beyond the last index ${this.raftLog.lastIndex()}`);
    }
    // A snapshot is committed by definition: a hard state written before it (a crash between the two) may lag.
    this.raftLog.committed = Math.max(hs.commit, this.raftLog.committed);
    this.term = hs.term;
    this.vote = hs.vote;
  }

  // ---- sending ----

  /** Queues a message. Vote traffic carries an explicit term; everything else the current term. */
  send(m: Message): void {
    if (m.from === NONE) m.from = this.id;
    const voteTraffic =
      m.type === MessageType.Vote || m.type === MessageType.VoteResp || m.type === MessageType.PreVote || m.type === MessageType.PreVoteResp;
    if (voteTraffic) {
      if (m.term === 0) throw new RaftError("INVALID_STATE", `raft: term should be set when sending ${m.type}`);
    } else if (m.type !== MessageType.Propose && m.type !== MessageType.ReadIndex) {
      m.term = this.term;
    }
    this.msgs.push(m);
  }

  sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /** Sends entries (or a snapshot) to `to` unless its progress is paused. Returns whether it sent. */
  maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    let prevTerm: Term | undefined;
    let ents: Entry[] | undefined;
    try {
      prevTerm = this.raftLog.term(pr.next - 1);
      ents = this.raftLog.entries(pr.next, this.maxMsgSize);
    } catch (err) {
      // The entries the follower needs are compacted: send a snapshot instead.
      if (!(err instanceof CompactedError)) throw err;
    }
    if (prevTerm === undefined || ents === undefined) {
      if (!pr.recentActive) return false;
      let snapshot;
      try {
        snapshot = this.raftLog.snapshot();
      } catch (err) {
        this.logger.debug("raft: snapshot temporarily unavailable", { to, err: String(err) });
        return false;
      }
      if (snapshot.metadata.index === 0) throw new RaftError("INVALID_STATE", "raft: need a non-empty snapshot");
      pr.becomeSnapshot(snapshot.metadata.index);
      this.logger.debug("raft: sending snapshot", { to, index: snapshot.metadata.index, progress: pr.toString() });
      this.send(newMessage({ type: MessageType.Snap, to, snapshot }));
      return true;
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send(newMessage({ type: MessageType.App, to, index: pr.next - 1, logTerm: prevTerm, entries: ents, commit: this.raftLog.committed }));
    if (ents.length > 0) {
      if (pr.state === ProgressState.Replicate) {
        const last = ents[ents.length - 1].index;
        pr.optimisticUpdate(last);
        pr.inflights.add(last);
      } else if (pr.state === ProgressState.Probe) {
        pr.probeSent = true;
      }
    }
    return true;
  }

  sendHeartbeat(to: NodeId, ctx: Uint8Array | undefined): void {
    // A follower may not have everything the leader committed: never tell it to commit past its match.
    const pr = this.trk.progress.get(to)!;
    const commit = Math.min(pr.match, this.raftLog.committed);
    this.send(newMessage({ type: MessageType.Heartbeat, to, commit, ...(ctx ? { context: ctx } : {}) }));
  }

  bcastAppend(): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendAppend(id);
    });
  }

  bcastHeartbeat(): void {
    this.bcastHeartbeatWithCtx(this.readOnly.lastPendingRequestCtx());
  }

  bcastHeartbeatWithCtx(ctx: Uint8Array | undefined): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendHeartbeat(id, ctx);
    });
  }

  sendTimeoutNow(to: NodeId): void {
    this.send(newMessage({ type: MessageType.TimeoutNow, to }));
  }

  // ---- the leader's log ----

  /** Commits what a quorum has acknowledged. */
  maybeCommit(): boolean {
    return this.raftLog.maybeCommit(this.trk.committed(), this.term);
  }

  /** Appends entries as leader. Its own progress moves only when the runtime reports them persisted. */
  appendEntry(es: Entry[]): boolean {
    const li = this.raftLog.lastIndex();
    const ents = es.map((e, i) => ({ ...e, term: this.term, index: li + 1 + i }));
    if (!this.increaseUncommittedSize(ents)) {
      this.logger.debug("raft: appending would exceed the uncommitted entry size limit; dropping proposal");
      return false;
    }
    this.raftLog.append(ents);
    return true;
  }

  /** The runtime persisted entries up to `index`: a leader now counts them for itself. */
  selfPersisted(index: Index): void {
    if (this.state !== StateRole.Leader) return;
    const pr = this.trk.progress.get(this.id);
    if (!pr || !pr.maybeUpdate(index)) return;
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    }
  }

  private increaseUncommittedSize(ents: Entry[]): boolean {
    const s = payloadSize(ents);
    if (this.uncommittedSize > 0 && s > 0 && this.uncommittedSize + s > this.maxUncommittedSize) return false;
    this.uncommittedSize += s;
    return true;
  }

  reduceUncommittedSize(ents: Entry[]): void {
    if (this.state !== StateRole.Leader) return;
    const s = payloadSize(ents);
    this.uncommittedSize = s > this.uncommittedSize ? 0 : this.uncommittedSize - s;
  }

  committedEntryInCurrentTerm(): boolean {
    return this.raftLog.termOrZero(this.raftLog.committed) === this.term;
  }

  releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const msgs = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of msgs) this.sendReadIndexResponse(m);
  }

  sendReadIndexResponse(m: Message): void {
    if (this.readOnly.option === "safe") {
      this.readOnly.addRequest(this.raftLog.committed, m);
      // The leader acknowledges its own read; a singleton answers here.
      const acks = this.readOnly.recvAck(this.id, m.context);
      if (acks && this.trk.voteResult(acks) === VoteResult.Won) {
        for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.req, rs.index);
        return;
      }
      this.bcastHeartbeatWithCtx(m.context);
      return;
    }
    this.respondToReadIndex(m, this.raftLog.committed);
  }

  /** A local read becomes a ReadState; a forwarded one is answered to the follower that asked. */
  respondToReadIndex(req: Message, readIndex: Index): void {
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index: readIndex, requestCtx: req.context ?? new Uint8Array(0) });
      return;
    }
    this.send(newMessage({ type: MessageType.ReadIndexResp, to: req.from, index: readIndex, ...(req.context ? { context: req.context } : {}) }));
  }

  // ---- roles ----

  private reset(term: Term): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.campaignAfterApply = false;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const last = this.raftLog.lastIndex();
    const persisted = this.raftLog.persistedLastIndex();
    this.trk.visit((id, pr) => {
      const fresh = new Progress(last + 1, this.trk.maxInflight, pr.isLearner);
      if (id === this.id) fresh.match = persisted;
      this.trk.progress.set(id, fresh);
    });
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly(this.readOnlyOption);
    this.pendingReadIndexMessages = [];
  }

  becomeFollower(term: Term, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.state = StateRole.Follower;
    this.logger.debug("raft: became follower", { id: this.id, term, lead });
  }

  becomeCandidate(): void {
    if (this.state === StateRole.Leader) throw new RaftError("INVALID_STATE", "raft: invalid transition [leader -> candidate]");
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = StateRole.Candidate;
    this.logger.debug("raft: became candidate", { id: this.id, term: this.term });
  }

  becomePreCandidate(): void {
    if (this.state === StateRole.Leader) throw new RaftError("INVALID_STATE", "raft: invalid transition [leader -> pre-candidate]");
    // A pre-candidate changes neither its term nor its vote.
    this.trk.resetVotes();
    this.lead = NONE;
    this.state = StateRole.PreCandidate;
    this.logger.debug("raft: became pre-candidate", { id: this.id, term: this.term });
  }

  becomeLeader(): void {
    if (this.state === StateRole.Follower) throw new RaftError("INVALID_STATE", "raft: invalid transition [follower -> leader]");
    this.reset(this.term);
    this.lead = this.id;
    this.state = StateRole.Leader;
    this.trk.progress.get(this.id)?.becomeReplicate();
    // Conservatively assume the log's tail holds an unapplied conf change.
    this.pendingConfIndex = this.raftLog.lastIndex();
    // The empty entry that lets this term commit; it does not count against the uncommitted limit.
    this.appendEntry([{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array(0) }]);
    this.logger.debug("raft: became leader", { id: this.id, term: this.term });
  }

  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.raftLog.hasPendingSnapshot();
  }

  hup(t: CampaignType): void {
    if (this.state === StateRole.Leader) return;
    if (!this.promotable()) {
      this.logger.warn("raft: is unpromotable and can not campaign", { id: this.id });
      return;
    }
    if (this.hasUnappliedConfChange()) {
      this.logger.warn("raft: cannot campaign: pending configuration changes to apply", { id: this.id, term: this.term });
      return;
    }
    this.campaign(t);
  }

  /** A committed conf change not yet applied: campaigning now would use a configuration about to change. */
  hasUnappliedConfChange(): boolean {
    if (this.raftLog.committed <= this.raftLog.applied) return false;
    const from = Math.max(this.raftLog.applied + 1, this.raftLog.firstIndex());
    const ents = this.raftLog.slice(from, this.raftLog.committed + 1, Number.MAX_SAFE_INTEGER);
    return ents.some((e) => e.type === EntryType.ConfChange);
  }

  campaign(t: CampaignType): void {
    if (!this.promotable()) return;
    let voteType: MessageType;
    let term: Term;
    if (t === "pre-election") {
      this.becomePreCandidate();
      voteType = MessageType.PreVote;
      term = this.term + 1; // a pre-vote asks about the next term without moving to it
    } else {
      this.becomeCandidate();
      voteType = MessageType.Vote;
      term = this.term;
    }
    if (this.poll(this.id, true) === VoteResult.Won) {
      // A single voter wins at once.
      if (t === "pre-election") this.campaign("election");
      else this.becomeLeader();
      return;
    }
    for (const id of this.trk.voterNodes()) {
      if (id === this.id) continue;
      this.send(
        newMessage({
          type: voteType,
          to: id,
          term,
          index: this.raftLog.lastIndex(),
          logTerm: this.raftLog.lastTerm(),
          ...(t === "transfer" ? { context: CAMPAIGN_TRANSFER } : {}),
        }),
      );
    }
  }

  /** Records a vote and returns the election's outcome so far. */
  poll(id: NodeId, granted: boolean): VoteResult {
    this.trk.recordVote(id, granted);
    return this.trk.tallyVotes().result;
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  resetRandomizedElectionTimeout(): void {
    const r = this.random();
    const jitter = Math.min(Math.floor((r >= 0 && r < 1 ? r : 0) * this.electionTimeout), this.electionTimeout - 1);
    this.randomizedElectionTimeout = this.electionTimeout + jitter;
  }

  pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  // ---- ticks ----

  tick(): void {
    if (this.state === StateRole.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.step(newMessage({ type: MessageType.Hup, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.checkQuorumActive();
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.state === StateRole.Leader && this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    if (this.state !== StateRole.Leader) return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(newMessage({ type: MessageType.Beat, from: this.id }));
    }
  }

  /** Check-quorum: a leader that has not heard from a quorum within an election timeout steps down. */
  private checkQuorumActive(): void {
    const self = this.trk.progress.get(this.id);
    if (self) self.recentActive = true;
    if (!this.trk.quorumActive()) {
      this.logger.warn("raft: stepped down to follower since quorum is not active", { id: this.id, term: this.term });
      this.becomeFollower(this.term, NONE);
    }
    this.trk.visit((id, pr) => {
      if (id !== this.id) pr.recentActive = false;
    });
  }

  // ---- stepping ----

  step(m: Message): void {
    if (m.term === 0) {
      // A local message (or a forwarded proposal / read).
    } else if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        const force = m.context !== undefined && Buffer.from(m.context).equals(Buffer.from(CAMPAIGN_TRANSFER));
        const inLease = this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        if (!force && inLease) {
          // We heard from a leader within the minimum election timeout: this candidate is disruptive.
          this.logger.debug("raft: ignoring vote request within lease", { id: this.id, from: m.from, type: m.type, term: m.term });
          return;
        }
      }
      if (m.type === MessageType.PreVote) {
        // Never change our term in response to a pre-vote.
      } else if (m.type === MessageType.PreVoteResp && !m.reject) {
        // The term we pre-campaigned for; we move to it when a quorum grants it.
      } else if (m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap) {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === MessageType.Heartbeat || m.type === MessageType.App)) {
        // A stale leader (or a node that was partitioned away): tell it our term so it steps down. Without
        // this, a node that pre-votes forever at a higher term could never rejoin.
        this.send(newMessage({ type: MessageType.AppResp, to: m.from }));
      } else if (m.type === MessageType.PreVote) {
        this.send(newMessage({ type: MessageType.PreVoteResp, to: m.from, term: this.term, reject: true }));
      }
      return;
    }

    switch (m.type) {
      case MessageType.Hup:
        this.hup(this.preVote ? "pre-election" : "election");
        return;
      case MessageType.Vote:
      case MessageType.PreVote: {
        const canVote =
          this.vote === m.from ||
          (this.vote === NONE && this.lead === NONE) ||
          (m.type === MessageType.PreVote && m.term > this.term);
        if (canVote && this.raftLog.isUpToDate(m.index, m.logTerm)) {
          this.send(newMessage({ type: voteRespType(m.type), to: m.from, term: m.term }));
          if (m.type === MessageType.Vote) {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.send(newMessage({ type: voteRespType(m.type), to: m.from, term: this.term, reject: true }));
        }
        return;
      }
      default:
        if (this.state === StateRole.Leader) stepLeader(this, m);
        else if (this.state === StateRole.Follower) stepFollower(this, m);
        else stepCandidate(this, m);
    }
  }

  dropProposal(reason: string): never {
    throw new ProposalDroppedError(reason);
  }
}
