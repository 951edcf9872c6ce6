// The Raft runtime: owns a RawNode and does its I/O. One loop drives the core:
//
//   inputs (ticks, peer messages, proposals, reads) ──► RawNode ──► Ready
//   Ready: leader? send now │ persist (one write + fdatasync) │ follower? send now │ restore snapshot
//          │ apply committed entries │ answer reads │ advance
//
// Everything that arrives while a Ready is being persisted waits for the next one, so concurrent proposals
// are committed in groups (one fsync and one append message per group). A leader sends before it persists
// (the Ready contract allows it: its own log counts only through advance()), so its fsync overlaps the
// followers'.
//
// Proposals on a follower travel to the leader as Propose messages on the Raft stream (batched like
// everything else) and resolve when the follower applies them. A proposal resolves when its entry is applied, with the state machine's result; it rejects with
// ProposalLostError when another entry was committed at its index (safe to retry), NotLeaderError when no
// leader is known in time, and ProposalTimeoutError when its fate is unknown.
import { randomBytes } from "node:crypto";
import type { Server } from "@grpc/grpc-js";
import { status as grpcStatus } from "@grpc/grpc-js";
import { decodeConfChange } from "../confchange";
import { ProposalDroppedError } from "../errors";
import { RawNode, Status } from "../rawnode";
import { DurableLog } from "../storage";
import { GrpcTransport } from "../transport";
import { ConfChange, ConfChangeType, ConfState, Entry, EntryType, Message, MessageType, NodeId, NONE, Ready, Snapshot, StateRole } from "../types";
import { ProposalIds, unwrapCommand, wrapCommand } from "./envelope";
import { NodeFailedError, NodeStoppedError, NotLeaderError, ProposalLostError, ProposalTimeoutError, RaftNodeError } from "./errors";
import type { Logger } from "./logger";
import { stderrLogger } from "./logger";
import type { StateMachine } from "./state-machine";

export interface RaftNodeOptions {
  id: NodeId;
  /**
   * Peer addresses (HOST:PORT) of the members. On the first start of an empty data dir these are the voters
   * of the new cluster; later the membership comes from the log and this only supplies addresses.
   */
  members: Record<NodeId, string>;
  /**
   * This member joins an existing cluster (after the leader's addLearner/addVoter): it starts with no
   * membership of its own and learns it from the leader's log or snapshot.
   */
  join?: boolean;
  dataDir: string;
  cluster: string;
  /** The shared cluster secret (TARN_CLUSTER_SECRET). */
  secret: string;
  stateMachine: StateMachine;
  /** Add the peer service to this server (its owner binds it), or bind `listen` for a server of our own. */
  server?: Server;
  listen?: string;
  /** Milliseconds per logical tick (default 100). */
  tickMs?: number;
  /** Ticks before a follower without a leader campaigns (default 10), and between heartbeats (default 1). */
  electionTicks?: number;
  heartbeatTicks?: number;
  maxSizePerMsg?: number;
  maxInflightMsgs?: number;
  /**
   * Take a snapshot and compact the log once this many entries are applied past the last one (default 10000)
   * and, when the state machine tells snapshot sizes (snapshotBytes), once those entries hold as many bytes
   * as the last snapshot, or SNAPSHOT_LOG_BYTES_CAP if that is less: rewriting a state for a smaller log
   * costs more than the log it saves. Writing is then at most one byte of snapshot per byte of log for a
   * state up to the cap, and the log (which stays in memory) at most the state's size or the cap. A follower
   * waits for FOLLOWER_SNAPSHOT_LOG_RATIO times as many bytes (up to the same cap): its snapshots only bound
   * its own log, while the leader's also serve the members that need one, so a three-member group rewrites
   * its state half as often in all. At 16 times this many entries a snapshot is taken whatever the sizes,
   * bounding replay.
   */
  snapshotEntries?: number;
  /** How long propose(), readIndex() and membership calls wait before rejecting (default 10 s). */
  timeoutMs?: number;
  logger?: Logger;
  random?: () => number;
}

/** A caller waiting for its proposal. No timer of its own: the ticker sweeps expired ones (expireProposals). */
interface ProposalWaiter {
  resolve(result: Uint8Array): void;
  reject(err: Error): void;
  /** Date.now() after which it rejects with ProposalTimeoutError. */
  deadline: number;
  forwardedTo?: NodeId;
}

