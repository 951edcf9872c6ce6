// The one iterator shape used by committed data, diff and merge: synchronous, positioned, forward-only
// (the same as the SSTable reader's). `first`, `seekGE` and `next` return whether the iterator is positioned
// on an entry; `key` and `value` are valid only then.
export interface ValueIterator {
  first(): boolean;
  seekGE(key: Buffer): boolean;
  next(): boolean;
  key(): Buffer;
  value(): Buffer;
  close(): void;
}

/** An iterator over sorted [key, value] pairs in memory. */
export class ArrayIterator implements ValueIterator {
  private i = -1;
  constructor(private readonly items: ReadonlyArray<readonly [Buffer, Buffer]>) {}

  first(): boolean {
    this.i = 0;
    return this.i < this.items.length;
  }

  seekGE(key: Buffer): boolean {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Buffer.compare(this.items[mid][0], key) < 0) lo = mid + 1;
      else hi = mid;
    }
    this.i = lo;
    return lo < this.items.length;
  }

  next(): boolean {
    this.i++;
    return this.i < this.items.length;
  }

  key(): Buffer {
    return this.items[this.i][0];
  }

  value(): Buffer {
    return this.items[this.i][1];
  }

  close(): void {}
}
