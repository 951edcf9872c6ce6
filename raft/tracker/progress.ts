// A leader's view of one follower (etcd's tracker/progress.go). The state decides how the leader sends:
// - probe: one append at a time until the follower's match is known (after a rejection or at start);
// - replicate: optimistic pipelining, bounded by the inflights cap;
// - snapshot: the follower needs a snapshot; nothing else is sent until it reports back.
import type { Index } from "../types";
import { Inflights } from "./inflights";

export enum ProgressState {
  Probe = "probe",
  Replicate = "replicate",
  Snapshot = "snapshot",
}

export class Progress {
  match: Index = 0;
  next: Index;
  state: ProgressState = ProgressState.Probe;
  /** In the snapshot state: the index of the snapshot being sent. */
  pendingSnapshot: Index = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** In the probe state: an append was sent, wait for its answer (or the next heartbeat response). */
  probeSent = false;
  inflights: Inflights;
  isLearner: boolean;

  constructor(next: Index, maxInflight: number, isLearner = false) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
    this.isLearner = isLearner;
  }

  clone(): Progress {
    const p = new Progress(this.next, this.inflights.size, this.isLearner);
    Object.assign(p, this, { inflights: this.inflights.clone() });
    return p;
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      // A successful snapshot means the follower has at least pendingSnapshot: probe from after it.
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.Probe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState(ProgressState.Probe);
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: Index): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
  }

  /** An acknowledgement up to n. Returns whether match moved. */
  maybeUpdate(n: Index): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /** Pipelining: assume the entries up to n arrive. */
  optimisticUpdate(n: Index): void {
    this.next = n + 1;
  }

  /**
   * The follower rejected an append at `rejected`, hinting it may match at `matchHint`. Returns false for a
   * stale rejection (one that does not concern the current next).
   */
  maybeDecrTo(rejected: Index, matchHint: Index): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.probeSent;
      case ProgressState.Replicate:
        return this.inflights.full();
      case ProgressState.Snapshot:
        return true;
    }
  }

  toString(): string {
    let s = `StateType ${this.state} match=${this.match} next=${this.next}`;
    if (this.isLearner) s += " learner";
    if (this.probeSent) s += " paused";
    if (this.state === ProgressState.Snapshot) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += " inactive";
    if (this.inflights.count > 0) s += ` inflight=${this.inflights.count}${this.inflights.full() ? "[full]" : ""}`;
    return s;
  }
}
