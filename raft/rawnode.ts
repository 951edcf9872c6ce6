// The public face of the core (etcd's rawnode.go): a synchronous step machine. Inputs: tick(), step() of peer
// messages, and local requests (propose, readIndex, campaign, transferLeader, applyConfChange). Output: a
// Ready batch of work for the runtime, acknowledged with advance(). No timers, I/O or randomness of its own.
//
// One Ready at a time: call advance(rd) before the next ready(). Steps and ticks between ready() and
// advance() are fine; their effects appear in the next Ready.
import { checkConfChange, encodeConfChange } from "./confchange";
import type { RaftConfig } from "./config";
import { InvalidMessageError, RaftError } from "./errors";
import { MEMBER_REQUEST_TYPES, newMessage, RESPONSE_TYPES } from "./messages";
import { appliedTo, applyConfChange } from "./membership";
import { Raft } from "./raft";
import type { ProgressState } from "./tracker";
import { EntryType, MessageType, NONE, StateRole } from "./types";
import type { ConfChange, ConfState, HardState, Index, Message, NodeId, Ready, SoftState, Term } from "./types";
import { validatePeerMessage } from "./validate";

export interface ProgressStatus {
  match: Index;
  next: Index;
  state: ProgressState;
  recentActive: boolean;
  isLearner: boolean;
  inflight: number;
}

export interface Status {
  id: NodeId;
  role: StateRole;
  term: Term;
  vote: NodeId;
  leader: NodeId;
  commit: Index;
  applied: Index;
  lastIndex: Index;
  leadTransferee: NodeId;
  /** Only on the leader. */
  progress?: Record<NodeId, ProgressStatus>;
  confState: ConfState;
}

export class RawNode {
  readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  private outstanding: Ready | undefined;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  /** One logical clock tick: drives elections (followers) and heartbeats (leaders). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (with a pre-vote first if configured). */
  campaign(): void {
    this.raft.step(newMessage({ type: MessageType.Hup, from: this.raft.id }));
  }

