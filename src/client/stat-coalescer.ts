// Linearizable lookups coalesced (coalescer.ts): concurrent statObject calls of one client go as StatObjects
// calls, one per repository. Each batch is read after its callers called, so every answer is still as fresh
// as a plain StatObject started at that moment would give.
import type * as M from "../metadata/messages";
import type { CoalescedCall } from "./coalescer";

/** The service's limit per StatObjects call. */
const MAX_STAT_BATCH = 1000;

export interface StatCalls {
  statObject(r: Partial<M.StatObjectRequest>): Promise<M.ObjectStats>;
  statObjects(r: { repository: string; objects: M.ObjectLocation[] }): Promise<M.StatObjectsResponse>;
  /** The member that answers calls now (ApiError.endpoint of a per-item error). */
  endpoint(): string;
}

export function statBatches(calls: StatCalls): CoalescedCall<Partial<M.StatObjectRequest>, M.ObjectStats> {
  return {
    one: (r) => calls.statObject(r),
    many: async (repository, requests) => {
      const answer = await calls.statObjects({ repository, objects: requests.map((r) => ({ ref: r.ref ?? "", path: r.path ?? "" })) });
      return answer.results.map((r) => (r.stats ? { value: r.stats } : { errorCode: r.errorCode, errorMessage: r.errorMessage }));
    },
    groupOf: (r) => r.repository ?? "",
    batchName: "StatObjects",
    maxBatch: MAX_STAT_BATCH,
    // Paths are at most 1 KiB; a batch of 1000 stays well inside the message limit (4 MiB) either way.
    maxBatchBytes: 1024 * 1024,
    estimatedBytes: (r) => 3 * ((r.ref?.length ?? 0) + (r.path?.length ?? 0)) + 8,
    endpoint: () => calls.endpoint(),
  };
}
