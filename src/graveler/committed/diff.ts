// Diff of two sorted value iterators: every key whose value differs by identity (DESIGN.md: diff and merge
// compare content identity, as lakeFS does). Callers leave ranges shared by both sides out of both iterators,
// which is what makes a diff cost proportional to what changed.
import { sameIdentity } from "../entry";
import type { ValueIterator } from "./iterator";

export type DiffType = "added" | "removed" | "changed";

export interface Difference {
  type: DiffType;
  key: Buffer;
  /** Value on the left side (absent for "added"). */
  left?: Buffer;
  /** Value on the right side (absent for "removed"). */
  right?: Buffer;
}

export class DiffIterator {
  private leftValid = false;
  private rightValid = false;
  private started = false;
  private current: Difference | undefined;

  constructor(
    private readonly left: ValueIterator,
    private readonly right: ValueIterator,
  ) {}

  /** Positions both sides at the first key >= key; the following `next` returns the first difference there. */
  seekGE(key: Buffer): void {
    this.started = true;
    this.leftValid = this.left.seekGE(key);
    this.rightValid = this.right.seekGE(key);
  }

  /** Moves to the next difference; false when there is none. */
  next(): boolean {
    if (!this.started) {
      this.started = true;
      this.leftValid = this.left.first();
      this.rightValid = this.right.first();
    }
    for (;;) {
      if (!this.leftValid && !this.rightValid) {
        this.current = undefined;
        return false;
      }
      const c = !this.leftValid ? 1 : !this.rightValid ? -1 : Buffer.compare(this.left.key(), this.right.key());
      if (c < 0) {
        this.current = { type: "removed", key: this.left.key(), left: this.left.value() };
        this.leftValid = this.left.next();
        return true;
      }
      if (c > 0) {
        this.current = { type: "added", key: this.right.key(), right: this.right.value() };
        this.rightValid = this.right.next();
        return true;
      }
      const l = this.left.value();
      const r = this.right.value();
      if (!l.equals(r) && !sameIdentity(l, r)) {
        this.current = { type: "changed", key: this.left.key(), left: l, right: r };
        this.leftValid = this.left.next();
        this.rightValid = this.right.next();
        return true;
      }
      this.leftValid = this.left.next();
      this.rightValid = this.right.next();
    }
  }

  value(): Difference {
    return this.current!;
  }

  close(): void {
    this.left.close();
    this.right.close();
  }
}

/** Up to `max` next differences from an iterator (fewer only at its end). */
export function takeDifferences(it: DiffIterator, max: number): Difference[] {
  const out: Difference[] = [];
  while (out.length < max && it.next()) out.push(it.value());
  return out;
}
