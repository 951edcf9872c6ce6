// One simulated member: a RawNode driven by a runtime that is modelled step by step, so that a crash can
// strike between any two of them: take a Ready; (a leader keeping its term and vote: send); write the
// batch to disk, which takes some steps (a crash meanwhile loses it or keeps a prefix of it); send; apply;
// advance.
import { decodeConfChange, EntryType, MemoryStorage, MessageType, RawNode, StateRole } from "../../../raft";
import type { ConfState, Entry, HardState, NodeId, Ready } from "../../../raft";
import type { SafetyChecker, LogView } from "./checker";
import { SafetyViolation } from "./checker";
import { Disk } from "./disk";
import type { DiskRecord } from "./disk";
import { decodeCommand, KvStore } from "./kv";
import type { Prng } from "./prng";

/** What a node needs from the simulation around it. */
export interface NodeEnv {
  now(): number;
  rng: Prng;
  checker: SafetyChecker;
  objectStore: Map<string, string>;
  send(from: SimNode, m: import("../../../raft").Message): void;
  /** A client operation this node accepted has its answer. */
  complete(op: number, output: string | boolean | null): void;
  leaders(): { id: NodeId; term: number; log: LogView }[];
  onConfChange(node: SimNode, index: number): void;
  trace(line: string): void;
  config: { preVote: boolean; checkQuorum: boolean; snapshotEvery: number; keepEntries: number; maxPersistDelay: number; applyWhilePersisting: boolean };
}

export class SimNode {
  rn: RawNode | undefined;
  storage: MemoryStorage | undefined;
  kv = new KvStore();
  appliedIndex = 0;
  confState: ConfState;
  /** Crash when the write in flight completes, before applying. */
  crashAfterPersist = false;
  private inflight: { rd: Ready; early: boolean; applied: boolean; at: number } | undefined;
  downUntil = 0;
  incarnation = 0;
  /** Set when the node has left the cluster for good (removed and shut down). */
  retired = false;
  private lastHardState: HardState;
  private pendingWrites = new Set<number>();
  private pendingReads = new Map<string, { op: number; key: string; index?: number }>();
  private snapshotDue: number;

  constructor(
    readonly id: NodeId,
    readonly disk: Disk,
    private readonly env: NodeEnv,
  ) {
    this.confState = disk.snapshot.metadata.confState;
    this.lastHardState = disk.hardState;
    this.snapshotDue = env.config.snapshotEvery;
  }

  get up(): boolean {
    return this.rn !== undefined;
  }

  /** Starts (or restarts) from what is on disk and on the object store. */
  start(): void {
    const storage = this.disk.load();
    const snap = this.disk.snapshot;
    this.kv = snap.reference ? KvStore.deserialize(this.env.objectStore.get(snap.reference)!) : new KvStore();
    this.appliedIndex = snap.metadata.index;
    this.confState = snap.metadata.confState;
    this.lastHardState = this.disk.hardState;
    this.storage = storage;
    this.incarnation++;
    this.rn = new RawNode({
      id: this.id,
      // Well above a round trip (network delay plus fsync on both ends), as in any real deployment.
      electionTick: 15,
      heartbeatTick: 2,
      storage,
      applied: snap.metadata.index,
      maxSizePerMsg: 256,
      maxInflightMsgs: 4,
      maxUncommittedEntriesSize: 1 << 14,
      preVote: this.env.config.preVote,
      checkQuorum: this.env.config.checkQuorum,
      random: () => this.env.rng.next(),
    });
    this.env.trace(`${this.id} start #${this.incarnation} term=${this.disk.hardState.term} commit=${this.disk.hardState.commit} last=${this.disk.lastIndex()} snap=${snap.metadata.index}`);
  }

  /** Loses everything not on disk. */
  crash(until: number): void {
    this.env.trace(`${this.id} crash until ${until}`);
    this.rn = undefined;
    this.storage = undefined;
    this.inflight = undefined;
    this.crashAfterPersist = false;
    this.downUntil = until;
    this.pendingWrites.clear();
    this.pendingReads.clear();
  }