  /** Proposes a command. Throws ProposalDroppedError unless this node is a leader that accepts it. */
  propose(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) throw new RaftError("INVALID_STATE", "raft: propose needs bytes");
    this.raft.step(
      newMessage({ type: MessageType.Propose, from: this.raft.id, entries: [{ term: 0, index: 0, type: EntryType.Normal, data }] }),
    );
  }

  /** Proposes a membership change; the runtime calls applyConfChange when the entry is applied. */
  proposeConfChange(cc: ConfChange): void {
    checkConfChange(cc);
    const data = encodeConfChange(cc);
    this.raft.step(
      newMessage({ type: MessageType.Propose, from: this.raft.id, entries: [{ term: 0, index: 0, type: EntryType.ConfChange, data }] }),
    );
  }

  /**
   * A message from a peer. Refuses (with an InvalidMessageError, nothing changed) malformed messages,
   * local-only types, and answers or member-only requests (TransferLeader, ReadIndex, Propose) from a node
   * outside the configuration. Appends, heartbeats, snapshots, TimeoutNow, votes and ReadIndexResp are taken
   * from any sender: a newer leader or candidate may not be in the configuration this node has applied yet.
   * (Refusing peers of another cluster, or unknown addresses, is the transport's job.)
   */
  step(m: Message): void {
    validatePeerMessage(m, this.raft.id);
    if ((RESPONSE_TYPES.has(m.type) || MEMBER_REQUEST_TYPES.has(m.type)) && !this.isMemberOrUnconfigured(m.from)) {
      throw new InvalidMessageError(`${m.type} from ${m.from}, which is not a member of the configuration`);
    }
    // The core may forward or keep the message: give it a copy the caller cannot change under it.
    this.raft.step({ ...m, entries: m.entries.slice() });
  }

  private isMemberOrUnconfigured(id: NodeId): boolean {
    return this.raft.trk.progress.has(id) || this.raft.trk.progress.size === 0;
  }

  /**
   * Asks for a linearizable read. A ReadState with the same context appears in a later Ready; the read may be
   * served once the state machine has applied its index. The context must be unique among pending reads.
   */
  readIndex(ctx: Uint8Array): void {
    if (!(ctx instanceof Uint8Array) || ctx.length === 0) throw new RaftError("INVALID_STATE", "raft: readIndex needs a non-empty context");
    this.raft.step(newMessage({ type: MessageType.ReadIndex, context: ctx }));
  }

  /** Asks the leader to hand leadership to `to` (forwarded to the leader when called on a follower). */
  transferLeader(to: NodeId): void {
    this.raft.step(newMessage({ type: MessageType.TransferLeader, from: to }));
  }

  /** Applies a committed membership change; returns the new membership (to store with snapshots). */
  applyConfChange(cc: ConfChange): ConfState {
    checkConfChange(cc);
    return applyConfChange(this.raft, cc);
  }

  /** Whether ready() has work; false while a Ready is outstanding (not yet advanced). */
  hasReady(): boolean {
    if (this.outstanding) return false;
    const r = this.raft;
    if (!sameSoftState(r.softState(), this.prevSoftState)) return true;
    const hs = r.hardState();
    if (!isEmptyHardState(hs) && !sameHardState(hs, this.prevHardState)) return true;
    if (r.raftLog.hasPendingSnapshot()) return true;
    if (r.msgs.length > 0 || r.raftLog.unstable.entries.length > 0 || r.raftLog.hasNextEnts()) return true;
    return r.readStates.length > 0;
  }

  ready(): Ready {
    if (this.outstanding) throw new RaftError("INVALID_STATE", "raft: ready() called again before advance() of the previous Ready");
    const r = this.raft;
    const rd: Ready = {
      readStates: r.readStates,
      entries: r.raftLog.unstableEntries(),
      committedEntries: r.raftLog.nextEnts(),
      messages: r.msgs,
      mustSync: false,
    };
    const ss = r.softState();
    if (!sameSoftState(ss, this.prevSoftState)) {
      rd.softState = ss;
      this.prevSoftState = ss;
    }
    const hs = r.hardState();
    if (!sameHardState(hs, this.prevHardState)) {
      rd.hardState = hs;
      // Only a term, vote or new entries must reach disk before messages go out; a commit index may lag.
      rd.mustSync = hs.term !== this.prevHardState.term || hs.vote !== this.prevHardState.vote;
      this.prevHardState = hs;
    }
    if (rd.entries.length > 0) rd.mustSync = true;
    if (r.raftLog.unstable.snapshot) {
      rd.snapshot = r.raftLog.unstable.snapshot;
      rd.mustSync = true;
    }
    if (rd.committedEntries.length > 0) r.raftLog.applying = rd.committedEntries[rd.committedEntries.length - 1].index;
    r.msgs = [];
    r.readStates = [];
    this.outstanding = rd;
    return rd;
  }

  /** The runtime persisted rd's entries, hard state and snapshot, sent its messages and applied its entries. */
  advance(rd: Ready): void {
    if (rd !== this.outstanding) throw new RaftError("INVALID_STATE", "raft: advance() of a Ready that is not the outstanding one");
    this.outstanding = undefined;
    const r = this.raft;
    if (rd.snapshot) r.raftLog.stableSnapTo(rd.snapshot.metadata.index);
    let persisted = rd.snapshot ? rd.snapshot.metadata.index : 0;
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1];
      r.raftLog.stableTo(last.index, last.term);
      // Persisted entries count for a leader only if they are still part of its log.
      if (r.raftLog.matchTerm(last.index, last.term)) persisted = last.index;
    }
    if (persisted > 0) r.selfPersisted(persisted);
    if (rd.committedEntries.length > 0) {
      appliedTo(r, rd.committedEntries[rd.committedEntries.length - 1].index);
      r.reduceUncommittedSize(rd.committedEntries);
    } else if (rd.snapshot && rd.snapshot.metadata.index > r.raftLog.applied) {
      // Installing a snapshot applies everything up to it.
      appliedTo(r, rd.snapshot.metadata.index);
    }
  }

  /** The transport could not reach `id`: a leader stops pipelining to it. */
  reportUnreachable(id: NodeId): void {
    this.raft.step(newMessage({ type: MessageType.Unreachable, from: id }));
  }

  /** The runtime finished (ok) or gave up (!ok) sending a snapshot to `id`. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step(newMessage({ type: MessageType.SnapStatus, from: id, reject: !ok }));
  }

  status(): Status {
    const r = this.raft;
    const s: Status = {
      id: r.id,
      role: r.state,
      term: r.term,
      vote: r.vote,
      leader: r.lead,
      commit: r.raftLog.committed,
      applied: r.raftLog.applied,
      lastIndex: r.raftLog.lastIndex(),
      leadTransferee: r.leadTransferee,
      confState: r.trk.confState(),
    };
    if (r.state === StateRole.Leader) {
      s.progress = {};
      r.trk.visit((id, pr) => {
        s.progress![id] = {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          recentActive: pr.recentActive,
          isLearner: pr.isLearner,
          inflight: pr.inflights.count,
        };
      });
    }
    return s;
  }
}

const sameSoftState = (a: SoftState, b: SoftState) => a.leader === b.leader && a.role === b.role;
const sameHardState = (a: HardState, b: HardState) => a.term === b.term && a.vote === b.vote && a.commit === b.commit;
const isEmptyHardState = (hs: HardState) => hs.term === 0 && hs.vote === NONE && hs.commit === 0;
