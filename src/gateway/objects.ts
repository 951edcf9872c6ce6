// Object calls: GetObject, HeadObject, PutObject, CopyObject, DeleteObject, DeleteObjects.
import { pipeline } from "node:stream/promises";
import { hasCode } from "../errors";
import type * as M from "../metadata/messages";
import { checkObjectPath, splitRefPath } from "./address";
import { declaredLength, expectations, smallBody, verifiedBody, wholeBody } from "./body";
import { evaluate, parseRange } from "./conditions";
import { header, httpDate, isoDate, quoteEtag, root, sendEmpty, sendXml, type Context } from "./context";
import { s3, S3Error, toS3Error } from "./errors";
import { PayloadVerifier } from "./payload";
import { RawBody } from "./raw-get";
import { readError, writeError } from "./refs";
import { readFromStore, readSmall, storeEtagIsMd5, writeBytesToStore, writeToStore, type ByteRange } from "./store-io";

/** PUT bodies up to this size are read into memory whole (wholeBody) rather than streamed. */
const SMALL_PUT = 256 * 1024;
import { childrenNamed, childText, parseXml, xmlElement } from "./xml";

export interface ObjectRef {
  repository: string;
  ref: string;
  path: string;
  key: string;
}

export function objectRef(ctx: Context): ObjectRef {
  const { ref, path } = splitRefPath(ctx.target.key);
  checkObjectPath(ctx.target.key, path);
  return { repository: ctx.target.bucket, ref, path, key: ctx.target.key };
}

function objectHeaders(stats: M.ObjectStats): Record<string, string | number> {
  const h: Record<string, string | number> = {
    etag: quoteEtag(stats.checksum),
    "last-modified": httpDate(Number(stats.mtime)),
    "content-type": stats.contentType || "application/octet-stream",
    "accept-ranges": "bytes",
  };
  for (const [k, v] of Object.entries(stats.userMetadata ?? {})) h[`x-amz-meta-${k}`] = v;
  return h;
}

const RESPONSE_OVERRIDES: Record<string, string> = {
  "response-content-type": "content-type",
  "response-content-language": "content-language",
  "response-expires": "expires",
  "response-cache-control": "cache-control",
  "response-content-disposition": "content-disposition",
  "response-content-encoding": "content-encoding",
};

function conditions(ctx: Context) {
  return {
    ifMatch: header(ctx, "if-match"),
    ifNoneMatch: header(ctx, "if-none-match"),
    ifModifiedSince: header(ctx, "if-modified-since"),
    ifUnmodifiedSince: header(ctx, "if-unmodified-since"),
  };
}

export async function getObject(ctx: Context, headOnly: boolean): Promise<void> {
  const o = objectRef(ctx);
  let got: M.GetObjectResponse;
  try {
    const load = () => readAccess(ctx, o);
    if (ctx.reads) got = await ctx.reads.get(ctx.auth.caller.accessKeyId, o.repository, o.ref, o.path, load);
    else got = headOnly ? { stats: await ctx.client.statObject({ repository: o.repository, ref: o.ref, path: o.path }), presignedUrl: "", direct: null as unknown as M.StoreAccess, expiresAt: 0 } : await load();
  } catch (err) {
    throw await readError(ctx.client, o.repository, err);
  }
  const stats = got.stats;
  const size = Number(stats.sizeBytes);
  const headers = objectHeaders(stats);
  if (evaluate(conditions(ctx), stats.checksum, Number(stats.mtime)) === 304) {
    const { etag, "last-modified": lm } = headers;
    return sendEmpty(ctx, 304, { etag, "last-modified": lm });
  }
  for (const [q, h] of Object.entries(RESPONSE_OVERRIDES)) {
    const v = ctx.query.get(q);
    if (v !== undefined) headers[h] = v;
  }
  const range = parseRange(header(ctx, "range"), size);
  const status = range ? 206 : 200;
  headers["content-length"] = range ? range.end - range.start + 1 : size;
  if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
  if (headOnly) {
    ctx.res.writeHead(status, headers);
    ctx.res.end();
    return;
  }
  const what = `object ${o.key} in ${o.repository}`;
  const small = await smallObjectBytes(ctx, o.repository, got, range, what);
  if (small) {
    ctx.res.writeHead(status, headers);
    ctx.res.end(small);
    return;
  }
  const body = await readFromStore(got, range, what);
  ctx.res.writeHead(status, headers);
  if (body instanceof RawBody) {
    // Straight from the store connection's pooled read buffers into the response (raw-get.ts).
    await body.pipeInto(ctx.res);
    ctx.res.end();
    return;
  }
  await pipeline(body, ctx.res);
}