  role(): StateRole | undefined {
    return this.rn?.raft.state;
  }

  logView(): LogView {
    const log = this.rn!.raft.raftLog;
    return { firstIndex: () => log.firstIndex(), lastIndex: () => log.lastIndex(), termAt: (i) => log.termOrZero(i) };
  }

  acceptWrite(op: number): void {
    this.pendingWrites.add(op);
  }

  acceptRead(op: number, key: string, ctx: Uint8Array): void {
    this.pendingReads.set(Buffer.from(ctx).toString("hex"), { op, key });
  }

  /**
   * Moves the runtime on: finishes the write in flight once its fsync is done, or takes the next Ready and
   * starts writing it (a leader that keeps its term and vote sends at once, in parallel with the write; the
   * node keeps stepping messages and ticking while the write is in flight). Returns false if it crashed.
   */
  process(): boolean {
    const rn = this.rn;
    if (!rn) return true;
    if (this.inflight) return this.env.now() >= this.inflight.at ? this.finish() : true;
    if (!rn.hasReady()) return true;
    const rd = rn.ready();
    if (rd.softState?.role === StateRole.Leader) this.env.checker.onLeader(rn.raft.term, this.id, this.logView());
    const termOrVote = rd.hardState !== undefined && (rd.hardState.term !== this.lastHardState.term || rd.hardState.vote !== this.lastHardState.vote);
    const early = rn.raft.state === StateRole.Leader && !termOrVote;
    if (early) this.sendAll(rd);
    const delay = diskRecords(rd).length === 0 ? 0 : this.env.rng.int(0, this.env.config.maxPersistDelay);
    // Like the real runtime, optionally apply committed entries that were already on disk while this Ready's
    // write is in flight (not when the write replaces them or installs a snapshot).
    const committedLast = rd.committedEntries.length > 0 ? rd.committedEntries[rd.committedEntries.length - 1].index : 0;
    const applyEarly =
      this.env.config.applyWhilePersisting &&
      !rd.snapshot &&
      committedLast > 0 &&
      committedLast <= this.storage!.lastIndex() &&
      (rd.entries.length === 0 || rd.entries[0].index > committedLast);
    if (applyEarly) for (const e of rd.committedEntries) this.apply(e);
    this.inflight = { rd, early, applied: applyEarly, at: this.env.now() + delay };
    return delay === 0 ? this.finish() : true;
  }

  private finish(): boolean {
    const { rd, early, applied } = this.inflight!;
    this.inflight = undefined;
    for (const r of diskRecords(rd)) this.disk.write(r);
    if (rd.hardState) this.lastHardState = rd.hardState;
    this.persistToStorage(rd);
    if (!early) this.sendAll(rd);
    if (this.crashAfterPersist) {
      this.env.trace(`${this.id} crash after persisting, before applying`);
      this.crash(this.downUntil);
      return false;
    }
    if (!applied) for (const e of rd.committedEntries) this.apply(e);
    for (const rs of rd.readStates) {
      const p = this.pendingReads.get(Buffer.from(rs.requestCtx).toString("hex"));
      if (p) p.index = rs.index;
    }
    this.rn!.advance(rd);
    this.serveReads();
    this.maybeSnapshot();
    return true;
  }

  writing(): boolean {
    return this.inflight !== undefined;
  }

  /** Crashes now: a write in flight is lost, or torn (a prefix of its records reached the disk). */
  crashNow(until: number): void {
    if (this.inflight && this.env.rng.chance(0.5)) {
      const records = diskRecords(this.inflight.rd);
      const keep = this.env.rng.int(0, Math.max(0, records.length - 1));
      for (const r of records.slice(0, keep)) this.disk.write(r);
      this.env.trace(`${this.id} torn write: ${keep}/${records.length} records`);
    } else if (this.inflight) {
      this.env.trace(`${this.id} write in flight lost`);
    }
    this.crash(until);
  }

