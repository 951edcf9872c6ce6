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
   * stale rejection: one that does not concern the current next, or one at or below the match (the follower
   * acknowledged that much, so the rejection is older than its acknowledgement; etcd resends the same probe
   * for it, which with a follower that lost its log turns into an endless exchange of probe and rejection).
   * A follower that lost what it acknowledged is found by heartbeats instead (see lostLog).
   */
  maybeDecrTo(rejected: Index, matchHint: Index): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected || rejected <= this.match) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /**
   * The follower answered a heartbeat saying its log ends at `matchHint`, below the commit index the heartbeat
   * carried, which the leader never sends beyond the match: it lost entries it had acknowledged (its disk was
   * wiped or replaced, e.g. restored from an older snapshot). The match is forgotten and probing starts again
   * from the hint. Returns false, changing nothing, when the hint is not below the match (the answer is older
   * than a later acknowledgement) or while a snapshot is on its way (its answer sets the match, and the next
   * heartbeat tells again if that is not enough).
   *
   * The match goes to 0 (nothing verified, as for a member just added), not to the hint: a match is what an
   * accepted append verified (log matching at its index), while the hint is the follower's word for what it
   * holds (a replaced disk may even hold entries of a deposed leader), and the leader counts matches to commit
   * and tells each follower to commit up to its match in heartbeats. The next accepted append sets it again.
   */
  lostLog(matchHint: Index): boolean {
    if (this.state === ProgressState.Snapshot || matchHint >= this.match) return false;
    this.becomeProbe();
    this.match = 0;
    this.next = matchHint + 1;
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
