// Multipart uploads on Azure Blob stores, kept stateless like the S3 ones (multipart-remote.ts): Azure has no
// multipart upload object, a blob is assembled from staged blocks committed by one Put Block List. Create
// allocates the address with a write SAS URL (PrepareUpload with presign) and hands it, its expiry, a random
// upload nonce, the content type and user metadata back inside the upload id ("z." + base64url JSON).
// Each part is streamed into one block whose id names the upload nonce and the part number; its MD5 (the
// ETag returned) is known only once the bytes went through, and block ids travel in the URL, so a second,
// one-byte "receipt" block is staged whose id names nonce, part number and MD5. Complete commits the parts
// and the receipts the client's (part number, ETag) pairs name: a wrong ETag names a receipt that does not
// exist and Azure refuses the list (InvalidBlockList). A second commit then keeps only the part blocks
// (<Committed>, If-Match the first), which drops the receipt bytes; the blob is staged only after it. So the
// ETags are checked without the gateway keeping anything. (A part re-uploaded with other bytes leaves the
// old receipt: completing with the old ETag then commits the new bytes; S3 would refuse.)
// The first block list is committed with If-None-Match: *; abort commits an empty block list the same way (which
// also drops the staged blocks at once), so after an abort or a completion the upload id can no longer
// complete (NoSuchUpload). Parts staged after an abort are never committed; Azure drops uncommitted blocks
// after a week. The part-size minimum (5 MiB but the last) is not checked: Azure itself accepts small blocks.
// ListParts reads the blob's uncommitted block list through the same SAS URL (the store adapter's PUT SAS
// URLs may read their own blob): data blocks give the parts and sizes, receipts their ETags.
// The metadata service keeps a record of each upload (RecordMultipartUpload, keyed by the nonce, holding the
// upload id) so that ListMultipartUploads lists it; completing drops it with the staging, aborting forgets it.
// The upload id carries a write SAS for this one fresh address until it expires: the caller was already
// allowed to write the key, and the address is never staged unless the caller completes the upload.
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import type * as M from "../metadata/messages";
import { quoteEtag, root, sendEmpty, sendXml, type Context } from "./context";
import { s3, S3Error } from "./errors";
import { stage, type ObjectRef } from "./objects";
import type { PayloadVerifier } from "./payload";
import { writeError } from "./refs";
import { httpGetSmall, httpPut } from "./store-io";
import { childrenNamed, childText, parseXml, xmlElement, type XmlNode } from "./xml";

const PREFIX = "z.";
const MAX_TOKEN = 4096;

export interface AzureUpload {
  /** Physical address (relative) of the blob being assembled. */
  a: string;
  /** Write SAS URL of that blob. */
  s: string;
  /** When the SAS URL expires (Unix seconds). */
  e: number;
  /** Random nonce naming this upload's blocks (16 hex digits). */
  k: string;
  /** Repository, branch and path the upload was created for. */
  r: string;
  b: string;
  p: string;
  /** Content type and user metadata given at create. */
  t: string;
  m: Record<string, string>;
}

export const isAzureUploadId = (id: string) => id.startsWith(PREFIX);

/** True for a presigned URL that is an Azure SAS URL. */
export const isAzureSasUrl = (url: string) => {
  try {
    const q = new URL(url).searchParams;
    return q.has("sv") && q.has("sig");
  } catch {
    return false;
  }
};

export function encodeAzureUploadId(u: AzureUpload): string {
  return PREFIX + Buffer.from(JSON.stringify(u)).toString("base64url");
}

