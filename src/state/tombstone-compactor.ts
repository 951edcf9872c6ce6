// Member-local compaction of the key ranges that applied commands deleted.
//
// LevelDB keeps a deleted key as a tombstone until a compaction reaches the file that holds it, and a scan
// that starts just before a run of tombstones walks every one of them: after a commit dropped a staging token
// of 1,000,000 entries, each scan of the token that sorts just before it (one per listing, one per commit)
// took 300-500 ms. Deletes are replicated commands; compaction is not: each member compacts its own
// database, after the batch is written and off the apply path (LevelDB compacts on its own thread).
//
// Policy (the same as graveler's StagingManager on a single LevelDB): a command that deletes many keys at
// once (a dropped staging token, a reset) has its range compacted right away; scattered small deletes add up
// until they are worth one compaction of the range they span. One compaction runs at a time; deletes applied
// meanwhile are compacted by the next one.

export interface CompactionThresholds {
  /** A command deleting at least this many keys makes its range worth compacting at once. */
  bulk: number;
  /** Deletes from smaller commands are compacted once this many have added up. */
  scattered: number;
}

export const DEFAULT_THRESHOLDS: CompactionThresholds = { bulk: 1000, scattered: 50_000 };

/** The deleted keys of one applied command, as the state machine reports them. */
export interface DeleteRun {
  count: number;
  /** Smallest and largest deleted key (database keys, prefix included). */
  low: Buffer;
  high: Buffer;
}

export class TombstoneCompactor {
  private low?: Buffer;
  private high?: Buffer;
  private bulkPending = false;
  private scattered = 0;
  private running?: Promise<void>;
  /** Compactions finished, for tests and status. */
  completed = 0;

  constructor(
    /** Compacts [start, end] inclusive in the member's database. */
    private readonly compactRange: (start: Buffer, end: Buffer) => Promise<void>,
    private readonly thresholds: CompactionThresholds = DEFAULT_THRESHOLDS,
    private readonly log?: (message: string) => void,
  ) {}

  /** Notes the deletes of one applied command (call once the batch holding them is written). */
  deleted(run: DeleteRun): void {
    if (run.count === 0) return;
    if (!this.low || Buffer.compare(run.low, this.low) < 0) this.low = run.low;
    if (!this.high || Buffer.compare(run.high, this.high) > 0) this.high = run.high;
    if (run.count >= this.thresholds.bulk) this.bulkPending = true;
    else this.scattered += run.count;
    this.startIfDue();
  }

  /** Resolves when no compaction is running (close waits for it before the database goes). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private startIfDue(): void {
    if (this.running || !this.low || !this.high) return;
    if (!this.bulkPending && this.scattered < this.thresholds.scattered) return;
    const [low, high] = [this.low, this.high];
    this.low = this.high = undefined;
    this.bulkPending = false;
    this.scattered = 0;
    this.running = this.compactRange(low, high)
      .then(
        () => void this.completed++,
        // Compaction only reclaims space and scan time: a failure loses nothing, so it is logged, not thrown.
        (err: unknown) => this.log?.(`compacting deleted keys failed (retried with the next deletes): ${err instanceof Error ? err.message : String(err)}`),
      )
      .finally(() => {
        this.running = undefined;
        this.startIfDue();
      });
  }
}
