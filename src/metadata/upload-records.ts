// Records of multipart uploads in progress, in graveler's keyspace (keys.upload): one per upload, written when
// it starts (PrepareUpload with parts, RecordMultipartUpload) and dropped when it completes (in the same write
// as the staged entry) or is aborted. They exist so that S3's ListMultipartUploads can be answered for stores
// the gateway reaches only through presigned URLs. An upload abandoned without an abort keeps its record
// until someone aborts it or the leader's sweep (upload-sweep.ts) finds it older than the age limit.
import { CorruptionError, invalidArgument } from "../errors";
import type { BranchId, KvBatch, KvMutation, KvStore, RepositoryId } from "../graveler";
import { keys } from "../graveler/keys";
import { decodeRecord } from "../graveler/refs/records";
import type { ListMultipartUploadsRequest, ListMultipartUploadsResponse, MultipartUploadRecord } from "./messages";

const MAX_LISTED = 1000;

/** What a record's value holds; repository, branch, path and upload id are its key. */
export interface UploadRecordValue {
  physicalAddress: string;
  /** Unix seconds. */
  initiated: number;
  contentType: string;
  userMetadata?: Record<string, string>;
  /** The id the client holds, when it is not the key's upload id. */
  clientUploadId?: string;
  /** The user who started the upload (absent from records written before it was kept). */
  initiator?: string;
}

function checkUploadId(uploadId: string): string {
  if (uploadId === "" || uploadId.includes("\0") || Buffer.byteLength(uploadId) > 8192) {
    throw invalidArgument(`invalid upload id ${JSON.stringify(uploadId.slice(0, 100))}: 1 to 8192 bytes without NUL`);
  }
  return uploadId;
}

export function putUploadRecord(repo: RepositoryId, branch: BranchId, path: string, uploadId: string, value: UploadRecordValue): KvMutation {
  return { op: "put", key: keys.upload(repo, branch, path, checkUploadId(uploadId)), value: Buffer.from(JSON.stringify(value)) };
}

export function dropUploadRecord(repo: RepositoryId, branch: BranchId, path: string, uploadId: string): KvMutation {
  return { op: "delete", key: keys.upload(repo, branch, path, checkUploadId(uploadId)) };
}

/** The key of the record of `uploadId` on `branch` whatever its path, for callers that did not say it. */
export async function findUploadRecord(kv: KvStore, repo: RepositoryId, branch: BranchId, uploadId: string): Promise<Buffer | undefined> {
  const prefix = Buffer.concat([keys.uploads(repo), Buffer.from(`${branch}/`)]);
  const tail = Buffer.from(`\0${uploadId}`);
  let after: Buffer | undefined;
  for (;;) {
    const page = await kv.scan({ prefix, after, limit: MAX_LISTED });
    const hit = page.find((r) => r.key.subarray(r.key.length - tail.length).equals(tail) && r.key.indexOf(0) === r.key.length - tail.length);
    if (hit) return hit.key;
    if (page.length < MAX_LISTED) return undefined;
    after = page[page.length - 1].key;
  }
}

/** Every repository's records: keys.uploads(repo) is this followed by `<repo>/`. */
const ALL_UPLOADS = keys.uploads("" as RepositoryId).subarray(0, -1);

/** A stored record with where it came from: what the sweep needs to drop it only while it is unchanged. */
export interface StoredUploadRecord {
  key: Buffer;
  version: number;
  repo: RepositoryId;
  /** Undefined when the record cannot be read (its key or value is corrupt). */
  upload?: MultipartUploadRecord;
  error?: unknown;
}

/** One page of every repository's records in key order, after `after` (a key from an earlier page). */
export async function scanUploadRecords(kv: KvStore, after: Buffer | undefined, limit: number): Promise<StoredUploadRecord[]> {
  const page = await kv.scan({ prefix: ALL_UPLOADS, after, limit });
  return page.map((r) => {
    const rest = r.key.subarray(ALL_UPLOADS.length);
    const repo = rest.subarray(0, Math.max(rest.indexOf("/"), 0)).toString("utf8") as RepositoryId;
    try {
      return { key: r.key, version: r.version, repo, upload: uploadRecordOf(repo, r.key, r.value) };
    } catch (error) {
      return { key: r.key, version: r.version, repo, error };
    }
  });
}

/** Drops a record only if it is still the version that was read: one re-recorded or completed meanwhile stays. */
export function dropUnchangedUploadRecord(key: Buffer, version: number): KvBatch {
  return { preconditions: [{ key, version }], mutations: [{ op: "delete", key }] };
}

/** A record as the API gives it: its key split into branch, path and upload id. Pure. */
export function uploadRecordOf(repo: RepositoryId, key: Buffer, value: Buffer): MultipartUploadRecord {
  const rest = key.subarray(keys.uploads(repo).length).toString("utf8");
  const nul = rest.indexOf("\0");
  const slash = rest.indexOf("/");
  if (nul < 0 || slash < 0 || slash > nul) throw new CorruptionError(`multipart upload records of repository ${repo}`, `key ${JSON.stringify(rest)} names no branch, path and upload id`);
  const v = decodeRecord<UploadRecordValue>(value, `multipart upload ${rest.slice(nul + 1)} of ${rest.slice(0, nul)} in repository ${repo}`);
  return {
    branch: rest.slice(0, slash), path: rest.slice(slash + 1, nul), uploadId: rest.slice(nul + 1),
    physicalAddress: v.physicalAddress, initiated: v.initiated, contentType: v.contentType,
    userMetadata: v.userMetadata ?? {}, clientUploadId: v.clientUploadId ?? "", initiator: v.initiator ?? "",
  };
}

/** One page of a repository's uploads in (key, upload id) order, as S3's ListMultipartUploads pages them. */
export async function listUploadRecords(kv: KvStore, repo: RepositoryId, r: ListMultipartUploadsRequest): Promise<ListMultipartUploadsResponse> {
  if (r.uploadIdMarker !== "" && r.keyMarker === "") throw invalidArgument("upload_id_marker needs a key_marker");
  const base = keys.uploads(repo);
  const max = r.maxUploads === 0 || r.maxUploads > MAX_LISTED ? MAX_LISTED : r.maxUploads;
  const options: { prefix: Buffer; start?: Buffer; after?: Buffer; limit: number } = { prefix: Buffer.concat([base, Buffer.from(r.prefix)]), limit: max + 1 };
  // Without an upload id marker S3 starts after every upload of the marker's key: "\x01" follows "\0".
  if (r.uploadIdMarker !== "") options.after = Buffer.concat([base, Buffer.from(`${r.keyMarker}\0${r.uploadIdMarker}`)]);
  else if (r.keyMarker !== "") options.start = Buffer.concat([base, Buffer.from(`${r.keyMarker}\x01`)]);
  const found = await kv.scan(options);
  const uploads = found.slice(0, max).map((rec) => uploadRecordOf(repo, rec.key, rec.value));
  const last = uploads[uploads.length - 1];
  const truncated = found.length > max;
  return {
    uploads,
    isTruncated: truncated,
    nextKeyMarker: truncated && last ? `${last.branch}/${last.path}` : "",
    nextUploadIdMarker: truncated && last ? last.uploadId : "",
  };
}
