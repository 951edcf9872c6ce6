// S3 ListMultipartUploads. Local stores list the upload directories the gateway keeps in them (multipart.ts);
// other stores list the records the metadata service keeps of uploads in progress (ListMultipartUploads RPC),
// each shown with the upload id the client was given: rebuilt for S3 stores (multipart-remote.ts), kept in
// the record for Azure stores (multipart-azure.ts). Paging (key-marker, upload-id-marker, max-uploads) and
// grouping by delimiter are the same for both (pageUploads, pure over a sorted source).
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import type * as M from "../metadata/messages";
import { encoder } from "./buckets";
import { isoDate, root, sendXml, type Context } from "./context";
import { s3 } from "./errors";
import { remoteUploadId } from "./multipart-remote";
import { UPLOADS } from "./multipart-sweep";
import { readError } from "./refs";
import { xmlElement } from "./xml";

/** One upload as listed: key "branch/path", the client's upload id, and the id its source sorts by. */
export interface ListedUpload {
  key: string;
  uploadId: string;
  /** The id the source orders and resumes by (the store's, for records of the metadata service). */
  sortId: string;
  initiated: number;
  initiator?: string;
}

export interface UploadsQuery {
  prefix: string;
  delimiter: string;
  keyMarker: string;
  /** Already translated to a sortId. */
  uploadIdMarker: string;
  maxUploads: number;
}