export function decodeAzureUploadId(id: string, o: ObjectRef, now = Math.floor(Date.now() / 1000)): AzureUpload {
  let u: AzureUpload | undefined;
  try {
    const v = JSON.parse(Buffer.from(id.slice(PREFIX.length), "base64url").toString("utf8")) as AzureUpload;
    const ok = typeof v.a === "string" && typeof v.s === "string" && typeof v.e === "number" && typeof v.k === "string" && /^[0-9a-f]{16}$/.test(v.k)
      && typeof v.r === "string" && typeof v.b === "string" && typeof v.p === "string" && typeof v.t === "string" && typeof v.m === "object" && v.m !== null
      && isAzureSasUrl(v.s);
    if (ok) u = v;
  } catch {
    // fall through
  }
  if (!u) throw s3.noSuchUpload(`upload ${JSON.stringify(id.slice(0, 100))} is not an upload id this gateway issued`);
  if (u.r !== o.repository || u.b !== o.ref || u.p !== o.path) throw s3.noSuchUpload(`upload ${id.slice(0, 40)}… is for ${u.r}/${u.b}/${u.p}, not ${o.repository}/${o.key}`);
  if (u.e <= now) throw s3.noSuchUpload(`upload of ${o.key} expired at ${new Date(u.e * 1000).toISOString()} (its store URL is no longer valid): start a new one`);
  return u;
}

const RECEIPT = Buffer.from("r");

/** Block id of part n's bytes: equal length for every block of the blob, as Azure requires; base64. */
export function dataBlockId(nonce: string, n: number): string {
  return Buffer.from(`${nonce}-${String(n).padStart(5, "0")}-d-${"0".repeat(32)}`).toString("base64");
}

/** Block id of part n's receipt: names the MD5 the gateway returned for the part; same length as data ids. */
export function receiptBlockId(nonce: string, n: number, md5Hex: string): string {
  return Buffer.from(`${nonce}-${String(n).padStart(5, "0")}-r-${md5Hex}`).toString("base64");
}

/** The Put Block List body committing the given block ids in order. */
export function blockListXml(ids: string[], list: "Latest" | "Committed" = "Latest"): string {
  return `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids.map((id) => `<${list}>${id}</${list}>`).join("")}</BlockList>`;
}

/** S3's ETag of a multipart object: the MD5 of the parts' binary MD5s, a dash, the part count. */
export function multipartEtag(md5s: string[]): string {
  const h = createHash("md5");
  for (const m of md5s) h.update(Buffer.from(m, "hex"));
  return `${h.digest("hex")}-${md5s.length}`;
}

const withQuery = (sas: string, extra: string) => `${sas}&${extra}`;

export async function createAzure(ctx: Context, o: ObjectRef, contentType: string, metadata: Record<string, string>, prepared: M.PrepareUploadResponse): Promise<void> {
  if (!isAzureSasUrl(prepared.presignedUrl)) throw s3.notImplemented(`multipart uploads to repository ${o.repository} are not supported by its store yet: upload with one PutObject (up to 5 GiB)`);
  const upload: AzureUpload = {
    a: prepared.physicalAddress, s: prepared.presignedUrl, e: prepared.expiresAt || Math.floor(Date.now() / 1000) + 900, k: randomBytes(8).toString("hex"),
    r: o.repository, b: o.ref, p: o.path, t: contentType, m: metadata,
  };
  const uploadId = encodeAzureUploadId(upload);
  if (uploadId.length > MAX_TOKEN) throw s3.invalidArgument("the user metadata of a multipart upload is too large for this gateway (at most about 2 KB on Azure stores)");
  try {
    await ctx.client.recordMultipartUpload({
      repository: o.repository, branch: o.ref, path: o.path, uploadId: upload.k, physicalAddress: upload.a, contentType, userMetadata: metadata, clientUploadId: uploadId,
    });
  } catch (err) {
    throw await writeError(ctx.client, o.repository, o.ref, err);
  }
  sendXml(ctx, 200, root("InitiateMultipartUploadResult", [xmlElement("Bucket", o.repository), xmlElement("Key", o.key), xmlElement("UploadId", uploadId)]));
}

