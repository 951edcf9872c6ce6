// Differences between refs, and a branch's uncommitted changes. Both stream: pages are produced from iterators
// over iterators (committed ranges equal on both sides are skipped whole; staged entries are read a chunk at a
// time), so a diff of millions of changes never sits in memory.
import type { StreamStats } from "./committed/manager";
import type { Difference } from "./committed/diff";
import { decodeEntry, Entry, sameIdentity } from "./entry";
import { Engine, pageSize, repoOf } from "./engine";
import { branchId, pathPrefix } from "./ids";
import type { Repository } from "./refs/records";
import { stagedChunks } from "./staging/cursor";

export interface DiffEntry {
  type: "added" | "removed" | "changed";
  path: string;
  /** The entry on the right side (the left one for "removed"). */
  entry: Entry;
}

export interface DiffPageOptions {
  /** Start strictly after this path. */
  after?: string;
  /** Page size, 1 to 100,000 (default 1,000). */
  amount?: number;
  /** Filled with the most changes held in memory at once while streaming. */
  stats?: StreamStats;
}

/** Staged entries read (and compared with the head commit) at a time by an uncommitted diff. */
const STAGED_CHUNK = 5000;

function toDiffEntry(repo: Repository, d: Difference): DiffEntry {
  const value = d.type === "removed" ? d.left : d.right;
  return { type: d.type, path: d.key.toString("utf8"), entry: decodeEntry(value!, `entry ${d.key.toString()} of repository ${repo.id}`) };
}

const afterKey = (after: string | undefined) => (after ? Buffer.from(pathPrefix(after, "after")) : undefined);

/** Differences between the committed states of two refs (staging is not included), page by page. */
export async function* diffPages(e: Engine, repoName: string, leftRef: string, rightRef: string, options: DiffPageOptions = {}): AsyncGenerator<DiffEntry[]> {
  const repo = await e.getRepository(repoName);
  const size = pageSize(options.amount, 1000);
  const after = afterKey(options.after);
  const [l, r] = await Promise.all([leftRef, rightRef].map((ref) => e.refs.resolve(repo.id, ref)));
  const [lc, rc] = await Promise.all([l, r].map((x) => e.refs.getCommit(repo.id, x.commitId)));
  for await (const batch of e.committed.diffBatches(repoOf(repo), lc.metaRangeId, rc.metaRangeId, { after, batch: size, stats: options.stats })) {
    yield batch.map((d) => toDiffEntry(repo, d));
  }
}

/** The uncommitted changes of a branch (staged entries that differ from its head commit), page by page. */
export async function* diffUncommittedPages(e: Engine, repoName: string, branch: string, options: DiffPageOptions = {}): AsyncGenerator<DiffEntry[]> {
  const repo = await e.getRepository(repoName);
  const size = pageSize(options.amount, 1000);
  const after = afterKey(options.after);
  const b = await e.refs.getBranch(repo.id, branchId(branch));
  const head = await e.refs.getCommit(repo.id, b.record.commitId);
  let pending: DiffEntry[] = [];
  for await (const chunk of stagedChunks(e.staging, [b.record.stagingToken, ...b.record.sealedTokens], STAGED_CHUNK, after)) {
    const committed = await e.committed.getMany(repoOf(repo), head.metaRangeId, chunk.map((c) => c.key));
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      const old = committed[i];
      if (c.value === undefined && old === undefined) continue;
      if (c.value !== undefined && old !== undefined && sameIdentity(c.value, old)) continue;
      const type = c.value === undefined ? "removed" : old === undefined ? "added" : "changed";
      pending.push(toDiffEntry(repo, { type, key: c.key, left: old, right: c.value }));
      if (options.stats) options.stats.maxBuffered = Math.max(options.stats.maxBuffered, pending.length + chunk.length);
      if (pending.length === size) {
        yield pending;
        pending = [];
      }
    }
  }
  if (pending.length > 0) yield pending;
}

/** The first page of a stream, or (without an amount) everything it yields. */
export async function collect(pages: AsyncGenerator<DiffEntry[]>, paged: boolean): Promise<DiffEntry[]> {
  const out: DiffEntry[] = [];
  for await (const page of pages) {
    for (const d of page) out.push(d);
    if (paged) break; // leaving the loop closes the stream and its iterators
  }
  return out;
}
