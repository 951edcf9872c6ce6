// Staging writes as one proposal. The repository and branch records are read together (their linearizable
// reads share one ReadIndex round), and the write carries both records as preconditions that the state
// machine checks when it applies the command: a branch whose staging token moved (a commit sealed it) or a
// repository deleted meanwhile fails the write, which then re-reads and retries, so the mutations always
// land in the token the branch has at that moment, and never half of them.
import { failedPrecondition, hasCode, notFound } from "../errors";
import { branchId as toBranchId, repositoryId as toRepositoryId, type Graveler, type KvMutation, type KvStore, type Repository } from "../graveler";
import { keys } from "../graveler/keys";
import type { Branch } from "../graveler/refs/manager";
import { decodeRecord } from "../graveler/refs/records";

/** Compare-and-set attempts before a write racing commits gives up (as graveler's own staging). */
const STAGE_RETRIES = 20;

export interface StagingTarget {
  repository: Repository;
  branch: Branch;
  /** The repository record as stored: the write's precondition. */
  repositoryRaw: Buffer;
}

/** A repository record and, when it exists, one of its branches, read in the same turn (one ReadIndex round). */
export async function repositoryAndBranch(kv: KvStore, graveler: Graveler, repository: string, branch: string): Promise<{ repository: Repository; repositoryRaw: Buffer; branch: Branch | undefined }> {
  const repoId = toRepositoryId(repository);
  let branchError: unknown;
  let branchRead: Promise<Branch | undefined> | undefined;
  try {
    branchRead = graveler.refs.findBranch(repoId, toBranchId(branch));
    branchRead.catch(() => undefined); // awaited below, after the repository's answer
  } catch (err) {
    branchError = err;
  }
  const repoRecord = await kv.get(keys.repository(repoId));
  if (!repoRecord) throw notFound(`repository ${repoId} not found`);
  if (branchError !== undefined) throw branchError;
  return { repository: decodeRecord<Repository>(repoRecord.value, `repository ${repoId}`), repositoryRaw: repoRecord.value, branch: await branchRead! };
}

/**
 * The repository and branch of a staging call. Errors come in the order a caller expects them: an invalid
 * repository name, a missing repository, an invalid branch name, a missing branch.
 */
export async function stagingTarget(kv: KvStore, graveler: Graveler, repository: string, branch: string): Promise<StagingTarget> {
  const found = await repositoryAndBranch(kv, graveler, repository, branch);
  if (!found.branch) throw notFound(`branch ${branch} not found in repository ${found.repository.id}`);
  return { ...found, branch: found.branch };
}

/**
 * Writes `mutations(token)` into the branch's current staging token, conditional on the branch and repository
 * records being those of `target`; on a lost race re-reads the branch and tries again.
 */
export async function stageOnBranch(kv: KvStore, graveler: Graveler, target: StagingTarget, mutations: (token: Branch["record"]["stagingToken"]) => KvMutation[]): Promise<void> {
  const repoId = target.repository.id;
  let branch = target.branch;
  for (let attempt = 0; ; attempt++) {
    try {
      await kv.write({
        preconditions: [
          { key: keys.repository(repoId), equals: target.repositoryRaw },
          { key: keys.branch(repoId, branch.id), equals: branch.raw },
        ],
        mutations: mutations(branch.record.stagingToken),
      });
      return;
    } catch (err) {
      if (!hasCode(err, "FAILED_PRECONDITION") || attempt >= STAGE_RETRIES) throw err;
    }
    const again = await stagingTarget(kv, graveler, repoId, branch.id);
    if (!again.repositoryRaw.equals(target.repositoryRaw)) throw failedPrecondition(`repository ${repoId} was deleted and created again while staging`);
    branch = again.branch;
  }
}