interface ReadWaiter {
  ctx: Uint8Array;
  index?: number;
  resolve(): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export interface NodeStatus extends Status {
  /** Index up to which this node's log is on disk. */
  persistedIndex: number;
  leaderAddress?: string;
  /** The state machine is writing a snapshot (off the loop: applying goes on meanwhile). */
  snapshotInProgress: boolean;
  /** Snapshots that failed since the start (each retried later; the node keeps running). */
  snapshotFailures: number;
}

/**
 * Log bytes since the last snapshot at which one is due however large the state is (see snapshotEntries): the
 * log since the last snapshot is kept in memory, so this bounds it for large states (beyond the cap a state
 * is rewritten for less log than its size: 8 bytes of snapshot per byte of log for a 1 GiB state).
 */
const SNAPSHOT_LOG_BYTES_CAP = 128 * 1024 * 1024;

/** How many times the last snapshot's bytes of log a follower waits for before its next (see snapshotEntries). */
const FOLLOWER_SNAPSHOT_LOG_RATIO = 4;

/** After a failed snapshot, the next attempt waits 1 s, doubling per failure in a row up to this. */
const MAX_SNAPSHOT_RETRY_MS = 30_000;

export class RaftNode {
  private readonly raw: RawNode;
  private readonly transport: GrpcTransport;
  private readonly sm: StateMachine;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly snapshotEntries: number;
  /** Bytes of commands applied since the newest snapshot began, and that snapshot's size when known. */
  private appliedBytesSinceSnapshot = 0;
  private lastSnapshotBytes: number | undefined;
  private readonly ids = new ProposalIds();
  private readonly addresses = new Map<NodeId, string>();

  // inputs gathered between Readies
  private inbox: Message[] = [];
  private ticks = 0;
  private unreachable = new Set<NodeId>();
  private proposals: Uint8Array[] = [];
  private confChanges: ConfChange[] = [];
  private readRequests: Uint8Array[] = [];
  private transfers: NodeId[] = [];
  /** campaign() was called: start an election on the loop (Hup is local-only: step() refuses it). */
  private campaignWanted = false;
  /** Enveloped proposals of this follower, for the leader. */
  private forwards: Uint8Array[] = [];

  // waiters
  private readonly pending = new Map<number, ProposalWaiter>();
  /** Index → proposal id, for our own entries seen in a Ready: a different entry applied there means lost. */
  private readonly ourIndexes = new Map<number, number>();
  private readonly reads = new Map<string, ReadWaiter>();
  private readonly leaderWatchers = new Set<() => void>();
  private confWaiter?: { resolve(cs: ConfState): void; reject(err: Error): void; timer: NodeJS.Timeout };

  private role: StateRole = StateRole.Follower;
  private leader: NodeId = NONE;
  private applied: number;
  /** Entries up to this index were applied to the state machine before a restart: skip them. */
  private readonly smApplied: number;
  private confState: ConfState;
  private stopped = false;
  private snapshotWanted = false;
  /** The snapshot the state machine is writing, if any; `taken` is set once it returned its reference. */
  private snapshotting?: { done: Promise<void>; taken?: Snapshot };
  private snapshotFailures = 0;
  private failuresInARow = 0;
  private snapshotRetryAt = 0;
  private failure?: Error;
  private dirty = false;
  private wake?: () => void;
  private ticker?: NodeJS.Timeout;
  private loopDone?: Promise<void>;

  private constructor(
    private readonly opts: RaftNodeOptions,
    private readonly storage: DurableLog,
  ) {
    this.sm = opts.stateMachine;
    this.logger = opts.logger ?? stderrLogger;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.snapshotEntries = opts.snapshotEntries ?? 10_000;
    for (const [id, address] of Object.entries(opts.members)) this.addresses.set(id, address);
    const snap = storage.snapshot();
    this.applied = snap.metadata.index;
    this.smApplied = opts.stateMachine.appliedIndex?.() ?? 0;
    // After a restart the next snapshot is paced by the last one's size as before (the log since it is
    // counted again as the core re-delivers it, see applyEntries).
    if (snap.reference) this.lastSnapshotBytes = opts.stateMachine.snapshotBytes?.(snap.reference);
    this.confState = storage.initialState().confState;
    // The core re-delivers every committed entry after the snapshot, so that membership changes are applied
    // to it again; the runtime skips those the state machine already has (smApplied).
    this.raw = new RawNode({
      id: opts.id,
      electionTick: opts.electionTicks ?? 10,
      heartbeatTick: opts.heartbeatTicks ?? 1,
      storage,
      applied: snap.metadata.index,
      maxSizePerMsg: opts.maxSizePerMsg ?? 1024 * 1024,
      maxInflightMsgs: opts.maxInflightMsgs ?? 256,
      preVote: true,
      checkQuorum: true,
      random: opts.random ?? Math.random,
      logger: { debug: () => {}, info: (m, f) => this.logger.info(m, f as Record<string, unknown>), warn: (m, f) => this.logger.warn(m, f as Record<string, unknown>) },
    });
    this.transport = new GrpcTransport(
      { self: opts.id, cluster: opts.cluster, secret: opts.secret, peers: opts.members, server: opts.server, listen: opts.listen, logger: this.logger },
      {
        onMessages: (_from, messages) => {
          for (const m of messages) {
            if (m.type === MessageType.Propose && m.reject) this.onForwardRefused(m);
            else this.inbox.push(m);
          }
          this.signal();
        },
        onUnreachable: (peer) => {
          this.unreachable.add(peer);
          this.signal();
        },
        onPropose: (_from, data) => this.proposeHere(data),
        readSnapshot: async (_index, reference) => {
          if (!this.sm.readSnapshot) throw new RaftNodeError("FAILED_PRECONDITION", "this state machine serves no snapshot bytes");
          return this.sm.readSnapshot(reference);
        },
      },
    );
    // The membership on disk (a snapshot's, or one restored at start) may name members the options do not.
    this.syncPeers(this.confState);
  }

