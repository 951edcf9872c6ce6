// Iterates the entries of a metarange, range by range, optionally leaving out whole ranges (those known to be
// identical on both sides of a diff). Synchronous: every range it can reach must be local already.
import type { ValueIterator } from "./iterator";
import { rangeIndexFor, RangeRecord } from "./records";
import type { RangeStore } from "./store";

export class MetaRangeIterator implements ValueIterator {
  private index = 0;
  private it: ValueIterator | undefined;

  constructor(
    private readonly store: RangeStore,
    private readonly records: readonly RangeRecord[],
    private readonly skip?: ReadonlySet<string>,
  ) {}

  /** The range the iterator is positioned in. */
  currentRange(): RangeRecord | undefined {
    return this.it ? this.records[this.index] : undefined;
  }

  private openAt(index: number, seek: Buffer | undefined): boolean {
    this.closeRange();
    for (this.index = index; this.index < this.records.length; this.index++) {
      const record = this.records[this.index];
      if (this.skip?.has(record.id)) continue;
      try {
        this.it = this.store.table(record.id).iterator();
        const ok = seek && Buffer.compare(seek, record.minKey) > 0 ? this.it.seekGE(seek) : this.it.first();
        if (ok) return true;
      } catch (err) {
        throw this.store.corrupt(record.id, err);
      }
      this.closeRange();
    }
    return false;
  }

  first(): boolean {
    return this.openAt(0, undefined);
  }

  seekGE(key: Buffer): boolean {
    // Stay in the open range when it holds the key: merges seek forward through one range many times.
    const record = this.records[this.index];
    if (this.it && record && Buffer.compare(key, record.minKey) >= 0 && Buffer.compare(key, record.maxKey) <= 0) {
      try {
        if (this.it.seekGE(key)) return true;
      } catch (err) {
        throw this.store.corrupt(record.id, err);
      }
    }
    return this.openAt(rangeIndexFor(this.records, key), key);
  }

  next(): boolean {
    if (!this.it) return false;
    try {
      if (this.it.next()) return true;
    } catch (err) {
      throw this.store.corrupt(this.records[this.index].id, err);
    }
    return this.openAt(this.index + 1, undefined);
  }

  key(): Buffer {
    return this.it!.key();
  }

  value(): Buffer {
    return this.it!.value();
  }

  private closeRange(): void {
    this.it?.close();
    this.it = undefined;
  }

  close(): void {
    this.closeRange();
    this.index = this.records.length;
  }
}

/** IDs of the ranges that appear in both metaranges: their keys hold identical entries on both sides. */
export function sharedRanges(a: readonly RangeRecord[], b: readonly RangeRecord[]): Set<string> {
  const inA = new Set(a.map((r) => r.id));
  return new Set(b.filter((r) => inA.has(r.id)).map((r) => r.id));
}
