// Multipart uploads on stores the gateway reaches only through presigned URLs (S3 and S3-compatible): the
// store's own multipart upload, started by PrepareUpload, with the upload's address and the store's upload
// id carried in the upload id the client holds ("r." + base64url JSON), so the gateway keeps nothing.
// Parts go to presigned UploadPart URLs; StageObject completes the upload and stages it in one call. The
// store checks part sizes and ETags. The metadata service lists an upload's parts (ListParts) and keeps a
// record of each upload in progress (ListMultipartUploads, multipart-list.ts), from which the same upload id
// is rebuilt (remoteUploadId).
// Azure stores have no presigned parts: CreateMultipartUpload there hands over to multipart-azure.ts.
import type { Readable } from "node:stream";
import { hasCode } from "../errors";
import type * as M from "../metadata/messages";
import { header, quoteEtag, root, sendEmpty, sendXml, type Context } from "./context";
import { s3 } from "./errors";
import { stage, userMetadata, type ObjectRef } from "./objects";
import type { PayloadVerifier } from "./payload";
import { writeError } from "./refs";
import { createAzure } from "./multipart-azure";
import { httpPut } from "./store-io";
import { xmlElement } from "./xml";

const PREFIX = "r.";
const MAX_TOKEN = 4096;

export interface RemoteUpload {
  /** Physical address (relative) of the object being assembled. */
  a: string;
  /** The store's upload id. */
  u: string;
  /** Content type and user metadata given at create. */
  t: string;
  m: Record<string, string>;
}

export const isRemoteUploadId = (id: string) => id.startsWith(PREFIX);

/** The upload id the client holds: the same for the same upload, so that a listing shows the id create gave. */
export const remoteUploadId = (u: RemoteUpload) => PREFIX + Buffer.from(JSON.stringify({ a: u.a, u: u.u, t: u.t, m: u.m })).toString("base64url");

export function decodeUploadId(id: string): RemoteUpload {
  try {
    const u = JSON.parse(Buffer.from(id.slice(PREFIX.length), "base64url").toString("utf8")) as RemoteUpload;
    if (typeof u.a === "string" && typeof u.u === "string" && typeof u.t === "string" && typeof u.m === "object") return u;
  } catch {
    // fall through
  }
  throw s3.noSuchUpload(`upload ${JSON.stringify(id.slice(0, 100))} is not an upload id this gateway issued`);
}

/** A fresh address with a presigned single-object URL (a SAS URL on Azure), for stores without multipart parts. */
async function prepareSingle(ctx: Context, o: ObjectRef, contentType: string, cause: unknown): Promise<M.PrepareUploadResponse> {
  try {
    return await ctx.client.prepareUpload({ repository: o.repository, branch: o.ref, path: o.path, presign: true, partCount: 0, contentType });
  } catch (err) {
    if (hasCode(err, "FAILED_PRECONDITION")) throw s3.notImplemented(`multipart uploads to repository ${o.repository} are not supported by its store yet: upload with one PutObject (up to 5 GiB)`, cause);
    throw await writeError(ctx.client, o.repository, o.ref, err);
  }
}

export async function createRemote(ctx: Context, o: ObjectRef): Promise<void> {
  let prepared: M.PrepareUploadResponse;
  const contentType = header(ctx, "content-type") ?? "";
  const metadata = userMetadata(ctx);
  try {
    prepared = await ctx.client.prepareUpload({ repository: o.repository, branch: o.ref, path: o.path, presign: true, partCount: 2, contentType, userMetadata: metadata });
  } catch (err) {
    // Stores without presigned multipart parts (Azure): blocks staged through a SAS URL (multipart-azure.ts).
    if (hasCode(err, "FAILED_PRECONDITION")) return createAzure(ctx, o, contentType, metadata, await prepareSingle(ctx, o, contentType, err));
    throw await writeError(ctx.client, o.repository, o.ref, err);
  }
  const uploadId = remoteUploadId({ a: prepared.physicalAddress, u: prepared.multipartUploadId, t: contentType, m: metadata });
  if (uploadId.length > MAX_TOKEN) {
    // The store's upload and its record exist already: drop both rather than leave them listed.
    await ctx.client.abortMultipartUpload({ repository: o.repository, branch: o.ref, path: o.path, physicalAddress: prepared.physicalAddress, multipartUploadId: prepared.multipartUploadId })
      .catch(() => undefined);
    throw s3.invalidArgument("the user metadata of a multipart upload is too large for this gateway (at most about 3 KB)");
  }
  sendXml(ctx, 200, root("InitiateMultipartUploadResult", [xmlElement("Bucket", o.repository), xmlElement("Key", o.key), xmlElement("UploadId", uploadId)]));
}

