// BranchService: branches, resets (soft and hard), revert and cherry-pick.
import { failedPrecondition, hasCode, invalidArgument } from "../../errors";
import { branchId, path as validPath, repositoryId, type BranchId, type BranchRecord, type CommitId } from "../../graveler";
import { newToken } from "../../graveler/engine";
import { encodeRecord } from "../../graveler/refs/records";
import { keys } from "../../graveler/keys";
import { commitMessage, pageSize, pagination, prefixedPage } from "../convert";
import { ServiceDeps, ServiceHandlers, unary } from "../handler";
import { repositoryAndBranch } from "../staging-write";
import { itemError, perItemErrors } from "../status";
import type {
  CherryPickRequest, CreateBranchesRequest, CreateBranchRequest, DeleteBranchRequest, GetBranchRequest, HardResetBranchRequest, ListBranchesRequest,
  ResetBranchRequest, RevertCommitRequest,
} from "../messages";

const MAX_CREATED = 1000;
/** Errors that concern one branch of a CreateBranches call. */
const perBranch = perItemErrors("NOT_FOUND", "INVALID_ARGUMENT", "ALREADY_EXISTS", "FAILED_PRECONDITION", "PERMISSION_DENIED");

/** A branch name alone (no `@`, `~N`, `^N`), and a valid branch id. */
function isPlainName(ref: string): boolean {
  try {
    branchId(ref);
    return true;
  } catch {
    return false;
  }
}

