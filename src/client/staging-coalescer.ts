// Staging writes coalesced (coalescer.ts): concurrent stageObject calls of one client go as StageObjects
// calls, one per repository.
import type * as M from "../metadata/messages";
import type { CoalescedCall } from "./coalescer";

/** The service's limit per StageObjects call. */
const MAX_STAGE_BATCH = 1000;
/**
 * Estimated request bytes per StageObjects call: well inside the 4 MiB message limit of both sides, however
 * large the items' paths and metadata (an item larger than this alone goes as a plain StageObject).
 */
const BATCH_BYTES = 1024 * 1024;

export interface StagingCalls {
  stageObject(r: Partial<M.StageObjectRequest>): Promise<M.ObjectStats>;
  stageObjects(r: { repository: string; objects: Partial<M.StageObjectsItem>[] }): Promise<M.StageObjectsResponse>;
  /** The member that answers calls now (ApiError.endpoint of a per-item error). */
  endpoint(): string;
}

export function stagingBatches(calls: StagingCalls): CoalescedCall<Partial<M.StageObjectRequest>, M.ObjectStats> {
  return {
    one: (r) => calls.stageObject(r),
    many: async (repository, requests) => {
      const answer = await calls.stageObjects({ repository, objects: requests.map(item) });
      return answer.results.map((r) => (r.stats ? { value: r.stats } : { errorCode: r.errorCode, errorMessage: r.errorMessage }));
    },
    groupOf: (r) => r.repository ?? "",
    batchName: "StageObjects",
    maxBatch: MAX_STAGE_BATCH,
    maxBatchBytes: BATCH_BYTES,
    estimatedBytes,
    endpoint: () => calls.endpoint(),
  };
}

/** An upper bound of an item's encoded size, near enough (strings count once per UTF-16 unit, up to 3 bytes each). */
function estimatedBytes(r: Partial<M.StageObjectRequest>): number {
  let chars = (r.path?.length ?? 0) + (r.physicalAddress?.length ?? 0) + (r.checksum?.length ?? 0) + (r.contentType?.length ?? 0) + (r.completesUploadId?.length ?? 0) + (r.branch?.length ?? 0);
  for (const [k, v] of Object.entries(r.userMetadata ?? {})) chars += k.length + v.length + 8;
  for (const part of r.multipart?.parts ?? []) chars += part.etag.length + 8;
  return 3 * chars + 64 + (r.multipart?.uploadId.length ?? 0) * 3;
}

/** A StageObjectRequest without its repository: one item of a StageObjects call. */
function item(r: Partial<M.StageObjectRequest>): Partial<M.StageObjectsItem> {
  const { repository: _repository, ...rest } = r;
  return rest;
}
