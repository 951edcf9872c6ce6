// Object bytes between the caller and the object store, never through the service:
//   upload   = PrepareUpload → write the bytes (direct file write for a local store the client shares,
//              presigned PUT, or presigned multipart for objects larger than one part) → StageObject
//   download = GetObject (entry + how to read) → direct file read or presigned GET, streamed.
// Memory stays bounded by one part: a stream is read part by part, each part PUT before the next is read.
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { invalidArgument, notFound, TarnError } from "../errors";
import type * as M from "../metadata/messages";
import type { TarnClient } from "./client";

export interface UploadOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  /** Ask for presigned URLs even when direct store access is possible. */
  presign?: boolean;
  /** Bytes per multipart part (at least 5 MiB, S3's minimum); default 16 MiB. Objects up to one part go in one PUT. */
  partSize?: number;
  /** Refuse (FAILED_PRECONDITION) when the path exists on the branch. */
  ifAbsent?: boolean;
}

export interface DownloadResult {
  stats: M.ObjectStats;
  body: Readable;
}

const MIN_PART = 5 * 1024 * 1024;
const DEFAULT_PART = 16 * 1024 * 1024;
const PRESIGN_AHEAD = 16;

type Source = Buffer | Readable | AsyncIterable<Uint8Array>;
type Target = { repository: string; branch: string; path: string };

/** Reads a source in pieces of exactly `size` bytes (the last may be shorter); an empty source gives one empty piece. */
async function* pieces(source: Source, size: number): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(source)) {
    for (let at = 0; at < source.length || at === 0; at += size) yield source.subarray(at, at + size);
    return;
  }
  let held: Buffer[] = [];
  let heldBytes = 0;
  let yielded = false;
  for await (const chunk of source) {
    let c = Buffer.from(chunk);
    while (heldBytes + c.length >= size) {
      const take = size - heldBytes;
      held.push(c.subarray(0, take));
      c = c.subarray(take);
      yield Buffer.concat(held);
      yielded = true;
      held = [];
      heldBytes = 0;
    }
    if (c.length > 0) {
      held.push(c);
      heldBytes += c.length;
    }
  }
  if (heldBytes > 0 || !yielded) yield Buffer.concat(held);
}

/** An Azure blob SAS URL (it carries the service version and signature in its query). */
function isAzureSas(url: string): boolean {
  const q = new URL(url).searchParams;
  return q.has("sv") && q.has("sig");
}

/** Azure SAS URLs need the blob type on a PUT; S3 and local presigned URLs need nothing extra. */
function putHeaders(url: string, contentType: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  const q = new URL(url).searchParams;
  if (isAzureSas(url)) headers["x-ms-blob-type"] = "BlockBlob";
  if (contentType && !q.has("X-Amz-Signature")) headers["content-type"] = contentType;
  return headers;
}

async function put(url: string, body: Buffer | string, contentType: string | undefined, what: string, headers = putHeaders(url, contentType)): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { method: "PUT", body, headers });
  } catch (err) {
    throw new TarnError("UNAVAILABLE", `${what}: object store unreachable: ${(err as Error).message}`, { cause: err });
  }
  const text = res.ok ? "" : (await res.text()).slice(0, 300);
  if (!res.ok) throw new TarnError(res.status === 403 ? "PERMISSION_DENIED" : "INTERNAL", `${what}: object store answered ${res.status}: ${text}`);
  return (res.headers.get("etag") ?? "").replace(/^"|"$/g, "");
}

