// Linearizable reads share ReadIndex rounds: at most one round is in flight per member, and every read that
// arrives meanwhile waits for the NEXT round (issued after it arrived, as linearizability requires), so a
// thousand concurrent reads cost two rounds instead of a thousand heartbeats.
//
// Reads that arrive in the same turn as the round is issued (the same synchronous run, or a microtask queued
// before the issue) join it: the runtime takes the read index in its own loop after that turn, and nothing
// can commit in between, so the round still covers every write finished before they arrived. A call that
// reads two records at once therefore costs one round, not two.
export class ReadBarrier {
  private inflight?: Promise<void>;
  private queued?: Promise<void>;
  /** The round just issued, while reads may still join it (until the microtask queued at its issue). */
  private joinable?: Promise<void>;

  constructor(private readonly readIndex: () => Promise<void>) {}

  /** Resolves once this member has applied everything committed before the call. */
  wait(): Promise<void> {
    if (this.joinable) return this.joinable;
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
    this.joinable = round;
    queueMicrotask(() => {
      if (this.joinable === round) this.joinable = undefined;
    });
    return round;
  }
}
