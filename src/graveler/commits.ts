// Commits: sealing a branch's staging token, applying the sealed changes to the head's tree, and moving the
// branch by compare-and-set; and the bulk path that commits a whole sorted tree at once.
import { failedPrecondition, hasCode, invalidArgument } from "../errors";
import { Engine, newToken, repoOf, STAGE_RETRIES } from "./engine";
import { BranchId, branchId } from "./ids";
import type { Branch } from "./refs/manager";
import type { BranchRecord, Commit, Repository } from "./refs/records";
import { stagedChunks } from "./staging/cursor";

export interface CommitOptions {
  message: string;
  committer?: string;
  metadata?: Record<string, string>;
  allowEmpty?: boolean;
}

/**
 * Commits a branch's staged changes. The staging token is sealed first (new writes go to a fresh token and
 * land in the next commit); the head moves by compare-and-set, so of two concurrent commits one wins and the
 * other is refused, its sealed changes included in the winner.
 */
export async function commit(e: Engine, repoName: string, branch: string, options: CommitOptions): Promise<Commit> {
  const repo = await e.getRepository(repoName);
  const id = branchId(branch);
  if (typeof options.message !== "string") throw invalidArgument("commit message is required");
  const sealed = await seal(e, repo, id, options.allowEmpty ?? false);
  const head = await e.refs.getCommit(repo.id, sealed.record.commitId);
  const result = await e.committed.apply(repoOf(repo), head.metaRangeId, stagedChunks(e.staging, sealed.record.sealedTokens));
  const unchanged = result.metaRangeId === head.metaRangeId;
  const done: BranchRecord = { commitId: head.id, stagingToken: sealed.record.stagingToken, sealedTokens: [] };
  if (unchanged && !options.allowEmpty) {
    // Every sealed change was a no-op: unseal so that nothing visible changed, then refuse.
    await e.refs.updateBranch(repo.id, sealed, done).catch(() => undefined);
    e.dropTokens(sealed.record.sealedTokens);
    throw failedPrecondition(`no changes to commit on branch ${id} of repository ${repo.id}`);
  }
  const commit = e.makeCommit(
    { committer: options.committer ?? "", message: options.message, metaRangeId: result.metaRangeId, parents: [head.id], metadata: options.metadata ?? {} },
    head.generation,
  );
  try {
    await e.refs.updateBranch(repo.id, sealed, { ...done, commitId: commit.id }, [e.refs.commitMutation(repo.id, commit)]);
  } catch (err) {
    if (hasCode(err, "FAILED_PRECONDITION")) throw failedPrecondition(`commit on branch ${id} of repository ${repo.id} refused: the branch moved while committing (a concurrent commit or reset); its changes were not lost, retry if anything is left`, err);
    throw err;
  }
  e.dropTokens(sealed.record.sealedTokens);
  return commit;
}

/** Seals the branch's staging token (retrying when the branch moves meanwhile); refuses when nothing is staged. */
async function seal(e: Engine, repo: Repository, id: BranchId, allowEmpty: boolean): Promise<Branch> {
  for (let attempt = 0; ; attempt++) {
    const before = await e.refs.getBranch(repo.id, id);
    const pending = before.record.sealedTokens.length > 0 || !(await e.staging.isEmpty(before.record.stagingToken));
    if (!pending && !allowEmpty) throw failedPrecondition(`no changes to commit on branch ${id} of repository ${repo.id}`);
    try {
      return await e.refs.updateBranch(repo.id, before, {
        commitId: before.record.commitId,
        stagingToken: newToken(),
        sealedTokens: [before.record.stagingToken, ...before.record.sealedTokens],
      });
    } catch (err) {
      if (!hasCode(err, "FAILED_PRECONDITION") || attempt >= STAGE_RETRIES) throw err;
    }
  }
}

/** Bulk path: makes a commit on a branch straight from sorted [path, entry] pairs, replacing its tree. */
export async function importCommit(e: Engine, repoName: string, branch: string, entries: Iterable<[Buffer, Buffer]>, options: CommitOptions): Promise<Commit> {
  const repo = await e.getRepository(repoName);
  const b = await e.refs.getBranch(repo.id, branchId(branch));
  const head = await e.refs.getCommit(repo.id, b.record.commitId);
  const metaRangeId = await e.committed.importSorted(repoOf(repo), entries);
  const commit = e.makeCommit({ committer: options.committer ?? "", message: options.message, metaRangeId, parents: [head.id], metadata: options.metadata ?? {} }, head.generation);
  await e.refs.updateBranch(repo.id, b, { ...b.record, commitId: commit.id }, [e.refs.commitMutation(repo.id, commit)]);
  return commit;
}