/** A small object's bytes (or range), from the gateway's byte cache or read whole; undefined when large. */
async function smallObjectBytes(ctx: Context, repository: string, got: M.GetObjectResponse, range: ByteRange | undefined, what: string): Promise<Buffer | undefined> {
  const stats = got.stats;
  const cached = ctx.bytes?.get(repository, stats);
  if (cached) return range ? cached.subarray(range.start, range.end + 1) : cached;
  if (!range && ctx.bytes?.fits(stats)) {
    const data = await readSmall(got, undefined, what);
    if (data) ctx.bytes.set(repository, stats, data);
    return data;
  }
  return readSmall(got, range, what);
}

/** The entry and how to read it: StatObject plus a cached access for its address, or GetObject. */
async function readAccess(ctx: Context, o: ObjectRef): Promise<M.GetObjectResponse> {
  // Concurrent lookups of one caller go as StatObjects calls (the SDK coalesces them: stat-coalescer.ts).
  const stats = await ctx.client.statObject({ repository: o.repository, ref: o.ref, path: o.path });
  const known = ctx.access.lookup(o.repository, stats);
  if (known) return known;
  const got = await ctx.client.getObject({ repository: o.repository, ref: o.ref, path: o.path });
  ctx.access.remember(o.repository, got);
  return got;
}

export function userMetadata(ctx: Context): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.req.headers)) {
    if (name.startsWith("x-amz-meta-") && value !== undefined) out[name.slice("x-amz-meta-".length)] = Array.isArray(value) ? value.join(",") : value;
  }
  return out;
}

export async function putObject(ctx: Context): Promise<void> {
  const o = objectRef(ctx);
  const ifAbsent = header(ctx, "if-none-match")?.trim() === "*";
  const contentType = header(ctx, "content-type") ?? "";
  const length = declaredLength(ctx);
  expectations(ctx); // a malformed digest header is refused before anything is allocated
  let prepared: M.PrepareUploadResponse;
  try {
    prepared = await ctx.client.prepareUpload({ repository: o.repository, branch: o.ref, path: o.path, contentType });
  } catch (err) {
    throw await writeError(ctx.client, o.repository, o.ref, err);
  }
  const md5 = !storeEtagIsMd5(prepared);
  if (length <= SMALL_PUT) {
    // Read whole and verified before anything is written: no stream per request, one write to the store.
    const body = await wholeBody(ctx, length, { md5 });
    const storeEtag = await writeBytesToStore(prepared, body.data, `upload of ${o.key} to ${o.repository}`);
    const stats = await stage(ctx, o, { physicalAddress: prepared.physicalAddress, checksum: storeEtag || body.md5Hex, sizeBytes: body.data.length, contentType, userMetadata: userMetadata(ctx), ifAbsent });
    return sendEmpty(ctx, 200, { etag: quoteEtag(stats.checksum) });
  }
  // The body is read only now, so a refused write costs the client no upload; S3 stores hash it themselves.
  const body = verifiedBody(ctx, length, { md5 });
  const storeEtag = await body.consumedBy(writeToStore(prepared, body, length, `upload of ${o.key} to ${o.repository}`));
  const stats = await stage(ctx, o, { physicalAddress: prepared.physicalAddress, checksum: storeEtag || body.md5Hex, sizeBytes: body.size, contentType, userMetadata: userMetadata(ctx), ifAbsent });
  sendEmpty(ctx, 200, { etag: quoteEtag(stats.checksum) });
}

