// Multipart uploads, kept where the bytes go, not in the gateway: for a local store the gateway shares, an
// upload is a directory in the store's reserved area (.tarn-local/gateway-uploads/<upload id>/) holding the
// upload's description and one file per part with its ETag beside it. Any gateway in front of the same
// store can continue, list, complete or abort it. Complete joins the parts into a fresh data address (a
// stream, part after part), stages it, and drops the directory. Other stores use their own multipart
// uploads through presigned part URLs (multipart-remote.ts); Azure stores stage blocks (multipart-azure.ts).
// ListMultipartUploads is in multipart-list.ts.
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { PassThrough, Readable } from "node:stream";
import type * as M from "../metadata/messages";
import { declaredLength, smallBody, verifiedBody } from "./body";
import { parseRange } from "./conditions";
import { header, isoDate, quoteEtag, root, sendEmpty, sendXml, type Context } from "./context";
import { s3 } from "./errors";
import { copySource, objectRef, stage, userMetadata, type ObjectRef } from "./objects";
import { PayloadVerifier } from "./payload";
import { readError, writeError } from "./refs";
import { readFromStore, writeFile } from "./store-io";
import { abortRemote, completeRemote, createRemote, decodeUploadId, isRemoteUploadId, listRemoteParts, putRemotePart } from "./multipart-remote";
import { abortAzure, completeAzure, decodeAzureUploadId, isAzureUploadId, listAzureParts, putAzurePart } from "./multipart-azure";
import { UPLOADS } from "./multipart-sweep";
import { childrenNamed, childText, parseXml, xmlElement } from "./xml";

const MIN_PART = 5 * 1024 * 1024;
const MAX_PART_NUMBER = 10_000;

interface UploadInfo {
  uploadId: string;
  repository: string;
  branch: string;
  path: string;
  contentType: string;
  metadata: Record<string, string>;
  initiated: number;
  initiator: string;
}

interface PartInfo {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: number;
}

/** The local store root behind a prepared address, or a clear refusal for other stores. */
function storeRoot(prepared: M.PrepareUploadResponse): string {
  const file = prepared.direct?.local?.path;
  if (!file) throw s3.notImplemented("multipart uploads through the gateway need a local:// repository the gateway shares; upload to this repository with one PutObject");
  const rel = path.join(...prepared.physicalAddress.split("/"));
  if (!file.endsWith(rel)) throw s3.internal(`the store path ${file} does not end with its address ${prepared.physicalAddress}`);
  return file.slice(0, file.length - rel.length);
}

/** storeRoot, and the sweeper of abandoned uploads told about it. */
function localRoot(ctx: Context, prepared: M.PrepareUploadResponse): string {
  const rootDir = storeRoot(prepared);
  ctx.uploads?.seen(rootDir);
  return rootDir;
}

async function prepare(ctx: Context, o: ObjectRef): Promise<M.PrepareUploadResponse> {
  try {
    return await ctx.client.prepareUpload({ repository: o.repository, branch: o.ref, path: o.path });
  } catch (err) {
    throw await writeError(ctx.client, o.repository, o.ref, err);
  }
}

const uploadDir = (rootDir: string, uploadId: string) => path.join(rootDir, UPLOADS, uploadId);

async function loadUpload(ctx: Context, o: ObjectRef): Promise<{ dir: string; info: UploadInfo; prepared: M.PrepareUploadResponse }> {
  const uploadId = ctx.query.get("uploadId") ?? "";
  if (!/^[0-9a-f]{32}$/.test(uploadId)) throw s3.noSuchUpload(`upload ${JSON.stringify(uploadId.slice(0, 100))} does not exist`);
  const prepared = await prepare(ctx, o);
  const dir = uploadDir(localRoot(ctx, prepared), uploadId);
  let info: UploadInfo;
  try {
    info = JSON.parse(await fsp.readFile(path.join(dir, "upload.json"), "utf8")) as UploadInfo;
  } catch {
    throw s3.noSuchUpload(`upload ${uploadId} does not exist (completed, aborted or never started)`);
  }
  if (info.repository !== o.repository || info.branch !== o.ref || info.path !== o.path) throw s3.noSuchUpload(`upload ${uploadId} is for another key`);
  return { dir, info, prepared };
}

