// Linearizable reads share ReadIndex rounds: at most one round is in flight per member, and every read that
// arrives meanwhile waits for the NEXT round (issued after it arrived, as linearizability requires), so a
// thousand concurrent reads cost two rounds instead of a thousand heartbeats.
export class ReadBarrier {
  private inflight?: Promise<void>;
  private queued?: Promise<void>;

  constructor(private readonly readIndex: () => Promise<void>) {}

  /** Resolves once this member has applied everything committed before the call. */
  wait(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.inflight) return this.issue();
    this.queued = this.inflight
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.issue();
      });
    return this.queued;
  }

  private issue(): Promise<void> {
    const round = this.readIndex().finally(() => {
      if (this.inflight === round) this.inflight = undefined;
    });
    this.inflight = round;
    return round;
  }
}
