// RefService: diffs (streamed in batches) and merge.
import { invalidArgument, TarnError } from "../../errors";
import { type CommitId, type DiffEntry, pathPrefix, repositoryId } from "../../graveler";
import { CONFLICTS_TRAILER, encodeMessage, messageType } from "../proto";
import { TrailedError } from "../status";
import { commonPrefixStats, differenceMessage, pagination } from "../convert";
import { ServiceDeps, ServiceHandlers, stream, unary } from "../handler";
import type { Difference, DiffRequest, DiffUncommittedRequest, MergeRequest, MergeStrategy } from "../messages";

const BATCH = 1000;
const MAX_CONFLICTS_LISTED = 1000;

/** Two changes to one path agree when both remove it or both leave the same content (as entry identity). */
function sameChange(a: DiffEntry, b: DiffEntry): boolean {
  if (a.type === "removed" || b.type === "removed") return a.type === b.type;
  const id = (e: DiffEntry["entry"]) => JSON.stringify([e.size, e.etag, e.contentType ?? "", Object.entries(e.metadata ?? {}).sort()]);
  return id(a.entry) === id(b.entry);
}

const STRATEGY: Record<MergeStrategy, "none" | "source-wins" | "dest-wins"> = {
  MERGE_STRATEGY_NONE: "none",
  MERGE_STRATEGY_SOURCE_WINS: "source-wins",
  MERGE_STRATEGY_DEST_WINS: "dest-wins",
};

interface Window {
  prefix: string;
  delimiter: string;
  after: string;
  amount: number;
}

/** Pure: applies prefix, after, delimiter grouping and amount to sorted changes. */
export function windowDiff(changes: DiffEntry[], w: Window): { results: Difference[]; hasMore: boolean } {
  const prefix = pathPrefix(w.prefix);
  const delimiter = pathPrefix(w.delimiter, "delimiter");
  const limit = w.amount === 0 ? Infinity : w.amount;
  const results: Difference[] = [];
  for (const d of changes) {
    if (!d.path.startsWith(prefix) || (w.after !== "" && d.path <= w.after)) continue;
    const at = delimiter === "" ? -1 : d.path.indexOf(delimiter, prefix.length);
    if (at >= 0) {
      const common = d.path.slice(0, at + delimiter.length);
      if (results.at(-1)?.path === common || (w.after !== "" && common <= w.after && w.after.startsWith(common))) continue;
      if (results.length >= limit) return { results, hasMore: true };
      results.push({ type: d.type === "added" ? "CHANGE_TYPE_ADDED" : d.type === "removed" ? "CHANGE_TYPE_REMOVED" : "CHANGE_TYPE_CHANGED", path: common, pathType: "PATH_TYPE_COMMON_PREFIX", entry: commonPrefixStats(common) });
      continue;
    }
    if (results.length >= limit) return { results, hasMore: true };
    results.push(differenceMessage(d));
  }
  return { results, hasMore: false };
}

function* batches(found: { results: Difference[]; hasMore: boolean }, amount: number) {
  const { results, hasMore } = found;
  for (let i = 0; i < results.length || i === 0; i += BATCH) {
    const chunk = results.slice(i, i + BATCH);
    const last = i + BATCH >= results.length;
    yield { results: chunk, pagination: last ? pagination(results.length, hasMore, results.at(-1)?.path ?? "", amount) : null };
  }
}

export function refService({ graveler }: ServiceDeps): ServiceHandlers {
  /** Paths both sides changed differently since their merge base (what a NONE merge refuses). */
  const conflictPaths = async (repo: string, sourceRef: string, destCommit: string): Promise<string[]> => {
    const source = await graveler.getCommit(repo, sourceRef);
    const base = await graveler.refs.mergeBase(repositoryId(repo), source.id, destCommit as CommitId);
    if (!base) return [];
    const [theirs, ours] = await Promise.all([graveler.diff(repo, base.id, source.id), graveler.diff(repo, base.id, destCommit)]);
    const mine = new Map(ours.map((d) => [d.path, d]));
    return theirs.filter((d) => mine.has(d.path) && !sameChange(d, mine.get(d.path)!)).map((d) => d.path);
  };

  return {
    Diff: stream(async function* (r: DiffRequest) {
      if (r.leftRef === "" || r.rightRef === "") throw invalidArgument("left_ref and right_ref are both required");
      const repo = await graveler.getRepository(r.repository);
      let left = r.leftRef;
      if (r.type !== "DIFF_TYPE_TWO_DOT") {
        // Three-dot: what the right side changed since the two diverged, as a merge would apply it.
        const [l, rr] = await Promise.all([graveler.getCommit(r.repository, r.leftRef), graveler.getCommit(r.repository, r.rightRef)]);
        const base = await graveler.refs.mergeBase(repositoryId(repo.id), l.id, rr.id);
        if (base) left = base.id;
      }
      const changes = await graveler.diff(r.repository, left, r.rightRef);
      yield* batches(windowDiff(changes, r), r.amount);
    }),
    DiffUncommitted: stream(async function* (r: DiffUncommittedRequest) {
      const changes = await graveler.diffUncommitted(r.repository, r.branch);
      changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      yield* batches(windowDiff(changes, r), r.amount);
    }),
    Merge: unary(async (r: MergeRequest, ctx) => {
      if (r.sourceRef === "" || r.destinationBranch === "") throw invalidArgument("source_ref and destination_branch are both required");
      const strategy = STRATEGY[r.strategy];
      if (!strategy) throw invalidArgument(`unknown merge strategy ${String(r.strategy)}`);
      const before = await graveler.getBranch(r.repository, r.destinationBranch);
      if (r.allowEmpty) {
        // Already merged: with allow_empty that is a success that changes nothing.
        const source = await graveler.getCommit(r.repository, r.sourceRef);
        const base = await graveler.refs.mergeBase(repositoryId(r.repository), source.id, before.commitId);
        if (base?.id === source.id) return { reference: before.commitId, summary: { added: 0, removed: 0, changed: 0, conflict: 0 } };
      }
      const commit = await graveler
        .merge(r.repository, r.sourceRef, r.destinationBranch, { strategy, message: r.message || undefined, committer: ctx.caller.user.id, metadata: { ...r.metadata } })
        .catch(async (err: unknown) => {
          if (!(err instanceof TarnError) || err.code !== "FAILED_PRECONDITION" || strategy !== "none") throw err;
          const paths = await conflictPaths(r.repository, r.sourceRef, before.commitId);
          if (paths.length === 0) throw err;
          const shown = paths.slice(0, MAX_CONFLICTS_LISTED);
          const trailer = encodeMessage(messageType("MergeConflicts"), { paths: shown, truncated: paths.length > shown.length });
          throw new TrailedError(err, { [CONFLICTS_TRAILER]: trailer });
        });
      const changes = await graveler.diff(r.repository, before.commitId, commit.id);
      const count = (t: DiffEntry["type"]) => changes.filter((c) => c.type === t).length;
      return { reference: commit.id, summary: { added: count("added"), removed: count("removed"), changed: count("changed"), conflict: 0 } };
    }),
  };
}
