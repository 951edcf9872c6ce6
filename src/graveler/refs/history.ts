// Walks over commit history: the log and the merge base. Pure over a commit reader, which the ref manager
// backs with its commit cache, so repeated walks over the same ancestry do not touch the store.
import type { CommitId } from "../ids";
import type { Commit } from "./records";

export type ReadCommit = (id: CommitId) => Promise<Commit>;

/** Newest first: higher generation, then later creation, then the smaller ID. */
const logOrder = (a: Commit, b: Commit): number => b.generation - a.generation || b.creationDate - a.creationDate || (a.id < b.id ? -1 : 1);

/**
 * Commits reachable from `from`, newest first (first-parent only when asked), starting after the commit
 * `after`, at most `amount`.
 */
export async function walkLog(read: ReadCommit, from: CommitId, options: { firstParent?: boolean; after?: CommitId; amount: number }): Promise<Commit[]> {
  const out: Commit[] = [];
  const seen = new Set<string>([from]);
  const queue: Commit[] = [await read(from)];
  let skipping = options.after !== undefined;
  while (queue.length > 0 && out.length < options.amount) {
    queue.sort(logOrder);
    const c = queue.shift()!;
    if (!skipping) out.push(c);
    else if (c.id === options.after) skipping = false;
    const parents = options.firstParent ? c.parents.slice(0, 1) : c.parents;
    for (const p of parents) {
      if (seen.has(p)) continue;
      seen.add(p);
      queue.push(await read(p));
    }
  }
  return out;
}

const FROM_A = 1;
const FROM_B = 2;

/**
 * The best common ancestor of two commits: the one with the highest generation (the smaller ID on a tie).
 * Both ancestries are walked together, highest generation first. Every descendant of a commit has a higher
 * generation, so by the time a commit is taken from the queue it carries the marks of every side that reaches
 * it, and the first one marked by both sides is the answer: the walk stops there, never visiting the history
 * below the merge base.
 */
export async function findMergeBase(read: ReadCommit, a: CommitId, b: CommitId): Promise<Commit | undefined> {
  const marks = new Map<string, number>();
  const queue: Commit[] = [];
  const visit = async (id: CommitId, mark: number): Promise<void> => {
    const had = marks.get(id);
    if (had !== undefined) {
      marks.set(id, had | mark);
      return;
    }
    marks.set(id, mark);
    queue.push(await read(id));
  };
  await visit(a, FROM_A);
  await visit(b, FROM_B);
  while (queue.length) {
    queue.sort((x, y) => y.generation - x.generation || (x.id < y.id ? -1 : 1));
    const c = queue.shift()!;
    const mark = marks.get(c.id)!;
    if (mark === (FROM_A | FROM_B)) return c;
    for (const p of c.parents) await visit(p, mark);
  }
  return undefined;
}