async function writeJson(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${randomBytes(4).toString("hex")}`;
  await fsp.writeFile(tmp, JSON.stringify(value));
  await fsp.rename(tmp, file);
}

export async function createUpload(ctx: Context): Promise<void> {
  const o = objectRef(ctx);
  const prepared = await prepare(ctx, o);
  if (!prepared.direct?.local) return createRemote(ctx, o);
  const uploadId = randomBytes(16).toString("hex");
  const dir = uploadDir(localRoot(ctx, prepared), uploadId);
  await fsp.mkdir(dir, { recursive: true });
  const info: UploadInfo = {
    uploadId, repository: o.repository, branch: o.ref, path: o.path, contentType: header(ctx, "content-type") ?? "",
    metadata: userMetadata(ctx), initiated: Math.floor(Date.now() / 1000), initiator: ctx.auth.caller.userId,
  };
  await writeJson(path.join(dir, "upload.json"), info);
  sendXml(ctx, 200, root("InitiateMultipartUploadResult", [xmlElement("Bucket", o.repository), xmlElement("Key", o.key), xmlElement("UploadId", uploadId)]));
}

function partNumberOf(ctx: Context): number {
  const raw = ctx.query.get("partNumber") ?? "";
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_PART_NUMBER) throw s3.invalidArgument(`partNumber ${JSON.stringify(raw)} must be an integer from 1 to ${MAX_PART_NUMBER}`);
  return n;
}

const partFile = (dir: string, n: number) => path.join(dir, `part-${String(n).padStart(5, "0")}`);

async function savePart(dir: string, n: number, body: PayloadVerifier): Promise<PartInfo> {
  await body.consumedBy(writeFile(partFile(dir, n), body));
  const part: PartInfo = { partNumber: n, etag: body.md5Hex, size: body.size, lastModified: Math.floor(Date.now() / 1000) };
  await writeJson(partFile(dir, n) + ".json", part);
  return part;
}

export async function uploadPart(ctx: Context): Promise<void> {
  const o = objectRef(ctx);
  const n = partNumberOf(ctx);
  const length = declaredLength(ctx);
  const body = verifiedBody(ctx, length);
  const id = ctx.query.get("uploadId") ?? "";
  if (isRemoteUploadId(id) || isAzureUploadId(id)) {
    let etag: string;
    if (isRemoteUploadId(id)) etag = await putRemotePart(ctx, o, decodeUploadId(id), n, body, length);
    else {
      let upload;
      try {
        upload = decodeAzureUploadId(id, o);
      } catch (err) {
        body.destroy();
        throw err;
      }
      etag = await putAzurePart(o, upload, n, body, length);
    }
    return sendEmpty(ctx, 200, { etag: quoteEtag(etag) });
  }
  let dir: string;
  try {
    ({ dir } = await loadUpload(ctx, o));
  } catch (err) {
    body.destroy();
    throw err;
  }
  const part = await savePart(dir, n, body);
  sendEmpty(ctx, 200, { etag: quoteEtag(part.etag) });
}

export async function uploadPartCopy(ctx: Context): Promise<void> {
  const o = objectRef(ctx);
  const n = partNumberOf(ctx);
  const src = copySource(ctx);
  const id = ctx.query.get("uploadId") ?? "";
  const azure = isAzureUploadId(id) ? decodeAzureUploadId(id, o) : undefined;
  const dir = isRemoteUploadId(id) || azure ? undefined : (await loadUpload(ctx, o)).dir;
  let got: M.GetObjectResponse;
  try {
    got = await ctx.client.getObject(src);
  } catch (err) {
    throw await readError(ctx.client, src.repository, err);
  }
  const size = Number(got.stats.sizeBytes);
  const rangeHeader = header(ctx, "x-amz-copy-source-range");
  const range = rangeHeader ? parseRange(rangeHeader, size) : undefined;
  if (rangeHeader && !range) throw s3.invalidArgument(`x-amz-copy-source-range ${rangeHeader} is not bytes=FIRST-LAST within the source`);
  const length = range ? range.end - range.start + 1 : size;
  const verifier = new PayloadVerifier({ declaredLength: length, expectations: [] });
  const source = await readFromStore(got, range, `copy source ${src.key} in ${src.repository}`);
  verifier.feedFrom(source);
  if (dir === undefined) {
    const etag = azure ? await putAzurePart(o, azure, n, verifier, length) : await putRemotePart(ctx, o, decodeUploadId(id), n, verifier, length);
    return sendXml(ctx, 200, root("CopyPartResult", [xmlElement("LastModified", isoDate(Math.floor(Date.now() / 1000))), xmlElement("ETag", quoteEtag(etag))]));
  }
  const part = await savePart(dir, n, verifier);
  sendXml(ctx, 200, root("CopyPartResult", [xmlElement("LastModified", isoDate(part.lastModified)), xmlElement("ETag", quoteEtag(part.etag))]));
}

async function listPartInfos(dir: string): Promise<PartInfo[]> {
  const names = (await fsp.readdir(dir)).filter((n) => /^part-\d{5}\.json$/.test(n)).sort();
  return Promise.all(names.map(async (n) => JSON.parse(await fsp.readFile(path.join(dir, n), "utf8")) as PartInfo));
}

export async function completeUpload(ctx: Context): Promise<void> {
  const o = objectRef(ctx);
  const id = ctx.query.get("uploadId") ?? "";
  const remote = isRemoteUploadId(id) ? decodeUploadId(id) : undefined;
  const azure = isAzureUploadId(id) ? decodeAzureUploadId(id, o) : undefined;
  const local = remote || azure ? undefined : await loadUpload(ctx, o);
  const doc = parseXml((await smallBody(ctx)).toString("utf8"), "CompleteMultipartUpload");
  if (doc.name !== "CompleteMultipartUpload") throw s3.malformedXml(`CompleteMultipartUpload expects a <CompleteMultipartUpload> root element, not <${doc.name}>`);
  const asked = childrenNamed(doc, "Part").map((p) => {
    const num = Number(childText(p, "PartNumber"));
    const etag = (childText(p, "ETag") ?? "").trim().replace(/^"|"$/g, "");
    if (!Number.isInteger(num) || num < 1 || num > MAX_PART_NUMBER || etag === "") throw s3.malformedXml("each <Part> needs a <PartNumber> from 1 to 10000 and an <ETag>");
    return { num, etag };
  });
  if (asked.length === 0) throw s3.malformedXml("CompleteMultipartUpload lists no parts");
  if (remote) return completeRemote(ctx, o, remote, asked);
  if (azure) return completeAzure(ctx, o, azure, asked);
  const { dir, info } = local!;
  const stored = new Map((await listPartInfos(dir)).map((p) => [p.partNumber, p]));
  const parts: PartInfo[] = [];
  for (let i = 0; i < asked.length; i++) {
    if (i > 0 && asked[i].num <= asked[i - 1].num) throw s3.invalidPartOrder("the parts must be listed in ascending order of part number, each once");
    const p = stored.get(asked[i].num);
    if (!p || p.etag !== asked[i].etag) throw s3.invalidPart(`part ${asked[i].num} was not uploaded or its ETag is not "${asked[i].etag}"`);
    if (i < asked.length - 1 && p.size < MIN_PART) throw s3.entityTooSmall(`part ${p.partNumber} has ${p.size} bytes: every part but the last needs at least 5 MiB`);
    parts.push(p);
  }
  const prepared = await prepare(ctx, o);
  const target = prepared.direct?.local?.path;
  if (!target) throw s3.internal("the store stopped offering direct access between create and complete");
  const total = parts.reduce((n, p) => n + p.size, 0);
  // Join the parts into the fresh address: one file after another, streamed.
  const joined = new PassThrough({ highWaterMark: 1 << 20 });
  const feed = (async () => {
    for (const p of parts) {
      for await (const chunk of fs.createReadStream(partFile(dir, p.partNumber), { highWaterMark: 1 << 20 })) {
        if (!joined.write(chunk)) await new Promise((r) => joined.once("drain", r));
      }
    }
    joined.end();
  })().catch((err: unknown) => joined.destroy(err as Error));
  await writeFile(target, joined as unknown as Readable);
  await feed;
  const md5s = createHash("md5");
  for (const p of parts) md5s.update(Buffer.from(p.etag, "hex"));
  const etag = `${md5s.digest("hex")}-${parts.length}`;
  await stage(ctx, o, { physicalAddress: prepared.physicalAddress, checksum: etag, sizeBytes: total, contentType: info.contentType, userMetadata: info.metadata });
  await fsp.rm(dir, { recursive: true, force: true });
  sendXml(ctx, 200, root("CompleteMultipartUploadResult", [
    xmlElement("Location", `/${o.repository}/${o.key}`), xmlElement("Bucket", o.repository), xmlElement("Key", o.key), xmlElement("ETag", quoteEtag(etag)),
  ]));
}

export async function abortUpload(ctx: Context): Promise<void> {
  const o = objectRef(ctx);
  const id = ctx.query.get("uploadId") ?? "";
  if (isRemoteUploadId(id)) return abortRemote(ctx, o, decodeUploadId(id));
  if (isAzureUploadId(id)) return abortAzure(ctx, o, decodeAzureUploadId(id, o, 0)); // an expired upload may still be aborted
  const { dir } = await loadUpload(ctx, o);
  await fsp.rm(dir, { recursive: true, force: true });
  sendEmpty(ctx, 204);
}

export async function listParts(ctx: Context): Promise<void> {
  const o = objectRef(ctx);
  const id = ctx.query.get("uploadId") ?? "";
  const marker = Number(ctx.query.get("part-number-marker") ?? "0") || 0;
  const max = Math.min(Number(ctx.query.get("max-parts") ?? "1000") || 1000, 1000);
  const now = Math.floor(Date.now() / 1000); // neither S3's listing through the service nor Azure keep a time per part
  let page: PartInfo[];
  let truncated: boolean;
  if (isRemoteUploadId(id)) {
    const listed = await listRemoteParts(ctx, o, decodeUploadId(id), marker, max);
    page = listed.parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag, size: Number(p.sizeBytes), lastModified: now }));
    truncated = listed.isTruncated;
  } else {
    let parts: PartInfo[];
    if (isAzureUploadId(id)) parts = (await listAzureParts(o, decodeAzureUploadId(id, o))).map((p) => ({ ...p, lastModified: now }));
    else parts = await listPartInfos((await loadUpload(ctx, o)).dir);
    const all = parts.filter((p) => p.partNumber > marker);
    page = all.slice(0, max);
    truncated = all.length > page.length;
  }
  sendXml(ctx, 200, root("ListPartsResult", [
    xmlElement("Bucket", o.repository), xmlElement("Key", o.key), xmlElement("UploadId", id),
    xmlElement("PartNumberMarker", marker), xmlElement("NextPartNumberMarker", page.length ? page[page.length - 1].partNumber : marker),
    xmlElement("MaxParts", max), xmlElement("IsTruncated", truncated), xmlElement("StorageClass", "STANDARD"),
    ...page.map((p) => xmlElement("Part", [xmlElement("PartNumber", p.partNumber), xmlElement("LastModified", isoDate(p.lastModified)), xmlElement("ETag", quoteEtag(p.etag)), xmlElement("Size", p.size)])),
  ]));
}