/** Writes a file the way a local store does: temp file beside it, fsync, rename. Returns size and MD5. */
async function writeLocal(file: string, source: Source): Promise<{ size: number; md5: string }> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.upload-${randomBytes(6).toString("hex")}`;
  const handle = await fsp.open(tmp, "wx");
  const hash = createHash("md5");
  let size = 0;
  try {
    const chunks: AsyncIterable<Uint8Array> = Buffer.isBuffer(source) ? [source] as unknown as AsyncIterable<Uint8Array> : source;
    for await (const chunk of chunks) {
      const b = Buffer.from(chunk);
      await handle.write(b);
      hash.update(b);
      size += b.length;
    }
    await handle.sync();
  } catch (err) {
    await handle.close();
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await fsp.rename(tmp, file);
  return { size, md5: hash.digest("hex") };
}

export async function upload(client: TarnClient, target: Target, source: Source, options: UploadOptions): Promise<M.ObjectStats> {
  const partSize = options.partSize ?? DEFAULT_PART;
  if (!Number.isInteger(partSize) || partSize < MIN_PART) throw invalidArgument(`invalid partSize ${partSize}: at least ${MIN_PART} bytes (5 MiB)`);
  const stage = (physicalAddress: string, extra: Partial<M.StageObjectRequest>) =>
    client.stageObject({
      ...target,
      physicalAddress,
      addressType: "ADDRESS_TYPE_RELATIVE",
      contentType: options.contentType ?? "",
      userMetadata: options.metadata ?? {},
      ifAbsent: options.ifAbsent ?? false,
      ...extra,
    });
  const prepared = await client.prepareUpload({ ...target, presign: options.presign ?? false, contentType: options.contentType ?? "" });
  const what = `upload of ${target.path} to ${target.repository}/${target.branch}`;

  if (prepared.direct?.local) {
    const written = await writeLocal(prepared.direct.local.path, source);
    return stage(prepared.physicalAddress, { checksum: written.md5, sizeBytes: written.size });
  }
  if (!prepared.presignedUrl) throw new TarnError("INTERNAL", `${what}: the service offered neither direct access nor a presigned URL`);

  const parts = pieces(source, partSize);
  const first = (await parts.next()).value as Buffer;
  const second = await parts.next();
  if (second.done) {
    // One part: the presigned PUT already handed out.
    const etag = await put(prepared.presignedUrl, first, options.contentType, what);
    return stage(prepared.physicalAddress, { checksum: etag, sizeBytes: first.length });
  }

  if (isAzureSas(prepared.presignedUrl)) {
    // A blob SAS with write permission also stages blocks and commits a block list: Azure's multipart.
    const blocks = async function* () {
      yield first;
      yield second.value as Buffer;
      yield* parts;
    };
    const size = await putAzureBlocks(prepared.presignedUrl, blocks(), options.contentType, what);
    return stage(prepared.physicalAddress, { sizeBytes: size });
  }

  // More than one part: the first address is dropped unwritten; a multipart upload takes its place.
  const multi = await client.prepareUpload({ ...target, presign: true, partCount: 2, contentType: options.contentType ?? "" });
  const key = multi.physicalAddress;
  const urls = [...multi.partUrls];
  const done: M.CompletedPart[] = [];
  try {
    const send = async (body: Buffer) => {
      const n = done.length + 1;
      if (urls.length < n) {
        const wanted = Array.from({ length: PRESIGN_AHEAD }, (_v, i) => urls.length + 1 + i);
        urls.push(...(await client.presignUploadParts({ ...target, physicalAddress: key, multipartUploadId: multi.multipartUploadId, partNumbers: wanted })).partUrls);
      }
      done.push({ partNumber: n, etag: await put(urls[n - 1], body, undefined, `${what}, part ${n}`) });
    };
    await send(first);
    await send(second.value as Buffer);
    for await (const body of parts) await send(body);
    return await stage(key, { multipart: { uploadId: multi.multipartUploadId, parts: done } });
  } catch (err) {
    await client.abortMultipartUpload({ ...target, physicalAddress: key, multipartUploadId: multi.multipartUploadId }).catch(() => undefined);
    throw err;
  }
}

/** Put Block for each piece, then Put Block List; block ids are equal-length, as Azure requires. */
async function putAzureBlocks(sasUrl: string, blocks: AsyncIterable<Buffer>, contentType: string | undefined, what: string): Promise<number> {
  const ids: string[] = [];
  let size = 0;
  const withQuery = (extra: string) => `${sasUrl}&${extra}`;
  for await (const block of blocks) {
    const id = Buffer.from(`tarn-block-${String(ids.length + 1).padStart(6, "0")}`).toString("base64");
    await put(withQuery(`comp=block&blockid=${encodeURIComponent(id)}`), block, undefined, `${what}, block ${ids.length + 1}`, {});
    ids.push(id);
    size += block.length;
  }
  const xml = `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids.map((id) => `<Latest>${id}</Latest>`).join("")}</BlockList>`;
  const headers: Record<string, string> = { "content-type": "application/xml" };
  if (contentType) headers["x-ms-blob-content-type"] = contentType;
  await put(withQuery("comp=blocklist"), xml, undefined, `${what}, block list`, headers);
  return size;
}

export async function download(client: TarnClient, target: { repository: string; ref: string; path: string }, options: { presign?: boolean }): Promise<DownloadResult> {
  const got = await client.getObject({ ...target, presign: options.presign ?? false });
  const where = `object ${target.path} at ${target.repository}/${target.ref}`;
  if (got.direct?.local) {
    const file = got.direct.local.path;
    try {
      await fsp.access(file, fs.constants.R_OK);
    } catch (err) {
      throw notFound(`${where}: its bytes at ${file} are missing or unreadable`, err);
    }
    return { stats: got.stats, body: fs.createReadStream(file) };
  }
  if (!got.presignedUrl) throw new TarnError("FAILED_PRECONDITION", `${where} lives at ${got.stats.physicalAddress}, outside the repository's store: read it from there`);
  let res: Response;
  try {
    res = await fetch(got.presignedUrl);
  } catch (err) {
    throw new TarnError("UNAVAILABLE", `${where}: object store unreachable: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok || !res.body) {
    const text = (await res.text()).slice(0, 300);
    throw new TarnError(res.status === 404 ? "NOT_FOUND" : "INTERNAL", `${where}: object store answered ${res.status}: ${text}`);
  }
  return { stats: got.stats, body: Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>) };
}