export function branchService(deps: ServiceDeps): ServiceHandlers {
  const { graveler, kv } = deps;
  /** Whether a branch has uncommitted changes (staged entries, or tokens sealed by an unfinished commit). */
  const isDirty = async (repo: string, branch: string) => {
    const b = await graveler.refs.getBranch(repositoryId(repo), branchId(branch));
    return b.record.sealedTokens.length > 0 || !(await graveler.staging.isEmpty(b.record.stagingToken));
  };

  /**
   * The common case, a branch from a branch, as one proposal that requires the repository and the source
   * branch unchanged (so the new branch starts at the source's head at that moment, as a linearizable read
   * would have found it) and the new name free; the records it is built from need no ReadIndex
   * (staging-write.ts). Undefined when the source is not a branch (a tag, a commit, an expression) or the
   * write lost a race: graveler then does it the general way and gives the precise error.
   */
  const createFromBranch = async (r: CreateBranchRequest): Promise<{ id: BranchId; commitId: CommitId } | undefined> => {
    if (!isPlainName(r.source)) return undefined;
    const found = await repositoryAndBranch(deps, r.repository, r.source);
    const id = branchId(r.name);
    if (!found.branch) return undefined;
    const repo = found.repository.id;
    const record: BranchRecord = { commitId: found.branch.record.commitId, stagingToken: newToken(), sealedTokens: [] };
    const key = keys.branch(repo, id);
    try {
      await kv.write({
        preconditions: [
          { key: keys.repository(repo), equals: found.repositoryRaw },
          { key: keys.branch(repo, found.branch.id), equals: found.branch.raw },
          { key, absent: true },
        ],
        mutations: [{ op: "put", key, value: encodeRecord(record) }],
      });
    } catch (err) {
      if (hasCode(err, "FAILED_PRECONDITION")) return undefined;
      throw err;
    }
    return { id, commitId: record.commitId };
  };

  const createBranch = async (r: CreateBranchRequest) => {
    if (r.source === "") throw invalidArgument("source ref is required: the branch, tag or commit the new branch starts at");
    const b = (await createFromBranch(r)) ?? (await graveler.createBranch(r.repository, r.name, r.source));
    return { id: b.id, commitId: b.commitId };
  };

  return {
    CreateBranch: unary(createBranch),
    CreateBranches: unary(async (r: CreateBranchesRequest) => {
      if (r.branches.length > MAX_CREATED) throw invalidArgument(`${r.branches.length} branches in one CreateBranches call: at most ${MAX_CREATED}`);
      // Each item is created as its own CreateBranch would be, all at once: their writes meet in the same
      // Raft rounds. An item fails alone with that call's error; an error about the service fails the call
      // (items already created stay: a batch, not a transaction).
      const results = await Promise.all(
        r.branches.map((b) =>
          createBranch({ repository: r.repository, name: b.name, source: b.source }).then(
            (ref) => ({ ref, errorCode: "", errorMessage: "" }),
            (err: unknown) => {
              if (!perBranch(err)) throw err;
              return { ref: null, ...itemError(err) };
            },
          ),
        ),
      );
      return { results };
    }),
    GetBranch: unary(async (r: GetBranchRequest) => {
      const b = await graveler.getBranch(r.repository, r.branch);
      return { id: b.id, commitId: b.commitId };
    }),
    ListBranches: unary(async (r: ListBranchesRequest) => {
      const amount = pageSize(r.amount);
      await graveler.getRepository(r.repository);
      const page = await prefixedPage((after, n) => graveler.listBranches(r.repository, { after, amount: n }), (b) => b.id, { ...r, amount });
      const results = page.items.map((b) => ({ id: b.id, commitId: b.commitId }));
      return { results, pagination: pagination(results.length, page.hasMore, results.at(-1)?.id ?? "", amount) };
    }),
    DeleteBranch: unary(async (r: DeleteBranchRequest) => {
      await graveler.deleteBranch(r.repository, r.branch);
      return {};
    }),
    ResetBranch: unary(async (r: ResetBranchRequest) => {
      switch (r.type) {
        case "RESET_TYPE_ALL":
          await graveler.resetBranch(r.repository, r.branch);
          break;
        case "RESET_TYPE_PREFIX":
          if (r.path === "") throw invalidArgument("reset of type RESET_TYPE_PREFIX needs a path prefix");
          await graveler.resetBranch(r.repository, r.branch, { prefix: r.path });
          break;
        case "RESET_TYPE_OBJECT": {
          const p = validPath(r.path);
          await graveler.getRepository(r.repository);
          const b = await graveler.refs.getBranch(repositoryId(r.repository), branchId(r.branch));
          // One exact path: drop its staged entry from every token the branch reads through.
          await kv.write({ mutations: [b.record.stagingToken, ...b.record.sealedTokens].map((t) => ({ op: "delete" as const, key: keys.staged(t, p) })) });
          break;
        }
        default:
          throw invalidArgument("reset type is required: RESET_TYPE_ALL, RESET_TYPE_OBJECT or RESET_TYPE_PREFIX");
      }
      return {};
    }),
    HardResetBranch: unary(async (r: HardResetBranchRequest) => {
      if (r.ref === "") throw invalidArgument("ref is required: the commit to move the branch to");
      await graveler.getRepository(r.repository);
      if (!r.force && (await isDirty(r.repository, r.branch))) {
        throw failedPrecondition(`hard reset refused: branch ${r.branch} of repository ${r.repository} has uncommitted changes (commit them, or pass force to drop them)`);
      }
      await graveler.hardResetBranch(r.repository, r.branch, r.ref);
      const b = await graveler.getBranch(r.repository, r.branch);
      return { id: b.id, commitId: b.commitId };
    }),
    RevertCommit: unary(async (r: RevertCommitRequest, ctx) => {
      if (r.ref === "") throw invalidArgument("ref is required: the commit to revert");
      if (r.force) throw invalidArgument("revert with force is not supported: commit or reset the branch's uncommitted changes first");
      if (Object.keys(r.metadata).length > 0) throw invalidArgument("revert commit metadata is not supported yet: leave metadata empty");
      const c = await graveler.revert(r.repository, r.branch, r.ref, {
        parentNumber: r.parentNumber || undefined,
        committer: ctx.caller.user.id,
        message: r.message || undefined,
      });
      return commitMessage(c);
    }),
    CherryPick: unary(async (r: CherryPickRequest, ctx) => {
      if (r.ref === "") throw invalidArgument("ref is required: the commit to cherry-pick");
      if (r.force) throw invalidArgument("cherry-pick with force is not supported: commit or reset the branch's uncommitted changes first");
      const c = await graveler.cherryPick(r.repository, r.ref, r.branch, { parentNumber: r.parentNumber || undefined, committer: ctx.caller.user.id });
      return commitMessage(c);
    }),
  };
}