  /** Opens the durable log in `dataDir`, restores the state machine from its snapshot if needed, and starts. */
  static async start(opts: RaftNodeOptions): Promise<RaftNode> {
    const voters = opts.join ? [] : Object.keys(opts.members).sort();
    const storage = await DurableLog.open({
      dir: opts.dataDir,
      initialConfState: { voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
      logger: opts.logger,
    });
    let node: RaftNode;
    try {
      const snap = storage.snapshot();
      const smApplied = opts.stateMachine.appliedIndex?.() ?? 0;
      if (snap.metadata.index > smApplied) {
        await opts.stateMachine.restore(snap, () => Promise.reject(new RaftNodeError("UNAVAILABLE", "no leader to fetch a snapshot from at start-up")));
      }
      node = new RaftNode(opts, storage);
    } catch (err) {
      // e.g. the snapshot is corrupt or missing: the log's files must not stay open behind a failed start
      await storage.close();
      throw err;
    }
    try {
      await node.transport.start();
    } catch (err) {
      // e.g. the listen address is taken: leave nothing open behind
      await node.transport.stop();
      await storage.close();
      throw err;
    }
    node.ticker = setInterval(() => {
      node.ticks++;
      node.expireProposals();
      node.signal();
    }, opts.tickMs ?? 100);
    node.loopDone = node.loop();
    return node;
  }

  get id(): NodeId {
    return this.opts.id;
  }

  /** Proposes a command and resolves with the state machine's result once it is applied. */
  async propose(command: Uint8Array): Promise<Uint8Array> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      this.checkRunning();
      if (this.role === StateRole.Leader) return this.proposeHere(command);
      if (this.leader !== NONE && this.leader !== this.opts.id) return this.proposeViaLeader(command, deadline);
      if (!(await this.waitForLeader(deadline))) throw new NotLeaderError(`no leader elected within ${this.timeoutMs} ms`);
    }
  }