/** Stages part n as one block, streamed, then a one-byte receipt block naming the part's MD5 (see top). */
export async function putAzurePart(o: ObjectRef, upload: AzureUpload, n: number, body: PayloadVerifier | Readable, length: number): Promise<string> {
  const what = `part ${n} of ${o.key}`;
  const put = httpPut(withQuery(upload.s, `comp=block&blockid=${encodeURIComponent(dataBlockId(upload.k, n))}`), body, length, what);
  await ("consumedBy" in body ? body.consumedBy(put) : put);
  const md5 = (body as PayloadVerifier).md5Hex;
  if (!/^[0-9a-f]{32}$/.test(md5)) throw s3.internal(`${what}: the part's MD5 was not computed`);
  await httpPut(withQuery(upload.s, `comp=block&blockid=${encodeURIComponent(receiptBlockId(upload.k, n, md5))}`), Readable.from([RECEIPT]), RECEIPT.length, `${what} (receipt)`)
    .catch((err: unknown) => Promise.reject(storeRefusal(err, o)));
  return md5;
}

export async function completeAzure(ctx: Context, o: ObjectRef, upload: AzureUpload, parts: Array<{ num: number; etag: string }>): Promise<void> {
  for (let i = 0; i < parts.length; i++) {
    if (i > 0 && parts[i].num <= parts[i - 1].num) throw s3.invalidPartOrder("the parts must be listed in ascending order of part number, each once");
    if (!/^[0-9a-f]{32}$/.test(parts[i].etag)) throw s3.invalidPart(`part ${parts[i].num}: ETag "${parts[i].etag}" is not one this gateway returned for a part`);
  }
  const data = parts.map((p) => dataBlockId(upload.k, p.num));
  const receipts = parts.map((p) => receiptBlockId(upload.k, p.num, p.etag));
  const headers: Record<string, string> = { "content-type": "application/xml" };
  if (upload.t) headers["x-ms-blob-content-type"] = upload.t;
  const commit = (xml: string, extra: Record<string, string>, what: string) => {
    const b = Buffer.from(xml);
    return httpPut(withQuery(upload.s, "comp=blocklist"), Readable.from([b]), b.length, what, { ...headers, ...extra });
  };
  try {
    // First commit: every part and its receipt must exist, else Azure refuses the list (a wrong ETag).
    const first = await commit(blockListXml(data.concat(receipts)), { "if-none-match": "*" }, `block list of ${o.key}`);
    // Second commit: the parts only, reusing the blocks just committed; the receipts drop out.
    await commit(blockListXml(data, "Committed"), first ? { "if-match": `"${first}"` } : {}, `final block list of ${o.key}`);
  } catch (err) {
    throw storeRefusal(err, o);
  }
  const stats = await stage(ctx, o, {
    physicalAddress: upload.a, checksum: multipartEtag(parts.map((p) => p.etag)), sizeBytes: 0, contentType: upload.t, userMetadata: upload.m, completesUploadId: upload.k,
  });
  sendXml(ctx, 200, root("CompleteMultipartUploadResult", [
    xmlElement("Location", `/${o.repository}/${o.key}`), xmlElement("Bucket", o.repository), xmlElement("Key", o.key), xmlElement("ETag", quoteEtag(stats.checksum)),
  ]));
}

/** A part as ListParts reports it. */
export interface ListedPart {
  partNumber: number;
  etag: string;
  size: number;
}

const BLOCK_NAME = /^([0-9a-f]{16})-(\d{5})-([dr])-([0-9a-f]{32})$/;

/**
 * The parts of upload `nonce` in a Get Block List answer (uncommitted blocks): each data block is a part, its
 * size the part's, its ETag the MD5 its receipt names. A part uploaded again with other bytes has one receipt
 * per upload; Azure lists uncommitted blocks in the order they were staged, so the last receipt is the current
 * one. A data block without a receipt (an upload cut between the two) is not a part yet. Pure.
 */
export function partsFromBlockList(doc: XmlNode, nonce: string): ListedPart[] {
  const sizes = new Map<number, number>();
  const etags = new Map<number, string>();
  const uncommitted = childrenNamed(doc, "UncommittedBlocks")[0];
  for (const block of uncommitted ? childrenNamed(uncommitted, "Block") : []) {
    const m = BLOCK_NAME.exec(Buffer.from(childText(block, "Name") ?? "", "base64").toString("latin1"));
    if (!m || m[1] !== nonce) continue;
    const n = Number(m[2]);
    if (m[3] === "d") sizes.set(n, Number(childText(block, "Size") ?? "0"));
    else etags.set(n, m[4]);
  }
  const parts: ListedPart[] = [];
  for (const [partNumber, size] of sizes) {
    const etag = etags.get(partNumber);
    if (etag) parts.push({ partNumber, etag, size });
  }
  return parts.sort((a, b) => a.partNumber - b.partNumber);
}

