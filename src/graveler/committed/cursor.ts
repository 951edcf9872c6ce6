// An async cursor over a metarange for listings: fetches each range when the cursor first reaches it, so a
// listing of a few keys in a huge branch reads one or two ranges only. The walking itself is
// MetaRangeIterator's; this only makes sure the one range a step can enter is local before the step.
import { MetaRangeIterator } from "./metarange-iterator";
import { rangeIndexFor, RangeRecord } from "./records";
import type { RangeStore } from "./store";

export class CommittedCursor {
  private readonly it: MetaRangeIterator;
  private positioned = false;

  constructor(
    private readonly store: RangeStore,
    private readonly records: readonly RangeRecord[],
  ) {
    this.it = new MetaRangeIterator(store, records);
  }

  get valid(): boolean {
    return this.positioned;
  }

  async seekGE(key: Buffer): Promise<boolean> {
    // Ranges are never empty and the chosen range's max key is ≥ key, so the seek ends inside that range.
    const index = rangeIndexFor(this.records, key);
    if (this.missing(index)) await this.fetch(index);
    return (this.positioned = this.it.seekGE(key));
  }

  async next(): Promise<boolean> {
    const range = this.it.currentRange();
    if (!this.positioned || !range) return false;
    // Only the last key of a range steps into the next one.
    if (this.it.key().equals(range.maxKey)) {
      const index = this.records.indexOf(range) + 1;
      if (this.missing(index)) await this.fetch(index);
    }
    return (this.positioned = this.it.next());
  }

  key(): Buffer {
    return this.it.key();
  }

  value(): Buffer {
    return this.it.value();
  }

  close(): void {
    this.it.close();
    this.positioned = false;
  }

  /** Whether the range at `index` must be fetched first (a listing seeks a thousand times in one local range). */
  private missing(index: number): boolean {
    return index < this.records.length && !this.store.isLocal(this.records[index].id);
  }

  private async fetch(index: number): Promise<void> {
    await this.store.ensureLocal([this.records[index].id]);
  }
}