export interface UploadsPage {
  uploads: ListedUpload[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextKeyMarker: string;
  nextUploadIdMarker: string;
}

/**
 * One page of S3's answer from `source` (uploads sorted by key, then sortId, already after the markers and
 * under the prefix): uploads and common prefixes together count against max-uploads. A common prefix equal to
 * the key marker was the last entry of the page before, so its uploads are skipped.
 */
export async function pageUploads(source: AsyncIterable<ListedUpload>, q: UploadsQuery): Promise<UploadsPage> {
  const page: UploadsPage = { uploads: [], commonPrefixes: [], isTruncated: false, nextKeyMarker: "", nextUploadIdMarker: "" };
  let count = 0;
  let lastPrefix = "";
  for await (const u of source) {
    const cut = q.delimiter === "" ? -1 : u.key.indexOf(q.delimiter, q.prefix.length);
    const common = cut < 0 ? undefined : u.key.slice(0, cut + q.delimiter.length);
    if (common !== undefined && (common === lastPrefix || common === q.keyMarker)) continue;
    if (count === q.maxUploads) {
      page.isTruncated = true;
      break;
    }
    count++;
    if (common !== undefined) {
      page.commonPrefixes.push(common);
      lastPrefix = common;
      page.nextKeyMarker = common;
      page.nextUploadIdMarker = "";
    } else {
      page.uploads.push(u);
      page.nextKeyMarker = u.key;
      page.nextUploadIdMarker = u.uploadId;
    }
  }
  if (!page.isTruncated) {
    page.nextKeyMarker = "";
    page.nextUploadIdMarker = "";
  }
  return page;
}

/** The id an upload id sorts by in its source: the store's id inside a gateway's "r."/"z." upload id. */
export function sortIdOf(uploadId: string): string {
  const field = uploadId.startsWith("r.") ? "u" : uploadId.startsWith("z.") ? "k" : undefined;
  if (!field) return uploadId;
  try {
    const v = (JSON.parse(Buffer.from(uploadId.slice(2), "base64url").toString("utf8")) as Record<string, unknown>)[field];
    if (typeof v === "string") return v;
  } catch {
    // fall through
  }
  throw s3.invalidArgument(`upload-id-marker ${JSON.stringify(uploadId.slice(0, 100))} is not an upload id this gateway issued`);
}

/** The metadata service's records, page after page, from the markers on. */
async function* recordedUploads(ctx: Context, repository: string, q: UploadsQuery): AsyncGenerator<ListedUpload> {
  let keyMarker = q.keyMarker;
  let uploadIdMarker = q.uploadIdMarker;
  for (;;) {
    let page: M.ListMultipartUploadsResponse;
    try {
      page = await ctx.client.listMultipartUploads({ repository, prefix: q.prefix, keyMarker, uploadIdMarker, maxUploads: 1000 });
    } catch (err) {
      throw await readError(ctx.client, repository, err);
    }
    for (const r of page.uploads) {
      const uploadId = r.clientUploadId || remoteUploadId({ a: r.physicalAddress, u: r.uploadId, t: r.contentType, m: r.userMetadata });
      yield { key: `${r.branch}/${r.path}`, uploadId, sortId: r.uploadId, initiated: Number(r.initiated), initiator: r.initiator || undefined };
    }
    if (!page.isTruncated) return;
    keyMarker = page.nextKeyMarker;
    uploadIdMarker = page.nextUploadIdMarker;
  }
}

interface LocalUploadInfo {
  uploadId: string;
  repository: string;
  branch: string;
  path: string;
  initiated: number;
  initiator: string;
}

/** The upload directories of a local store, sorted and after the markers. */
async function* localUploads(ctx: Context, repository: string, rootDir: string, q: UploadsQuery): AsyncGenerator<ListedUpload> {
  ctx.uploads?.seen(rootDir);
  const dir = path.join(rootDir, UPLOADS);
  const ids = await fsp.readdir(dir).catch(() => [] as string[]);
  const all: ListedUpload[] = [];
  for (const id of ids) {
    const info = await fsp.readFile(path.join(dir, id, "upload.json"), "utf8").then((t) => JSON.parse(t) as LocalUploadInfo, () => undefined);
    if (!info || info.repository !== repository) continue;
    const key = `${info.branch}/${info.path}`;
    if (!key.startsWith(q.prefix)) continue;
    const after = q.keyMarker === "" || key > q.keyMarker || (key === q.keyMarker && q.uploadIdMarker !== "" && info.uploadId > q.uploadIdMarker);
    if (after) all.push({ key, uploadId: info.uploadId, sortId: info.uploadId, initiated: info.initiated, initiator: info.initiator });
  }
  all.sort((a, b) => (a.key === b.key ? (a.sortId < b.sortId ? -1 : 1) : a.key < b.key ? -1 : 1));
  yield* all;
}

function maxUploadsOf(ctx: Context): number {
  const raw = ctx.query.get("max-uploads");
  if (raw === undefined || raw === "") return 1000;
  if (!/^\d+$/.test(raw)) throw s3.invalidArgument(`max-uploads ${JSON.stringify(raw)} is not a non-negative integer`);
  return Math.min(Number(raw), 1000);
}

export async function listUploads(ctx: Context): Promise<void> {
  const bucket = ctx.target.bucket;
  let repo: M.Repository;
  try {
    repo = await ctx.client.getRepository({ repository: bucket });
  } catch (err) {
    throw await readError(ctx.client, bucket, err);
  }
  const enc = encoder(ctx);
  const keyMarker = ctx.query.get("key-marker") ?? "";
  const uploadIdMarker = keyMarker === "" ? "" : ctx.query.get("upload-id-marker") ?? "";
  const q: UploadsQuery = {
    prefix: ctx.query.get("prefix") ?? "", delimiter: ctx.query.get("delimiter") ?? "", keyMarker,
    uploadIdMarker: sortIdOf(uploadIdMarker), maxUploads: maxUploadsOf(ctx),
  };
  const local = repo.storageNamespace.startsWith("local://");
  const source = local ? localUploads(ctx, bucket, repo.storageNamespace.slice("local://".length), q) : recordedUploads(ctx, bucket, q);
  const page = await pageUploads(source, q);
  const who = (id: string | undefined) => (id === undefined ? [] : [
    xmlElement("Initiator", [xmlElement("ID", id), xmlElement("DisplayName", id)]), xmlElement("Owner", [xmlElement("ID", id), xmlElement("DisplayName", id)]),
  ]);
  sendXml(ctx, 200, root("ListMultipartUploadsResult", [
    xmlElement("Bucket", bucket), xmlElement("KeyMarker", enc(keyMarker)), xmlElement("UploadIdMarker", uploadIdMarker),
    xmlElement("NextKeyMarker", enc(page.nextKeyMarker)), xmlElement("NextUploadIdMarker", page.nextUploadIdMarker),
    xmlElement("Prefix", enc(q.prefix)), q.delimiter === "" ? "" : xmlElement("Delimiter", enc(q.delimiter)),
    xmlElement("MaxUploads", q.maxUploads), xmlElement("IsTruncated", page.isTruncated),
    ctx.query.has("encoding-type") ? xmlElement("EncodingType", "url") : "",
    ...page.uploads.map((u) => xmlElement("Upload", [
      xmlElement("Key", enc(u.key)), xmlElement("UploadId", u.uploadId), ...who(u.initiator),
      xmlElement("StorageClass", "STANDARD"), xmlElement("Initiated", isoDate(u.initiated)),
    ])),
    ...page.commonPrefixes.map((p) => xmlElement("CommonPrefixes", [xmlElement("Prefix", enc(p))])),
  ]));
}
