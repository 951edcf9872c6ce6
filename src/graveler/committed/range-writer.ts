// Writes a sorted stream of entries as ranges with content-defined boundaries, and reuses whole ranges.
//
// A range is closed after a key when fnv1a64(key) % raggedness == 0 once it holds at least minSize bytes,
// and always once it reaches maxSize. Reusing an existing range (addRange) closes the range being written,
// so boundaries depend on content and on what was reused, never on where the writing started.
import type { RangeId } from "../ids";
import { SortedKeysFnv } from "./fnv";
import type { RangeRecord } from "./records";
import type { CopyIterator } from "./table";
import { TableBuilder, TableSink } from "./table-builder";

export interface RangeShape {
  /** Break after a key whose FNV-1a 64 hash is divisible by this (lakeFS default 50,000). */
  raggedness: number;
  /** No content-defined break before a range holds this many bytes (keys + values). */
  minRangeSize: number;
  /** Always break once a range holds this many bytes (lakeFS default 20 MiB). */
  maxRangeSize: number;
}

export const DEFAULT_RANGE_SHAPE: RangeShape = { raggedness: 50_000, minRangeSize: 0, maxRangeSize: 20 * 1024 * 1024 };

export class RangeWriter {
  private current: TableBuilder | undefined;
  private readonly records: RangeRecord[] = [];
  /** IDs of ranges this writer wrote (not reused). */
  readonly written: RangeId[] = [];

  /** Boundary hashes of the keys written, in order (each key hashed from where it departs from the last). */
  private readonly fnv: SortedKeysFnv;

  constructor(
    private readonly sink: TableSink,
    private readonly shape: RangeShape,
  ) {
    this.fnv = new SortedKeysFnv(shape.raggedness);
  }

  add(key: Buffer, value: Buffer): void {
    const range = (this.current ??= new TableBuilder(this.sink, "ranges"));
    range.add(key, value);
    if (range.estimatedSize >= this.shape.maxRangeSize) this.closeCurrent();
    else if (range.estimatedSize >= this.shape.minRangeSize && this.fnv.mod(key) === 0) this.closeCurrent();
  }

  /**
   * Appends the data block `it` is on (at its first entry) whole: its stored bytes are copied and its entries
   * only hashed, which is what adding them one by one would write, as long as no range boundary falls after
   * one of its entries but the last. When one does (or the block's compression does not fit), nothing is
   * added, `it` is back on the block's first entry, and false tells the caller to add the entries one by one.
   * On success `it` is past the block's last entry: the caller moves it with nextBlock().
   */
  addBlock(it: CopyIterator): boolean {
    const range = (this.current ??= new TableBuilder(this.sink, "ranges"));
    const stored = it.storedBlock();
    if (!range.acceptsBlock(stored.compression)) return false;
    const { minRangeSize, maxRangeSize } = this.shape;
    const fnv = this.fnv;
    const e = it.blockEntries();
    const firstKey = Buffer.from(e.key.subarray(0, e.userKeyLength));
    let size = range.estimatedSize;
    let entries = 0;
    let keyBytes = 0;
    let valueBytes = 0;
    let cut = false;
    range.beginBlock();
    do {
      if (cut) {
        // A boundary inside the block: give it back whole.
        range.abandonBlock();
        it.seekGE(firstKey);
        return false;
      }
      const k = e.userKeyLength;
      const v = e.valueLength;
      range.hashRecord(e.key, k, e.data, e.valueOffset, v);
      size += k + v;
      keyBytes += k;
      valueBytes += v;
      entries++;
      cut = size >= maxRangeSize || (size >= minRangeSize && fnv.mod(e.key, k) === 0);
    } while (e.next());
    const lastKey = Buffer.from(e.key.subarray(0, e.userKeyLength));
    range.addBlock({ ...stored, firstKey, lastKey, entries, keyBytes, valueBytes });
    if (cut) this.closeCurrent();
    return true;
  }

  /** Appends an existing range unchanged; its keys must all follow what was written so far. */
  addRange(record: RangeRecord): void {
    this.closeCurrent();
    this.records.push(record);
  }

  private closeCurrent(): void {
    const range = this.current;
    if (!range) return;
    this.current = undefined;
    const id = range.finish() as RangeId;
    this.written.push(id);
    this.records.push({ id, minKey: range.minKey!, maxKey: range.maxKey!, count: range.count, estimatedSize: range.estimatedSize });
  }

  finish(): RangeRecord[] {
    this.closeCurrent();
    return this.records;
  }

  abort(): void {
    this.current?.abort();
    this.current = undefined;
  }
}