  /** Resolves once this node's state machine reflects every write committed before the call (ReadIndex). */
  async readIndex(): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    while (this.leader === NONE) {
      this.checkRunning();
      if (!(await this.waitForLeader(deadline))) throw new NotLeaderError(`no leader elected within ${this.timeoutMs} ms`);
    }
    this.checkRunning();
    const ctx = randomBytes(12);
    return new Promise<void>((resolve, reject) => {
      const key = ctx.toString("hex");
      const timer = setTimeout(() => {
        this.reads.delete(key);
        reject(new ProposalTimeoutError("read index", this.timeoutMs));
      }, Math.max(1, deadline - Date.now()));
      this.reads.set(key, { ctx, resolve, reject, timer });
      this.readRequests.push(ctx);
      this.signal();
    });
  }

  /** Adds a voter (or promotes a learner). Only on the leader; resolves with the new membership once applied. */
  addVoter(id: NodeId, address: string): Promise<ConfState> {
    return this.changeMembership({ changes: [{ type: ConfChangeType.AddVoter, node: id, address }] });
  }

  /** Adds a learner: it receives the log but does not vote until promoted with addVoter. */
  addLearner(id: NodeId, address: string): Promise<ConfState> {
    return this.changeMembership({ changes: [{ type: ConfChangeType.AddLearner, node: id, address }] });
  }

  removeMember(id: NodeId): Promise<ConfState> {
    return this.changeMembership({ changes: [{ type: ConfChangeType.RemoveNode, node: id }] });
  }

  /** Proposes any membership change (several changes use joint consensus). Only on the leader. */
  changeMembership(cc: ConfChange): Promise<ConfState> {
    this.checkRunning();
    if (this.role !== StateRole.Leader) return Promise.reject(this.notLeader("membership changes"));
    if (this.confWaiter) return Promise.reject(new RaftNodeError("FAILED_PRECONDITION", "another membership change is in progress"));
    return new Promise<ConfState>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.confWaiter = undefined;
        reject(new ProposalTimeoutError("membership change", this.timeoutMs));
      }, this.timeoutMs);
      this.confWaiter = { resolve, reject, timer };
      this.confChanges.push(cc);
      this.signal();
    });
  }

  /** Hands leadership to `to`; resolves when it is the leader. */
  async transferLeadership(to: NodeId): Promise<void> {
    this.checkRunning();
    const deadline = Date.now() + this.timeoutMs;
    this.transfers.push(to);
    this.signal();
    while (this.leader !== to) {
      this.checkRunning();
      if (!(await this.waitForLeader(deadline, true))) throw new ProposalTimeoutError(`leadership transfer to ${to}`, this.timeoutMs);
    }
  }

  /** Starts an election now (e.g. to pick a leader quickly in tests). */
  campaign(): void {
    this.checkRunning();
    this.campaignWanted = true;
    this.signal();
  }

  status(): NodeStatus {
    const s = this.raw.status();
    return {
      ...s,
      applied: this.applied,
      persistedIndex: this.storage.lastIndex(),
      leaderAddress: this.addresses.get(s.leader),
      snapshotInProgress: this.snapshotting !== undefined && this.snapshotting.taken === undefined,
      snapshotFailures: this.snapshotFailures,
    };
  }

  isLeader(): boolean {
    return this.role === StateRole.Leader;
  }

  leaderId(): NodeId {
    return this.leader;
  }

  addressOf(id: NodeId): string | undefined {
    return this.addresses.get(id);
  }

  /** The error that stopped the node (a full disk, a failed fsync, a corrupt entry), if any. */
  failedWith(): Error | undefined {
    return this.failure;
  }

  /** Stops ticking, finishes the Ready in progress, rejects everything pending, closes log and transport. */
  async stop(): Promise<void> {
    if (this.stopped && !this.loopDone) return;
    this.stopped = true;
    clearInterval(this.ticker);
    this.signal();
    await this.loopDone;
    this.loopDone = undefined;
    // The state machine must not be writing a snapshot when its owner closes it after this returns.
    await this.snapshotting?.done;
    this.rejectAll(new NodeStoppedError());
    await this.transport.stop();
    await this.storage.close();
  }

  // ---- the loop -----------------------------------------------------------------------------------------

  private signal(): void {
    this.dirty = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private async loop(): Promise<void> {
    try {
      while (!this.stopped) {
        // I/O callbacks of one event-loop turn run one after another, with microtasks in between: without
        // this the loop would wake after the first (one proposal, one peer message) and leave the rest to
        // another Ready. Waiting for the check phase lets one Ready carry everything that arrived in the turn.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.stopped) break;
        this.drainInputs();
        if (this.raw.hasReady()) {
          const rd = this.raw.ready();
          await this.handleReady(rd);
          this.raw.advance(rd);
          await this.maybeSnapshot();
          continue;
        }
        await this.maybeSnapshot(); // a finished snapshot to record, or a retry that is due
        if (!this.dirty) await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private drainInputs(): void {
    this.dirty = false;
    for (; this.ticks > 0; this.ticks--) this.raw.tick();
    const inbox = this.inbox;
    this.inbox = [];
    for (const m of inbox) {
      // The envelopes as forwarded, before the core sees (and may adopt) the entries.
      const forwarded = m.type === MessageType.Propose ? m.entries.map((e) => e.data) : undefined;
      try {
        this.raw.step(m);
      } catch (err) {
        if (err instanceof ProposalDroppedError && forwarded) {
          // Not appended (no leader here, or a leadership transfer under way): tell the sender at once, so
          // its callers retry instead of waiting out their timeout.
          this.refuseForwarded(m.from, forwarded);
        } else {
          this.logger.warn(`dropped a ${m.type} message from ${m.from}: ${(err as Error).message}`);
        }
      }
    }
    for (const peer of this.unreachable) this.raw.reportUnreachable(peer);
    this.unreachable.clear();
    if (this.forwards.length > 0) {
      if (this.role === StateRole.Leader) {
        this.proposals.push(...this.forwards); // became the leader meanwhile: propose them here
        this.forwards = [];
      } else if (this.leader !== NONE) {
        const entries = this.forwards.map((data) => ({ term: 0, index: 0, type: EntryType.Normal, data }));
        this.forwards = [];
        this.transport.send([{ type: MessageType.Propose, from: this.opts.id, to: this.leader, term: 0, index: 0, logTerm: 0, entries, commit: 0, reject: false, rejectHint: 0 }]);
        this.transport.flush();
      } // else: no leader yet; they wait (or time out)
    }
    const proposals = this.proposals;
    this.proposals = [];
    if (proposals.length > 0) {
      // All proposals gathered since the last Ready enter the core as one Propose message: one append to the
      // log and one App message per follower, rather than one per proposal.
      const entries = proposals.map((data) => ({ term: 0, index: 0, type: EntryType.Normal, data }));
      try {
        this.raw.step({ type: MessageType.Propose, from: this.opts.id, to: this.opts.id, term: 0, index: 0, logTerm: 0, entries, commit: 0, reject: false, rejectHint: 0 });
      } catch (err) {
        const refusal = err instanceof ProposalDroppedError ? this.notLeader(err.message, this.leaderHint()) : (err as Error);
        for (const data of proposals) {
          const id = unwrapCommand(data).id;
          const waiter = this.pending.get(id);
          this.pending.delete(id);
          waiter?.reject(refusal);
        }
      }
    }
    for (const cc of this.confChanges.splice(0)) {
      try {
        this.raw.proposeConfChange(cc);
      } catch (err) {
        this.settleConf(undefined, err as Error);
      }
    }
    for (const ctx of this.readRequests.splice(0)) this.raw.readIndex(ctx);
    for (const to of this.transfers.splice(0)) this.raw.transferLeader(to);
    if (this.campaignWanted) {
      this.campaignWanted = false;
      this.raw.campaign();
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (rd.softState) this.onSoftState(rd.softState.role, rd.softState.leader);
    for (const e of rd.entries) this.noteOurEntry(e);
    const leaderSendsFirst = this.role === StateRole.Leader;
    if (leaderSendsFirst) {
      this.sendMessages(rd.messages);
      this.transport.flush(); // on the wire now, while this member persists
    }
    // Committed entries that were on disk before this Ready (and that its entries do not replace) are applied
    // while the new entries are persisted; others wait for the write.
    const committedLast = rd.committedEntries.length > 0 ? rd.committedEntries[rd.committedEntries.length - 1].index : 0;
    const applyEarly =
      !rd.snapshot && committedLast > 0 && committedLast <= this.storage.lastIndex() && (rd.entries.length === 0 || rd.entries[0].index > committedLast);
    const save = this.storage.save(rd.entries, rd.hardState, rd.snapshot, rd.mustSync).catch((err: Error) => {
      throw new NodeFailedError(err);
    });
    // Settles with the apply's error instead of rejecting, so that it is never left unobserved meanwhile.
    const applying = applyEarly ? this.applyEntries(rd.committedEntries).then(() => undefined, (err: Error) => err) : undefined;
    try {
      await save;
    } catch (err) {
      await applying; // a failed save fails the node, after the apply under way has finished
      throw err;
    }
    if (!leaderSendsFirst) {
      // A follower acknowledges as soon as the entries are durable, without waiting for the apply that runs
      // beside the write: the acknowledgement speaks of the log only, and every commit round would otherwise
      // also wait for this member's state machine.
      this.sendMessages(rd.messages);
      this.transport.flush();
    }
    const applyFailure = await applying;
    if (applyFailure) throw applyFailure;
    if (rd.snapshot) await this.installSnapshot(rd.snapshot);
    for (const rs of rd.readStates) {
      const waiter = this.reads.get(Buffer.from(rs.requestCtx).toString("hex"));
      if (waiter) waiter.index = rs.index;
    }
    if (!applyEarly && rd.committedEntries.length > 0) await this.applyEntries(rd.committedEntries);
    this.answerReads();
  }

  private onSoftState(role: StateRole, leader: NodeId): void {
    const lostLeadership = this.role === StateRole.Leader && role !== StateRole.Leader;
    this.role = role;
    if (leader !== this.leader) this.logger.info(`leader is now '${leader || "none"}'`, { id: this.opts.id });
    this.leader = leader;
    if (lostLeadership) this.settleConf(undefined, this.notLeader("membership change interrupted: leadership lost"));
    for (const watcher of [...this.leaderWatchers]) watcher();
  }

  private noteOurEntry(e: Entry): void {
    if (e.type !== EntryType.Normal || e.data.length === 0 || this.pending.size === 0) return;
    const { id } = unwrapCommand(e.data);
    if (this.pending.has(id)) this.ourIndexes.set(e.index, id);
  }

  private sendMessages(messages: Message[]): void {
    if (messages.length === 0) return;
    const failed = this.transport.send(messages);
    for (const m of messages) {
      // A snapshot message carries a reference only: once it is handed to the stream, the follower fetches it.
      if (m.type === MessageType.Snap) this.raw.reportSnapshot(m.to, !failed.has(m.to));
    }
  }

  private async installSnapshot(snapshot: Snapshot): Promise<void> {
    const leader = this.leader;
    await this.sm.restore(snapshot, () => this.transport.fetchSnapshot(leader, snapshot.metadata.index, snapshot.reference));
    this.confState = snapshot.metadata.confState;
    this.syncPeers(this.confState);
    this.applied = snapshot.metadata.index;
    this.logger.info(`installed snapshot at index ${snapshot.metadata.index}`, { id: this.opts.id });
  }

  /** Applies committed entries: commands in batches to the state machine, membership changes to the core. */
  private async applyEntries(entries: Entry[]): Promise<void> {
    let batch: Entry[] = [];
    let ids: number[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const results = await this.sm.apply(batch);
      for (let i = 0; i < batch.length; i++) this.settleProposal(batch[i].index, ids[i], results[i]);
      batch = [];
      ids = [];
    };
    for (const e of entries) {
      if (e.type === EntryType.ConfChange) {
        await flush();
        this.applyConfChange(e);
      } else if (e.data.length === 0) {
        this.settleProposal(e.index, -1, undefined); // a new leader's no-op
      } else {
        const { id, command } = unwrapCommand(e.data);
        // Also the entries re-delivered after a restart that the state machine has already: they are log
        // since the last snapshot all the same.
        this.appliedBytesSinceSnapshot += command.length;
        if (e.index <= this.smApplied) {
          this.settleProposal(e.index, id, undefined);
        } else {
          batch.push({ ...e, data: command });
          ids.push(id);
        }
      }
      this.applied = e.index;
    }
    await flush();
  }

  private settleProposal(index: number, id: number, result: Uint8Array | undefined): void {
    const expected = this.ourIndexes.get(index);
    if (expected !== undefined) {
      this.ourIndexes.delete(index);
      if (expected !== id) {
        const lost = this.pending.get(expected);
        this.pending.delete(expected);
        lost?.reject(new ProposalLostError(index));
      }
    }
    const waiter = this.pending.get(id);
    if (!waiter) return;
    this.pending.delete(id);
    waiter.resolve(result ?? new Uint8Array(0));
  }

  private applyConfChange(e: Entry): void {
    const cc = decodeConfChange(e.data);
    this.confState = this.raw.applyConfChange(cc);
    for (const change of cc.changes) {
      if (change.node === this.opts.id) continue;
      if (change.type === ConfChangeType.RemoveNode) {
        this.transport.removePeer(change.node);
      } else if (change.address) {
        this.addresses.set(change.node, change.address);
        this.transport.setPeer(change.node, change.address);
      }
    }
    this.sm.onConfChange?.(cc, this.confState);
    // A member added after the last snapshot would refuse that snapshot (it is not in its membership): take
    // a new one, so a learner that needs a snapshot gets one that includes it.
    if (cc.changes.some((c) => c.type !== ConfChangeType.RemoveNode)) this.snapshotWanted = true;
    if (e.index > this.storage.snapshot().metadata.index) this.settleConf(this.confState);
  }

  /**
   * Puts every member of `cs` with a known address into the transport, so that a member that learned the
   * membership from a snapshot takes (and answers) messages from all of them. Addresses come from the
   * state machine's membership record (it travels with the snapshot and follows the conf changes), else from
   * the conf changes applied here or the options. Members that left are dropped by applyConfChange.
   */
  private syncPeers(cs: ConfState): void {
    const recorded = this.sm.memberAddresses?.() ?? {};
    for (const id of new Set([...cs.voters, ...cs.learners, ...cs.votersOutgoing, ...cs.learnersNext])) {
      if (id === this.opts.id) continue;
      const address = recorded[id] || this.addresses.get(id);
      if (!address) {
        this.logger.warn(`member '${id}' has no known address: its messages are refused until one is learned`, { id: this.opts.id });
        continue;
      }
      this.addresses.set(id, address);
      this.transport.setPeer(id, address);
    }
  }

  private settleConf(cs: ConfState | undefined, err?: Error): void {
    const waiter = this.confWaiter;
    if (!waiter) return;
    this.confWaiter = undefined;
    clearTimeout(waiter.timer);
    if (cs) waiter.resolve(cs);
    else waiter.reject(err ?? new RaftNodeError("INTERNAL", "membership change failed"));
  }

  private answerReads(): void {
    for (const [key, waiter] of this.reads) {
      if (waiter.index !== undefined && waiter.index <= this.applied) {
        this.reads.delete(key);
        clearTimeout(waiter.timer);
        waiter.resolve();
      }
    }
  }

  /**
   * Starts a snapshot when one is due, and compacts the log behind one that finished. The state machine
   * writes it off the loop (it reads its state as of `index` while later entries are applied), so heartbeats
   * and appends go on; a failure is logged, counted and retried later — the log just stays longer meanwhile.
   */
  private async maybeSnapshot(): Promise<void> {
    const taken = this.snapshotting?.taken;
    if (taken) {
      this.snapshotting = undefined;
      this.lastSnapshotBytes = this.sm.snapshotBytes?.(taken.reference);
      await this.storage.compact(taken); // on the loop: never while a Ready is being saved
      this.logger.info(`snapshot at index ${taken.metadata.index} (${taken.reference}); log compacted`, { id: this.opts.id });
    }
    if (this.snapshotting || this.stopped || Date.now() < this.snapshotRetryAt) return;
    const snapIndex = this.storage.snapshot().metadata.index;
    if (!this.snapshotDue(this.applied - snapIndex) || this.applied > this.storage.lastIndex()) return;
    const wanted = this.snapshotWanted;
    this.snapshotWanted = false;
    const index = this.applied;
    const term = this.storage.term(index);
    const confState = this.confState;
    this.appliedBytesSinceSnapshot = 0;
    let started: Promise<string>;
    try {
      // Called here, before anything more is applied: a machine that captures its state synchronously (or
      // pins a database snapshot first) captures it at `index`.
      started = Promise.resolve(this.sm.snapshot(index, term));
    } catch (err) {
      started = Promise.reject(err as Error);
    }
    const job: { done: Promise<void>; taken?: Snapshot } = { done: Promise.resolve() };
    job.done = started
      .then(
        (reference) => {
          job.taken = { metadata: { index, term, confState }, reference };
          this.failuresInARow = 0;
        },
        (err: Error) => {
          this.snapshotting = undefined;
          this.snapshotFailures++;
          this.failuresInARow++;
          this.snapshotWanted ||= wanted;
          const waitMs = Math.min(MAX_SNAPSHOT_RETRY_MS, 1000 * 2 ** (this.failuresInARow - 1));
          this.snapshotRetryAt = Date.now() + waitMs;
          this.logger.warn(`snapshot at index ${index} failed (${this.snapshotFailures} so far); retrying in ${waitMs} ms: ${err.message}`, { id: this.opts.id });
        },
      )
      .finally(() => this.signal());
    this.snapshotting = job;
  }

  /** Whether a snapshot is due with `entries` applied past the newest one (see snapshotEntries). */
  private snapshotDue(entries: number): boolean {
    if (this.snapshotWanted && entries > 0) return true;
    if (entries < this.snapshotEntries) return false;
    if (entries >= this.snapshotEntries * 16 || this.lastSnapshotBytes === undefined) return true;
    const ratio = this.role === StateRole.Leader ? 1 : FOLLOWER_SNAPSHOT_LOG_RATIO;
    return this.appliedBytesSinceSnapshot >= Math.min(this.lastSnapshotBytes * ratio, SNAPSHOT_LOG_BYTES_CAP);
  }

  // ---- helpers ------------------------------------------------------------------------------------------

  /** Proposes on this node (the leader, or a forwarded proposal arriving at it). */
  private proposeHere(command: Uint8Array): Promise<Uint8Array> {
    if (this.stopped) return Promise.reject(this.failure ? new NodeFailedError(this.failure) : new NodeStoppedError());
    if (this.role !== StateRole.Leader) return Promise.reject(this.notLeader("proposals"));
    const id = this.ids.next();
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, deadline: Date.now() + this.timeoutMs });
      this.proposals.push(wrapCommand(id, command));
      this.signal();
    });
  }

  /**
   * A follower's proposal: it travels to the leader on the Raft stream, batched with the others gathered in
   * this turn, as a Propose message carrying this member's envelope; the promise settles when this member
   * applies the entry (its own state machine gives the same result as the leader's).
   */
  private proposeViaLeader(command: Uint8Array, deadline: number): Promise<Uint8Array> {
    const id = this.ids.next();
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, deadline, forwardedTo: this.leader });
      this.forwards.push(wrapCommand(id, command));
      this.signal();
    });
  }

  /**
   * Rejects proposals past their deadline. Called every tick: one sweep instead of a timer per proposal
   * (setTimeout/clearTimeout per write was a measurable share of the leader's CPU), at the price of a
   * timeout that fires up to one tick late.
   */
  private expireProposals(): void {
    if (this.pending.size === 0) return;
    const now = Date.now();
    for (const [id, waiter] of this.pending) {
      if (waiter.deadline > now) continue;
      this.pending.delete(id);
      const what = waiter.forwardedTo !== undefined ? `proposal forwarded to ${waiter.forwardedTo || "the leader"}` : "proposal";
      waiter.reject(new ProposalTimeoutError(what, this.timeoutMs));
    }
  }

  /**
   * Where proposals should go instead of here: the target of a leadership transfer under way, else the
   * leader if it is another member. Called on the refusal path only (status() builds the progress map).
   */
  private leaderHint(): NodeId {
    const transferee = this.role === StateRole.Leader ? this.raw.status().leadTransferee : NONE;
    if (transferee !== NONE) return transferee;
    return this.leader !== this.opts.id ? this.leader : NONE;
  }

  /** Sends forwarded proposals that were not appended back to their sender (a rejected Propose message). */
  private refuseForwarded(to: NodeId, envelopes: Uint8Array[]): void {
    const hint = this.leaderHint();
    const entries = envelopes.map((data) => ({ term: 0, index: 0, type: EntryType.Normal, data }));
    const context = hint !== NONE ? Buffer.from(hint, "utf8") : undefined;
    this.transport.send([{ type: MessageType.Propose, from: this.opts.id, to, term: 0, index: 0, logTerm: 0, entries, commit: 0, reject: true, rejectHint: 0, context }]);
    this.transport.flush();
    this.logger.debug(`refused ${envelopes.length} forwarded proposals from ${to}${hint ? `; leader hint ${hint}` : ""}`);
  }

  /** The leader refused our forwarded proposals (they were not appended): their callers may retry now. */
  private onForwardRefused(m: Message): void {
    const hint = m.context && m.context.length > 0 ? Buffer.from(m.context).toString("utf8") : NONE;
    for (const e of m.entries) {
      let id: number;
      try {
        id = unwrapCommand(e.data).id;
      } catch {
        continue;
      }
      const waiter = this.pending.get(id);
      // Each proposal is forwarded once: a refusal from any member settles it.
      if (!waiter) continue;
      this.pending.delete(id);
      waiter.reject(this.notLeader(`proposal refused by ${m.from}`, hint !== this.opts.id ? hint : NONE));
    }
  }

  private notLeader(what: string, hint?: NodeId): NotLeaderError {
    const leader = hint ?? (this.leader !== this.opts.id ? this.leader : NONE);
    const address = leader ? this.addresses.get(leader) : undefined;
    const err = new NotLeaderError(`${what}: this member (${this.opts.id}) is not the leader${leader ? `; the leader is ${leader} at ${address}` : ""}`, leader || undefined, address);
    return Object.assign(err, { grpcCode: grpcStatus.UNAVAILABLE });
  }

  /** Resolves true when a leader is known (or, with `change`, when the leader changes); false at the deadline. */
  private waitForLeader(deadline: number, change = false): Promise<boolean> {
    if (!change && this.leader !== NONE) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.leaderWatchers.delete(watcher);
        resolve(ok);
      };
      const watcher = () => done(true);
      const timer = setTimeout(() => done(false), Math.max(0, Math.min(deadline - Date.now(), 1000)));
      this.leaderWatchers.add(watcher);
    }).then((ok): Promise<boolean> | boolean => ok || (Date.now() < deadline && !this.stopped ? this.waitForLeader(deadline, change) : false));
  }

  private checkRunning(): void {
    if (this.failure) throw new NodeFailedError(this.failure);
    if (this.stopped) throw new NodeStoppedError();
  }

  private fail(err: Error): void {
    this.failure = err;
    this.stopped = true;
    clearInterval(this.ticker);
    this.logger.error(`raft node ${this.opts.id} stopped: ${err.message}`);
    this.rejectAll(err instanceof NodeFailedError ? err : new NodeFailedError(err));
  }

  private rejectAll(err: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
    for (const waiter of this.reads.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(err);
    }
    this.reads.clear();
    this.settleConf(undefined, err);
    for (const watcher of [...this.leaderWatchers]) watcher();
  }
}
