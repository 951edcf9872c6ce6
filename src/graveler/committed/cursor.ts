// An async cursor over a metarange for listings: fetches each range when the cursor first reaches it, so a
// listing of a few keys in a huge branch reads one or two ranges only.
import { rangeIndexFor, RangeRecord } from "./records";
import type { RangeStore } from "./store";
import type { ValueIterator } from "./iterator";

export class CommittedCursor {
  private index = 0;
  private it: ValueIterator | undefined;

  constructor(
    private readonly store: RangeStore,
    private readonly records: readonly RangeRecord[],
  ) {}

  get valid(): boolean {
    return this.it !== undefined;
  }

  private async openAt(index: number, seek: Buffer | undefined): Promise<boolean> {
    this.it?.close();
    this.it = undefined;
    for (this.index = index; this.index < this.records.length; this.index++) {
      const record = this.records[this.index];
      await this.store.ensureLocal([record.id]);
      try {
        const it = this.store.table(record.id).iterator();
        if (seek && Buffer.compare(seek, record.minKey) > 0 ? it.seekGE(seek) : it.first()) {
          this.it = it;
          return true;
        }
        it.close();
      } catch (err) {
        throw this.store.corrupt(record.id, err);
      }
    }
    return false;
  }

  seekGE(key: Buffer): Promise<boolean> {
    // Stay in the current range when the key is inside it: the common case while skipping a common prefix.
    const record = this.records[this.index];
    if (this.it && record && Buffer.compare(key, record.minKey) >= 0 && Buffer.compare(key, record.maxKey) <= 0) {
      try {
        if (this.it.seekGE(key)) return Promise.resolve(true);
      } catch (err) {
        throw this.store.corrupt(record.id, err);
      }
    }
    return this.openAt(rangeIndexFor(this.records, key), key);
  }

  async next(): Promise<boolean> {
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

  close(): void {
    this.it?.close();
    this.it = undefined;
  }
}
