// The paths a NONE merge refuses: both sides changed them differently since the merge base. Found by walking
// the two diffs from the base side by side (both come in key order), so memory stays bounded however large
// they are, and the walk stops once one more path than will be listed has been found.
import type { DiffEntry } from "../../graveler";

/** Two changes to one path agree when both remove it or both leave the same content (as entry identity). */
export function sameChange(a: DiffEntry, b: DiffEntry): boolean {
  if (a.type === "removed" || b.type === "removed") return a.type === b.type;
  const id = (e: DiffEntry["entry"]) => JSON.stringify([e.size, e.etag, e.contentType ?? "", Object.entries(e.metadata ?? {}).sort()]);
  return id(a.entry) === id(b.entry);
}

async function* changesOf(pages: AsyncIterable<DiffEntry[]>): AsyncGenerator<DiffEntry> {
  for await (const page of pages) yield* page;
}

/** Keys are ordered by their bytes, as the engine stores them. */
const byKey = (a: string, b: string) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));

/**
 * Paths changed differently on both sides, in order: at most `limit` of them, and whether there were more.
 * `theirs` and `ours` are the diffs from the merge base to each side.
 */
export async function conflictingPaths(theirs: AsyncIterable<DiffEntry[]>, ours: AsyncIterable<DiffEntry[]>, limit: number): Promise<{ paths: string[]; truncated: boolean }> {
  const a = changesOf(theirs);
  const b = changesOf(ours);
  const paths: string[] = [];
  try {
    let x = await a.next();
    let y = await b.next();
    while (!x.done && !y.done) {
      const order = byKey(x.value.path, y.value.path);
      if (order < 0) x = await a.next();
      else if (order > 0) y = await b.next();
      else {
        if (!sameChange(x.value, y.value)) {
          if (paths.length === limit) return { paths, truncated: true };
          paths.push(x.value.path);
        }
        [x, y] = await Promise.all([a.next(), b.next()]);
      }
    }
    return { paths, truncated: false };
  } finally {
    // Closes the engine's iterators when the walk stopped early.
    await Promise.all([a.return(undefined), b.return(undefined)]);
  }
}
