// Three-way merge of committed trees, expressed as changes to apply to the destination: for each key that
// differs between base and source (ranges equal in both are never read), compare the destination with both.
// Pure and synchronous over iterators.
import { sameIdentity } from "../entry";
import type { Change } from "./apply";
import type { Difference } from "./diff";
import type { ValueIterator } from "./iterator";

export type MergeStrategy = "none" | "source-wins" | "dest-wins";

const same = (a: Buffer | undefined, b: Buffer | undefined): boolean =>
  a === undefined || b === undefined ? a === b : sameIdentity(a, b);

export function mergeChanges(
  baseToSource: readonly Difference[],
  dest: ValueIterator,
  strategy: MergeStrategy,
): { changes: Change[]; conflicts: Buffer[] } {
  const changes: Change[] = [];
  const conflicts: Buffer[] = [];
  for (const d of baseToSource) {
    const destValue = dest.seekGE(d.key) && dest.key().equals(d.key) ? Buffer.from(dest.value()) : undefined;
    if (same(destValue, d.left)) {
      changes.push({ key: d.key, value: d.right });
    } else if (same(destValue, d.right)) {
      continue;
    } else if (strategy === "source-wins") {
      changes.push({ key: d.key, value: d.right });
    } else if (strategy === "none") {
      conflicts.push(d.key);
    }
  }
  dest.close();
  return { changes, conflicts };
}