export async function stage(ctx: Context, o: ObjectRef, entry: Partial<M.StageObjectRequest>): Promise<M.ObjectStats> {
  try {
    return await ctx.client.stageObject({ repository: o.repository, branch: o.ref, path: o.path, addressType: "ADDRESS_TYPE_RELATIVE", ...entry });
  } catch (err) {
    if (entry.ifAbsent && hasCode(err, "FAILED_PRECONDITION")) throw s3.preconditionFailed(`${o.key} already exists in ${o.repository} (If-None-Match: *)`, err);
    throw await writeError(ctx.client, o.repository, o.ref, err);
  }
}

/** x-amz-copy-source: "[/]bucket/ref/path[?versionId=...]", URL-encoded. */
export function copySource(ctx: Context): ObjectRef {
  const raw = header(ctx, "x-amz-copy-source") ?? "";
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw.split("?")[0]);
  } catch {
    throw s3.invalidArgument(`x-amz-copy-source ${JSON.stringify(raw.slice(0, 200))} is not valid percent-encoded UTF-8`);
  }
  const s = decoded.startsWith("/") ? decoded.slice(1) : decoded;
  const slash = s.indexOf("/");
  if (slash <= 0) throw s3.invalidArgument(`x-amz-copy-source ${JSON.stringify(raw)} must be BUCKET/REF/PATH`);
  const key = s.slice(slash + 1);
  const { ref, path } = splitRefPath(key);
  checkObjectPath(key, path);
  return { repository: s.slice(0, slash), ref, path, key };
}

export async function copyObject(ctx: Context): Promise<void> {
  const dest = objectRef(ctx);
  const src = copySource(ctx);
  const replace = (header(ctx, "x-amz-metadata-directive") ?? "COPY").toUpperCase() === "REPLACE";
  let got: M.GetObjectResponse;
  try {
    got = await ctx.client.getObject(src);
  } catch (err) {
    throw await readError(ctx.client, src.repository, err);
  }
  if (evaluate({ ifMatch: header(ctx, "x-amz-copy-source-if-match"), ifNoneMatch: header(ctx, "x-amz-copy-source-if-none-match") }, got.stats.checksum, Number(got.stats.mtime)) === 304) {
    throw s3.preconditionFailed(`x-amz-copy-source-if-none-match matches ${src.key}`);
  }
  const contentType = replace ? (header(ctx, "content-type") ?? "") : got.stats.contentType;
  const meta = replace ? userMetadata(ctx) : got.stats.userMetadata;
  let stats: M.ObjectStats;
  if (src.repository === dest.repository && got.stats.addressType === "ADDRESS_TYPE_RELATIVE") {
    // Same storage namespace: the new entry points at the same bytes (a shallow copy, as lakeFS does).
    stats = await stage(ctx, dest, { physicalAddress: got.stats.physicalAddress, checksum: got.stats.checksum, sizeBytes: got.stats.sizeBytes, contentType, userMetadata: meta });
  } else {
    const size = Number(got.stats.sizeBytes);
    let prepared: M.PrepareUploadResponse;
    try {
      prepared = await ctx.client.prepareUpload({ repository: dest.repository, branch: dest.ref, path: dest.path, contentType });
    } catch (err) {
      throw await writeError(ctx.client, dest.repository, dest.ref, err);
    }
    const verifier = new PayloadVerifier({ declaredLength: size, expectations: [] });
    const source = await readFromStore(got, undefined, `copy source ${src.key} in ${src.repository}`);
    verifier.feedFrom(source);
    const storeEtag = await verifier.consumedBy(writeToStore(prepared, verifier, size, `copy of ${src.key} to ${dest.key}`));
    stats = await stage(ctx, dest, { physicalAddress: prepared.physicalAddress, checksum: storeEtag || verifier.md5Hex, sizeBytes: size, contentType, userMetadata: meta });
  }
  sendXml(ctx, 200, root("CopyObjectResult", [xmlElement("LastModified", isoDate(Number(stats.mtime))), xmlElement("ETag", quoteEtag(stats.checksum))]));
}

