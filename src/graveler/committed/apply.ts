// Applies a sorted stream of changes to a metarange, writing new ranges only where changes land and reusing
// every other range whole. Fed in chunks (the changes come from an async store), it keeps its position between
// chunks. Synchronous and deterministic: the ranges each chunk touches must be local before `feed`.
//
// Invariant between calls: everything in the base with keys below the last change fed has been written or
// reused; `it`, when set, is positioned in ranges[index] on the first entry not yet handled.
import type { RangeRecord } from "./records";
import type { RangeWriter } from "./range-writer";
import type { RangeStore } from "./store";
import type { CopyIterator } from "./table";

export interface Change {
  key: Buffer;
  /** The new encoded value, or undefined to delete the key. */
  value: Buffer | undefined;
}

export class Applier {
  private index = 0;
  private it: CopyIterator | undefined;
  private lastKey: Buffer | undefined;
  /** Number of changes that altered the result (a delete of a missing key does not). */
  effective = 0;

  constructor(
    private readonly store: RangeStore,
    private readonly base: readonly RangeRecord[],
    private readonly writer: RangeWriter,
  ) {}

  /** The base ranges that a chunk of changes will open (to fetch before `feed`). */
  rangesTouched(changes: readonly Change[]): RangeRecord[] {
    const touched = new Map<string, RangeRecord>();
    let i = this.index;
    for (const c of changes) {
      while (i < this.base.length && Buffer.compare(this.base[i].maxKey, c.key) < 0) i++;
      if (i < this.base.length && Buffer.compare(this.base[i].minKey, c.key) <= 0) touched.set(this.base[i].id, this.base[i]);
    }
    return [...touched.values()];
  }

  feed(changes: readonly Change[]): void {
    for (const change of changes) {
      if (this.lastKey && Buffer.compare(change.key, this.lastKey) <= 0) {
        throw new Error(`changes out of order: ${change.key.toString("hex")} after ${this.lastKey.toString("hex")}`);
      }
      this.lastKey = change.key;
      const existing = this.copyBelow(change.key);
      if (existing) {
        if (change.value === undefined || !existing.equals(change.value)) this.effective++;
        this.advance();
      } else if (change.value !== undefined) {
        this.effective++;
      }
      if (change.value !== undefined) this.writer.add(change.key, change.value);
    }
  }

  /** Writes the rest of the base and returns the new metarange's records. */
  finish(): RangeRecord[] {
    if (this.it) {
      this.copyRest(this.it);
      this.it.close();
      this.it = undefined;
      this.index++;
    }
    for (; this.index < this.base.length; this.index++) this.writer.addRange(this.base[this.index]);
    return this.writer.finish();
  }

  /**
   * Copies the rest of the open range, from the entry the iterator is on. The hot loop of a small commit on a
   * big range: whole data blocks go from the old file to the new one as stored (only their entries are
   * hashed), and the entries of a block that cannot go whole are copied one by one.
   */
  private copyRest(it: CopyIterator): void {
    const writer = this.writer;
    try {
      for (;;) {
        if (it.atBlockStart() && writer.addBlock(it)) {
          if (!it.nextBlock()) return;
          continue;
        }
        writer.add(it.key(), it.value());
        if (!it.next()) return;
      }
    } catch (err) {
      throw this.store.corrupt(this.base[this.index].id, err);
    }
  }

  /**
   * Emits every base entry with a key below `key`, reusing whole ranges that end before it. Returns the base
   * value at exactly `key` when there is one (the iterator is then positioned on it).
   */
  private copyBelow(key: Buffer): Buffer | undefined {
    for (;;) {
      if (!this.it) {
        if (this.index >= this.base.length) return undefined;
        const range = this.base[this.index];
        if (Buffer.compare(range.maxKey, key) < 0) {
          this.writer.addRange(range);
          this.index++;
          continue;
        }
        if (Buffer.compare(key, range.minKey) < 0) return undefined;
        // One pass over the range (its blocks need not displace the ones lookups use from the block cache),
        // copying whole the blocks that hold no change.
        this.it = this.store.table(range.id).copyIterator();
        if (!this.wrap(() => this.it!.first())) {
          this.it.close();
          this.it = undefined;
          this.index++;
          continue;
        }
      }
      // The hot loop before a change: copy what lies below `key` straight through (see copyRest); a block
      // whose index bound is below `key` holds no key at or after it.
      const it = this.it;
      const writer = this.writer;
      try {
        for (;;) {
          if (it.atBlockStart() && Buffer.compare(it.blockBound(), key) < 0 && writer.addBlock(it)) {
            if (!it.nextBlock()) break;
            continue;
          }
          const current = it.key(); // a fresh Buffer per call: read it once
          const c = Buffer.compare(current, key);
          if (c === 0) return it.value();
          if (c > 0) return undefined;
          writer.add(current, it.value());
          if (!it.next()) break;
        }
      } catch (err) {
        throw this.store.corrupt(this.base[this.index].id, err);
      }
      it.close();
      this.it = undefined;
      this.index++;
    }
  }

  private advance(): void {
    if (this.wrap(() => this.it!.next())) return;
    this.it!.close();
    this.it = undefined;
    this.index++;
  }

  private wrap(step: () => boolean): boolean {
    try {
      return step();
    } catch (err) {
      throw this.store.corrupt(this.base[this.index].id, err);
    }
  }
}
