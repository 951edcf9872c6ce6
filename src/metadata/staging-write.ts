// Staging writes as one proposal. The write carries the repository and branch records it was built from as
// preconditions that the state machine checks when it applies the command: a branch whose staging token
// moved (a commit sealed it) or a repository deleted meanwhile fails the write, which then re-reads (now
// linearizably) and retries, so the mutations always land in the token the branch has at that moment, and
// never half of them. Since a stale read can only make that check fail, the first read of the two records
// may be this member's database as it is, without ReadIndex (ServiceDeps.memberReads); without a member
// beside the service, they are read together through the linearizable store (one shared ReadIndex round).
import { failedPrecondition, hasCode, notFound, type TarnError } from "../errors";
import { branchId as toBranchId, repositoryId as toRepositoryId, type BranchId, type KvMutation, type KvPrecondition, type KvStore, type Repository } from "../graveler";
import { keys } from "../graveler/keys";
import type { Branch } from "../graveler/refs/manager";
import { decodeRecord, type BranchRecord } from "../graveler/refs/records";
import type { ServiceDeps } from "./handler";

/** Compare-and-set attempts before a write racing commits gives up (as graveler's own staging). */
export const STAGE_RETRIES = 20;

export interface RepositoryAndBranch {
  repository: Repository;
  /** The repository record as stored: a write's precondition. */
  repositoryRaw: Buffer;
  branch: Branch | undefined;
}

export interface StagingTarget extends RepositoryAndBranch {
  branch: Branch;
}

type Reads = Pick<ServiceDeps, "kv" | "memberReads">;

/**
 * A repository record and, when both exist, one of its branches, read from `store` in the same turn (one
 * ReadIndex round on a linearizable store). Errors come in the order a caller expects: an invalid repository
 * name, an invalid branch name (only once the repository exists), nothing else; undefined when the
 * repository does not exist.
 */
async function readRecords(store: KvStore, repository: string, branch: string): Promise<RepositoryAndBranch | undefined> {
  const repoId = toRepositoryId(repository);
  let branchError: unknown;
  let branchRead: Promise<{ value: Buffer } | undefined> | undefined;
  let id: BranchId | undefined;
  try {
    id = toBranchId(branch);
    branchRead = store.get(keys.branch(repoId, id));
    branchRead.catch(() => undefined); // awaited below, after the repository's answer
  } catch (err) {
    branchError = err;
  }
  const repoRecord = await store.get(keys.repository(repoId));
  if (!repoRecord) return undefined;
  if (branchError !== undefined) throw branchError;
  const b = await branchRead!;
  return {
    repository: decodeRecord<Repository>(repoRecord.value, `repository ${repoId}`),
    repositoryRaw: repoRecord.value,
    branch: b && { id: id!, record: decodeRecord<BranchRecord>(b.value, `branch ${repoId}/${id}`), raw: b.value },
  };
}

/**
 * The repository and, when it exists, the branch, for a write whose preconditions hold both records: read
 * from this member's database first when there is one (no ReadIndex), linearizably when that finds nothing or
 * `fresh` is asked for. NOT_FOUND for a missing repository.
 */
export async function repositoryAndBranch(deps: Reads, repository: string, branch: string, fresh = false): Promise<RepositoryAndBranch> {
  const member = fresh ? undefined : deps.memberReads?.();
  if (member) {
    const quick = await readRecords(member.local, repository, branch);
    if (quick?.branch) return quick;
  }
  const found = await readRecords(deps.kv, repository, branch);
  if (!found) throw notFound(`repository ${toRepositoryId(repository)} not found`);
  return found;
}

/**
 * A guard for S3's If-None-Match: * (StageObject if_absent): refuses when `path` exists through the branch,
 * else makes the write conditional on the path's staged record staying as it was read. Together with the
 * branch record (head commit and sealed tokens unchanged) that makes check and write one atomic step: of
 * concurrent writers of a new path exactly one wins.
 */
export function absentGuard(deps: Reads, exists: (target: StagingTarget) => Promise<boolean>, path: string): StagingGuard {
  return async (target) => {
    const key = keys.staged(target.branch.record.stagingToken, path);
    const [found, staged] = await Promise.all([exists(target), deps.kv.get(key)]);
    if (found) throw pathExists(target, path);
    return [staged ? { key, equals: staged.value } : { key, absent: true }];
  };
}

/** What an if_absent write gets when its path exists through the branch. */
export function pathExists(target: StagingTarget, path: string): TarnError {
  return failedPrecondition(`object ${path} already exists on branch ${target.branch.id} of repository ${target.repository.id} (if_absent)`);
}

/** The repository and branch of a staging call: as repositoryAndBranch, NOT_FOUND for a missing branch too. */
export async function stagingTarget(deps: Reads, repository: string, branch: string, fresh = false): Promise<StagingTarget> {
  const found = await repositoryAndBranch(deps, repository, branch, fresh);
  if (!found.branch) throw notFound(`branch ${branch} not found in repository ${found.repository.id}`);
  return { ...found, branch: found.branch };
}

/**
 * More preconditions for one attempt of a staging write, built against that attempt's target (they may throw
 * to refuse the write outright, e.g. FAILED_PRECONDITION for an object that already exists).
 */
export type StagingGuard = (target: StagingTarget) => Promise<KvPrecondition[]>;

/**
 * Writes `mutations(token)` into the branch's current staging token, conditional on the branch and repository
 * records being those of `target` (and on what `guard` adds); on a lost race re-reads both linearizably and
 * tries again.
 */
export async function stageOnBranch(deps: Reads, target: StagingTarget, mutations: (token: BranchRecord["stagingToken"]) => KvMutation[], guard?: StagingGuard): Promise<void> {
  const repoId = target.repository.id;
  let current = target;
  for (let attempt = 0; ; attempt++) {
    const guarded = guard ? await guard(current) : [];
    try {
      await deps.kv.write({
        preconditions: [
          { key: keys.repository(repoId), equals: current.repositoryRaw },
          { key: keys.branch(repoId, current.branch.id), equals: current.branch.raw },
          ...guarded,
        ],
        mutations: mutations(current.branch.record.stagingToken),
      });
      return;
    } catch (err) {
      if (!hasCode(err, "FAILED_PRECONDITION") || attempt >= STAGE_RETRIES) throw err;
    }
    const again = await stagingTarget(deps, repoId, current.branch.id, true);
    if (again.repository.storageNamespace !== target.repository.storageNamespace) {
      throw failedPrecondition(`repository ${repoId} was deleted and created again over another storage namespace while staging`);
    }
    current = again;
  }
}
