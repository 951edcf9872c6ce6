// RefService: diffs (streamed in batches) and merge.
import { invalidArgument, TarnError } from "../../errors";
import { type CommitId, repositoryId } from "../../graveler";
import { conflictingPaths } from "./conflicts";
import { CONFLICTS_TRAILER, encodeMessage, messageType } from "../proto";
import { TrailedError } from "../status";
import { BATCH, windowedBatches } from "./diff-window";
import { ServiceDeps, ServiceHandlers, stream, unary } from "../handler";
import type { DiffRequest, DiffUncommittedRequest, MergeRequest, MergeStrategy } from "../messages";

const MAX_CONFLICTS_LISTED = 1000;

const STRATEGY: Record<MergeStrategy, "none" | "source-wins" | "dest-wins"> = {
  MERGE_STRATEGY_NONE: "none",
  MERGE_STRATEGY_SOURCE_WINS: "source-wins",
  MERGE_STRATEGY_DEST_WINS: "dest-wins",
};

export { windowDiff } from "./diff-window";

export function refService({ graveler }: ServiceDeps): ServiceHandlers {
  /** Paths both sides changed differently since their merge base (what a NONE merge refuses), a page of them. */
  const conflicts = async (repo: string, sourceRef: string, destCommit: string): Promise<{ paths: string[]; truncated: boolean }> => {
    const source = await graveler.getCommit(repo, sourceRef);
    const base = await graveler.refs.mergeBase(repositoryId(repo), source.id, destCommit as CommitId);
    if (!base) return { paths: [], truncated: false };
    const pages = (to: string) => graveler.diffPages(repo, base.id, to, { amount: BATCH });
    return conflictingPaths(pages(source.id), pages(destCommit), MAX_CONFLICTS_LISTED);
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
      yield* windowedBatches(graveler.diffPages(r.repository, left, r.rightRef, { after: r.after || undefined, amount: BATCH }), r);
    }),
    DiffUncommitted: stream(async function* (r: DiffUncommittedRequest) {
      yield* windowedBatches(graveler.diffUncommittedPages(r.repository, r.branch, { after: r.after || undefined, amount: BATCH }), r);
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
          const found = await conflicts(r.repository, r.sourceRef, before.commitId);
          if (found.paths.length === 0) throw err;
          const trailer = encodeMessage(messageType("MergeConflicts"), found);
          throw new TrailedError(err, { [CONFLICTS_TRAILER]: trailer });
        });
      // Counted page by page: a merge of millions of changes does not hold them.
      const summary = { added: 0, removed: 0, changed: 0, conflict: 0 };
      for await (const page of graveler.diffPages(r.repository, before.commitId, commit.id, { amount: BATCH })) for (const c of page) summary[c.type]++;
      return { reference: commit.id, summary };
    }),
  };
}