/**
 * The parts uploaded so far, from the blob's uncommitted block list (Get Block List through the upload's SAS
 * URL, which may read: the store adapter's PUT SAS URLs carry read permission for this). Completing or
 * aborting commits a block list, which drops the uncommitted blocks and makes the blob exist: so when no part
 * is listed, a blob that exists means the upload is finished (NoSuchUpload, as S3 says).
 */
export async function listAzureParts(o: ObjectRef, upload: AzureUpload): Promise<ListedPart[]> {
  const what = `parts of the upload of ${o.key}`;
  const refused = (status: number, text: string) => {
    if (status === 403) return s3.notImplemented(`${what}: the store refused to read blocks with this upload's URL (uploads created before listing was supported cannot list their parts)`);
    return s3.internal(`${what}: object store answered ${status}: ${text.slice(0, 300)}`);
  };
  const res = await httpGetSmall(withQuery(upload.s, "comp=blocklist&blocklisttype=uncommitted"), what);
  if (res.status !== 200 && res.status !== 404) throw refused(res.status, res.text);
  let parts: ListedPart[] = [];
  if (res.status === 200) {
    let doc: XmlNode;
    try {
      doc = parseXml(res.text, "Get Block List answer");
    } catch (err) {
      throw s3.internal(`${what}: the object store's block list is not XML the gateway understands`, err);
    }
    parts = partsFromBlockList(doc, upload.k);
  }
  if (parts.length > 0) return parts;
  const blob = await httpGetSmall(upload.s, what, "HEAD");
  if (blob.status === 200) throw s3.noSuchUpload(`upload of ${o.key} was already completed or aborted`);
  if (blob.status !== 404) throw refused(blob.status, blob.text);
  return parts;
}

/**
 * Commits the empty block list (see top) and forgets the upload's record. An expired upload's URL can no
 * longer touch the blob (Azure drops its staged blocks within a week): aborting it only forgets the record,
 * so that it leaves ListMultipartUploads.
 */
export async function abortAzure(ctx: Context, o: ObjectRef, upload: AzureUpload, now = Math.floor(Date.now() / 1000)): Promise<void> {
  const xml = Buffer.from(blockListXml([]));
  if (upload.e > now) {
    try {
      await httpPut(withQuery(upload.s, "comp=blocklist"), Readable.from([xml]), xml.length, `abort of ${o.key}`, { "content-type": "application/xml", "if-none-match": "*" });
    } catch (err) {
      throw storeRefusal(err, o);
    }
  }
  try {
    await ctx.client.forgetMultipartUpload({ repository: o.repository, branch: o.ref, path: o.path, uploadId: upload.k });
  } catch (err) {
    throw await writeError(ctx.client, o.repository, o.ref, err);
  }
  sendEmpty(ctx, 204);
}

/** Azure's refusals of a block list, as S3 errors: a missing block is a wrong part, an existing blob a finished upload. */
function storeRefusal(err: unknown, o: ObjectRef): unknown {
  if (!(err instanceof S3Error)) return err;
  if (/InvalidBlockList|InvalidBlockId/.test(err.message)) return s3.invalidPart(`a listed part of ${o.key} was not uploaded or its ETag is not the one returned for it`, err);
  if (/BlobAlreadyExists|ConditionNotMet|answered 409|answered 412/.test(err.message)) return s3.noSuchUpload(`upload of ${o.key} was already completed or aborted`, err);
  if (/AuthenticationFailed|answered 403/.test(err.message)) return s3.noSuchUpload(`upload of ${o.key} is no longer valid (its store URL was refused)`, err);
  return err;
}
