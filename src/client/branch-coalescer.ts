// Branch creations coalesced (coalescer.ts): concurrent createBranch calls of one client go as
// CreateBranches calls, one per repository.
import type * as M from "../metadata/messages";
import type { CoalescedCall } from "./coalescer";

/** The service's limit per CreateBranches call. */
const MAX_BRANCH_BATCH = 1000;

export interface BranchCalls {
  createBranch(r: Partial<M.CreateBranchRequest>): Promise<M.Ref>;
  createBranches(r: { repository: string; branches: Partial<M.CreateBranchesItem>[] }): Promise<M.CreateBranchesResponse>;
  /** The member that answers calls now (ApiError.endpoint of a per-item error). */
  endpoint(): string;
}

export function branchBatches(calls: BranchCalls): CoalescedCall<Partial<M.CreateBranchRequest>, M.Ref> {
  return {
    one: (r) => calls.createBranch(r),
    many: async (repository, requests) => {
      const answer = await calls.createBranches({ repository, branches: requests.map((r) => ({ name: r.name, source: r.source })) });
      return answer.results.map((r) => (r.ref ? { value: r.ref } : { errorCode: r.errorCode, errorMessage: r.errorMessage }));
    },
    groupOf: (r) => r.repository ?? "",
    batchName: "CreateBranches",
    maxBatch: MAX_BRANCH_BATCH,
    // Names and refs are short (a branch name at most 256 bytes, a ref expression not much more).
    maxBatchBytes: 1024 * 1024,
    estimatedBytes: (r) => 3 * ((r.name?.length ?? 0) + (r.source?.length ?? 0)) + 16,
    endpoint: () => calls.endpoint(),
  };
}