  private sendAll(rd: Ready): void {
    for (const m of rd.messages) this.env.send(this, m);
  }

  private persistToStorage(rd: Ready): void {
    const storage = this.storage!;
    if (rd.snapshot) {
      storage.applySnapshot(rd.snapshot);
      this.kv = KvStore.deserialize(this.env.objectStore.get(rd.snapshot.reference)!);
      this.appliedIndex = rd.snapshot.metadata.index;
      this.confState = rd.snapshot.metadata.confState;
      this.env.trace(`${this.id} installed snapshot ${rd.snapshot.metadata.index}/${rd.snapshot.metadata.term}`);
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0];
      let prevTerm: number;
      try {
        prevTerm = first.index - 1 === 0 ? 0 : storage.term(first.index - 1);
      } catch {
        prevTerm = -1;
      }
      storage.append(rd.entries);
      for (const e of rd.entries) {
        if (prevTerm >= 0) this.env.checker.onAppend(this.id, e, prevTerm);
        prevTerm = e.term;
      }
    }
    if (rd.hardState) storage.setHardState(rd.hardState);
  }

  private apply(e: Entry): void {
    if (e.index !== this.appliedIndex + 1) {
      throw new SafetyViolation(`${this.id} applied ${e.index} after ${this.appliedIndex}`);
    }
    this.env.checker.onApply(this.id, e, this.rn!.raft.term, this.env.leaders());
    this.appliedIndex = e.index;
    if (e.type === EntryType.ConfChange) {
      const cc = decodeConfChange(e.data);
      this.confState = this.rn!.applyConfChange(cc);
      this.env.trace(`${this.id} applied conf change ${e.index}: ${JSON.stringify(cc)} -> ${JSON.stringify(this.confState)}`);
      this.env.onConfChange(this, e.index);
      return;
    }
    if (e.data.length === 0) return;
    const cmd = decodeCommand(e.data);
    const result = this.kv.apply(cmd);
    if (this.pendingWrites.delete(cmd.op)) this.env.complete(cmd.op, result);
  }

  private serveReads(): void {
    for (const [ctx, p] of this.pendingReads) {
      if (p.index !== undefined && p.index <= this.appliedIndex) {
        this.pendingReads.delete(ctx);
        this.env.complete(p.op, this.kv.get(p.key));
      }
    }
  }

  /** Snapshots the state machine to the object store and compacts the log, now and then. */
  private maybeSnapshot(): void {
    const storage = this.storage!;
    if (this.appliedIndex - storage.snapshot().metadata.index < this.snapshotDue) return;
    this.snapshotDue = this.env.config.snapshotEvery + this.env.rng.int(0, this.env.config.snapshotEvery);
    const ref = `snap/${this.id}/${this.appliedIndex}`;
    this.env.objectStore.set(ref, this.kv.serialize());
    const snap = storage.createSnapshot(this.appliedIndex, this.confState, ref);
    const compactIndex = this.appliedIndex - this.env.config.keepEntries;
    if (compactIndex >= storage.firstIndex()) storage.compact(compactIndex);
    this.disk.compact(snap, Math.max(compactIndex, storage.firstIndex() - 1));
    this.env.trace(`${this.id} snapshot at ${this.appliedIndex}, compacted to ${storage.firstIndex() - 1}`);
  }

  pendingCount(): number {
    return this.pendingWrites.size + this.pendingReads.size;
  }
}

function diskRecords(rd: Ready): DiskRecord[] {
  const records: DiskRecord[] = [];
  if (rd.snapshot) records.push({ kind: "snapshot", snapshot: rd.snapshot });
  for (const entry of rd.entries) records.push({ kind: "entry", entry });
  if (rd.hardState) records.push({ kind: "hardState", hardState: rd.hardState });
  return records;
}

export const isSnap = (t: MessageType) => t === MessageType.Snap;