/** PUTs one part's bytes to its presigned URL; returns the store's ETag for it. */
export async function putRemotePart(ctx: Context, o: ObjectRef, upload: RemoteUpload, n: number, body: PayloadVerifier | Readable, length: number): Promise<string> {
  let urls: M.PresignUploadPartsResponse;
  try {
    urls = await ctx.client.presignUploadParts({ repository: o.repository, branch: o.ref, physicalAddress: upload.a, multipartUploadId: upload.u, partNumbers: [n] });
  } catch (err) {
    body.destroy();
    if (hasCode(err, "NOT_FOUND")) throw s3.noSuchUpload(`upload of ${o.key} does not exist`, err);
    throw await writeError(ctx.client, o.repository, o.ref, err);
  }
  const put = httpPut(urls.partUrls[0], body, length, `part ${n} of ${o.key}`);
  return "consumedBy" in body ? body.consumedBy(put) : put;
}

export async function completeRemote(ctx: Context, o: ObjectRef, upload: RemoteUpload, parts: Array<{ num: number; etag: string }>): Promise<void> {
  let stats: M.ObjectStats;
  try {
    stats = await stage(ctx, o, {
      physicalAddress: upload.a, contentType: upload.t, userMetadata: upload.m,
      multipart: { uploadId: upload.u, parts: parts.map((p) => ({ partNumber: p.num, etag: p.etag })) },
    });
  } catch (err) {
    if (err instanceof Error && "code" in err && err.code === "OperationAborted") throw s3.invalidPart(`the store refused to complete the upload: ${err.message}`, err);
    throw err;
  }
  sendXml(ctx, 200, root("CompleteMultipartUploadResult", [
    xmlElement("Location", `/${o.repository}/${o.key}`), xmlElement("Bucket", o.repository), xmlElement("Key", o.key), xmlElement("ETag", quoteEtag(stats.checksum)),
  ]));
}

/** One page of the parts uploaded so far, from the store through the metadata service (ListParts). */
export async function listRemoteParts(ctx: Context, o: ObjectRef, upload: RemoteUpload, marker: number, max: number): Promise<M.ListPartsResponse> {
  try {
    return await ctx.client.listParts({ repository: o.repository, branch: o.ref, physicalAddress: upload.a, multipartUploadId: upload.u, partNumberMarker: marker, maxParts: max });
  } catch (err) {
    if (hasCode(err, "NOT_FOUND") || hasCode(err, "INVALID_ARGUMENT")) throw s3.noSuchUpload(`upload of ${o.key} does not exist (completed, aborted or never started)`, err);
    throw await writeError(ctx.client, o.repository, o.ref, err);
  }
}

export async function abortRemote(ctx: Context, o: ObjectRef, upload: RemoteUpload): Promise<void> {
  try {
    await ctx.client.abortMultipartUpload({ repository: o.repository, branch: o.ref, physicalAddress: upload.a, multipartUploadId: upload.u, path: o.path });
  } catch (err) {
    if (hasCode(err, "NOT_FOUND") || hasCode(err, "INVALID_ARGUMENT")) throw s3.noSuchUpload(`upload of ${o.key} does not exist`, err);
    throw await writeError(ctx.client, o.repository, o.ref, err);
  }
  sendEmpty(ctx, 204);
}
