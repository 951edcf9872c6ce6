// Writes a sorted stream of entries as ranges with content-defined boundaries, and reuses whole ranges.
//
// A range is closed after a key when fnv1a64(key) % raggedness == 0 once it holds at least minSize bytes,
// and always once it reaches maxSize. Reusing an existing range (addRange) closes the range being written,
// so boundaries depend on content and on what was reused, never on where the writing started.
import type { RangeId } from "../ids";
import { fnv1a64Mod } from "./fnv";
import type { RangeRecord } from "./records";
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

  constructor(
    private readonly sink: TableSink,
    private readonly shape: RangeShape,
  ) {}

  add(key: Buffer, value: Buffer): void {
    const range = (this.current ??= new TableBuilder(this.sink, "ranges"));
    range.add(key, value);
    if (range.estimatedSize >= this.shape.maxRangeSize) this.closeCurrent();
    else if (range.estimatedSize >= this.shape.minRangeSize && fnv1a64Mod(key, this.shape.raggedness) === 0) this.closeCurrent();
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
