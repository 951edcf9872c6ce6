// Operations that apply one tree's changes onto a branch three-way: merge, revert and cherry-pick. Each refuses
// a branch with uncommitted changes, computes the result from committed trees only, and moves the branch with
// one compare-and-set.
import { failedPrecondition, invalidArgument } from "../errors";
import type { MergeStrategy } from "./committed/merge";
import { Engine, repoOf } from "./engine";
import { BranchId, branchId, MetaRangeId } from "./ids";
import type { Branch } from "./refs/manager";
import type { Commit, Repository } from "./refs/records";

export interface MergeOptions {
  strategy?: MergeStrategy;
  message?: string;
  committer?: string;
  metadata?: Record<string, string>;
}

type CommitFields = Omit<Commit, "id" | "generation" | "creationDate" | "metaRangeId">;

async function cleanBranch(e: Engine, repo: Repository, id: BranchId, operation: string): Promise<Branch> {
  const b = await e.refs.getBranch(repo.id, id);
  if (b.record.sealedTokens.length > 0 || !(await e.staging.isEmpty(b.record.stagingToken))) {
    throw failedPrecondition(`${operation} refused: branch ${id} of repository ${repo.id} has uncommitted changes (commit or reset them first)`);
  }
  return b;
}

/** Applies base→source onto the branch head three-way and commits the result with the given parents. */
async function applyThreeWay(e: Engine, repo: Repository, dest: Branch, base: MetaRangeId, source: MetaRangeId, strategy: MergeStrategy, fields: CommitFields, parentGeneration: number): Promise<Commit> {
  const head = await e.refs.getCommit(repo.id, dest.record.commitId);
  const result = await e.committed.merge(repoOf(repo), base, source, head.metaRangeId, strategy);
  const made = e.makeCommit({ ...fields, metaRangeId: result.metaRangeId }, parentGeneration);
  await e.refs.updateBranch(repo.id, dest, { ...dest.record, commitId: made.id }, [e.refs.commitMutation(repo.id, made)]);
  return made;
}

export async function merge(e: Engine, repoName: string, sourceRef: string, destBranch: string, options: MergeOptions = {}): Promise<Commit> {
  const repo = await e.getRepository(repoName);
  const strategy = options.strategy ?? "none";
  if (!["none", "source-wins", "dest-wins"].includes(strategy)) throw invalidArgument(`invalid merge strategy ${JSON.stringify(strategy)}: use none, source-wins or dest-wins`);
  const destId = branchId(destBranch);
  const source = await e.refs.getCommit(repo.id, (await e.refs.resolve(repo.id, sourceRef)).commitId);
  const dest = await cleanBranch(e, repo, destId, `merge into ${destId}`);
  const destHead = await e.refs.getCommit(repo.id, dest.record.commitId);
  const base = await e.refs.mergeBase(repo.id, source.id, destHead.id);
  if (!base) throw failedPrecondition(`merge refused: ${sourceRef} and ${destId} have no common ancestor in repository ${repo.id}`);
  if (base.id === source.id) throw failedPrecondition(`merge refused: no changes, ${sourceRef} is already merged into ${destId}`);
  return applyThreeWay(
    e, repo, dest, base.metaRangeId, source.metaRangeId, strategy,
    { committer: options.committer ?? "", message: options.message ?? `Merge '${sourceRef}' into '${destId}'`, parents: [destHead.id, source.id], metadata: options.metadata ?? {} },
    Math.max(destHead.generation, source.generation),
  );
}

async function parentOf(e: Engine, repo: Repository, commit: Commit, parentNumber: number | undefined, operation: string): Promise<Commit> {
  if (commit.parents.length === 0) throw failedPrecondition(`${operation} refused: commit ${commit.id} has no parent`);
  if (commit.parents.length > 1 && parentNumber === undefined) throw invalidArgument(`${operation}: commit ${commit.id} is a merge; give a parent number (1 to ${commit.parents.length})`);
  const n = parentNumber ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > commit.parents.length) throw invalidArgument(`${operation}: parent number ${n} out of range 1 to ${commit.parents.length}`);
  return e.refs.getCommit(repo.id, commit.parents[n - 1]);
}

/** Makes a commit on the branch that undoes the changes a commit made relative to one of its parents. */
export async function revert(e: Engine, repoName: string, branch: string, ref: string, options: { parentNumber?: number; committer?: string; message?: string } = {}): Promise<Commit> {
  const repo = await e.getRepository(repoName);
  const id = branchId(branch);
  const target = await e.refs.getCommit(repo.id, (await e.refs.resolve(repo.id, ref)).commitId);
  const parent = await parentOf(e, repo, target, options.parentNumber, "revert");
  const dest = await cleanBranch(e, repo, id, `revert on ${id}`);
  const head = await e.refs.getCommit(repo.id, dest.record.commitId);
  return applyThreeWay(e, repo, dest, target.metaRangeId, parent.metaRangeId, "none",
    { committer: options.committer ?? "", message: options.message ?? `Revert ${target.id}`, parents: [head.id], metadata: {} }, head.generation);
}

/** Applies the changes a commit made (relative to one of its parents) onto a branch as a new commit. */
export async function cherryPick(e: Engine, repoName: string, ref: string, branch: string, options: { parentNumber?: number; committer?: string } = {}): Promise<Commit> {
  const repo = await e.getRepository(repoName);
  const id = branchId(branch);
  const target = await e.refs.getCommit(repo.id, (await e.refs.resolve(repo.id, ref)).commitId);
  const parent = await parentOf(e, repo, target, options.parentNumber, "cherry-pick");
  const dest = await cleanBranch(e, repo, id, `cherry-pick onto ${id}`);
  const head = await e.refs.getCommit(repo.id, dest.record.commitId);
  return applyThreeWay(e, repo, dest, parent.metaRangeId, target.metaRangeId, "none",
    { committer: options.committer ?? target.committer, message: target.message, parents: [head.id], metadata: { ...target.metadata, cherry_picked_from: target.id } }, head.generation);
}
