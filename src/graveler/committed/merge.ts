// Three-way merge of committed trees, expressed as changes to apply to the destination: for each key that
// differs between base and source (ranges equal in both are never read), compare the destination with both.
// Pure and synchronous over iterators, one batch of differences at a time, so that a merge of millions of
// changes holds one batch in memory.
import { sameIdentity } from "../entry";
import type { Change } from "./apply";
import type { Difference } from "./diff";
import type { ValueIterator } from "./iterator";

export type MergeStrategy = "none" | "source-wins" | "dest-wins";

const same = (a: Buffer | undefined, b: Buffer | undefined): boolean =>
  a === undefined || b === undefined ? a === b : a.equals(b) || sameIdentity(a, b);

/** Paths changed on both sides: a count, and the first few to show in the error. */
export class Conflicts {
  count = 0;
  readonly shown: Buffer[] = [];
  constructor(private readonly keep = 20) {}

  add(key: Buffer): void {
    this.count++;
    if (this.shown.length < this.keep) this.shown.push(key);
  }
}

/**
 * The changes that bring base→source differences onto the destination. `dest` moves forward only: batches must
 * come in key order. Conflicts are recorded (strategy "none") and produce no change.
 */
export function mergeBatch(baseToSource: readonly Difference[], dest: ValueIterator, strategy: MergeStrategy, conflicts: Conflicts): Change[] {
  const changes: Change[] = [];
  for (const d of baseToSource) {
    const destValue = dest.seekGE(d.key) && dest.key().equals(d.key) ? dest.value() : undefined;
    if (same(destValue, d.left)) {
      changes.push({ key: d.key, value: d.right });
    } else if (same(destValue, d.right)) {
      continue;
    } else if (strategy === "source-wins") {
      changes.push({ key: d.key, value: d.right });
    } else if (strategy === "none") {
      conflicts.add(d.key);
    }
  }
  return changes;
}