export async function deleteObject(ctx: Context): Promise<void> {
  const o = objectRef(ctx);
  try {
    await ctx.client.deleteObject({ repository: o.repository, branch: o.ref, path: o.path });
  } catch (err) {
    const mapped = await writeError(ctx.client, o.repository, o.ref, err);
    // Deleting a key that is not there succeeds in S3.
    if (!(mapped.code === "NoSuchKey" && (await branchExists(ctx, o)))) throw mapped;
  }
  sendEmpty(ctx, 204);
}

async function branchExists(ctx: Context, o: ObjectRef): Promise<boolean> {
  return ctx.client.getBranch({ repository: o.repository, branch: o.ref }).then(() => true, () => false);
}

export async function deleteObjects(ctx: Context): Promise<void> {
  if (header(ctx, "content-md5") === undefined && !Object.keys(ctx.req.headers).some((h) => h.startsWith("x-amz-checksum-")) && !(ctx.auth.body.kind === "chunked" && ctx.auth.body.trailer)) {
    throw s3.invalidRequest("DeleteObjects needs a Content-MD5 or x-amz-checksum-* header");
  }
  const doc = parseXml((await smallBody(ctx)).toString("utf8"), "DeleteObjects");
  if (doc.name !== "Delete") throw s3.malformedXml(`DeleteObjects expects a <Delete> root element, not <${doc.name}>`);
  const quiet = childText(doc, "Quiet")?.trim() === "true";
  const keys = childrenNamed(doc, "Object").map((o) => {
    const k = childText(o, "Key");
    if (k === undefined) throw s3.malformedXml("an <Object> in DeleteObjects has no <Key>");
    return k;
  });
  if (keys.length === 0 || keys.length > 1000) throw s3.malformedXml(`DeleteObjects takes 1 to 1000 keys, not ${keys.length}`);
  const deleted: string[] = [];
  const errors: Array<{ key: string; code: string; message: string }> = [];
  const byRef = new Map<string, Array<{ key: string; path: string }>>();
  for (const key of keys) {
    const { ref, path } = splitRefPath(key);
    try {
      checkObjectPath(key, path);
    } catch (err) {
      const e = err as S3Error;
      errors.push({ key, code: e.code, message: e.message });
      continue;
    }
    byRef.set(ref, [...(byRef.get(ref) ?? []), { key, path }]);
  }
  for (const [ref, items] of byRef) {
    try {
      const answer = await ctx.client.deleteObjects({ repository: ctx.target.bucket, branch: ref, paths: items.map((i) => i.path) });
      for (const i of items) ctx.reads?.forget(ctx.target.bucket, ref, i.path);
      const failed = new Map(answer.errors.filter((e) => e.code !== "NOT_FOUND").map((e) => [e.path, e]));
      for (const i of items) {
        const f = failed.get(i.path);
        if (f) errors.push({ key: i.key, code: toS3Error(Object.assign(new Error(f.message), {})).code, message: f.message });
        else deleted.push(i.key);
      }
    } catch (err) {
      const e = await writeError(ctx.client, ctx.target.bucket, ref, err);
      for (const i of items) errors.push({ key: i.key, code: e.code, message: e.message });
    }
  }
  sendXml(ctx, 200, root("DeleteResult", [
    ...(quiet ? [] : deleted.map((k) => xmlElement("Deleted", [xmlElement("Key", k)]))),
    ...errors.map((e) => xmlElement("Error", [xmlElement("Key", e.key), xmlElement("Code", e.code), xmlElement("Message", e.message)])),
  ]));
}

export { toS3Error };
