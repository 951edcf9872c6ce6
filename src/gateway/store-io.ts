// Object bytes between the HTTP caller and the object store, never whole objects in memory: a write goes to
// the address PrepareUpload hands out (a file written beside its final name and renamed into place when the
// store is a local directory the gateway shares, a presigned PUT otherwise) and is staged only after the
// body verified; a read streams from the file or a presigned GET, with ranges.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as http from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { TarnClient } from "../client";
import type * as M from "../metadata/messages";
import { s3, S3Error } from "./errors";
import { pumpPooled } from "./pooled-pump";
import { uploadBytesCopied } from "./scavenge-pacer";
import { rawGet } from "./raw-get";

/** Node 20 takes highWaterMark on client requests (socket buffers); its type definitions do not list it yet. */
type BufferedRequestOptions = http.RequestOptions & { highWaterMark: number };

const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 256 }), https: new https.Agent({ keepAlive: true, maxSockets: 256 }) };

export interface Written {
  physicalAddress: string;
}

/**
 * Writes `body` (exactly `size` bytes once it ends without error) to a fresh address prepared on a branch.
 * Returns the store's ETag when it is the MD5 of the bytes (S3 single PUTs), else "" (compute it yourself).
 */
export async function writeToStore(prepared: M.PrepareUploadResponse, body: Readable, size: number, what: string): Promise<string> {
  if (prepared.direct?.local) {
    await writeFile(prepared.direct.local.path, body);
    return "";
  }
  if (!prepared.presignedUrl) throw s3.internal(`${what}: the metadata service offered neither direct access nor a presigned URL`);
  const etag = await httpPut(prepared.presignedUrl, body, size, what);
  return storeEtagIsMd5(prepared) && /^[0-9a-f]{32}$/.test(etag) ? etag : "";
}

/**
 * writeToStore for a body already in memory and verified: a local file is written in one call at its final
 * address (nothing refers to a fresh address until it is staged, so there is no partial object to hide);
 * other stores get one PUT with the buffer.
 */
export async function writeBytesToStore(prepared: M.PrepareUploadResponse, data: Buffer, what: string): Promise<string> {
  const file = prepared.direct?.local?.path;
  if (file) {
    const write = () => fsp.writeFile(file, data, { flag: "wx" });
    await write().catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
      await fsp.mkdir(path.dirname(file), { recursive: true });
      await write();
    });
    return "";
  }
  if (!prepared.presignedUrl) throw s3.internal(`${what}: the metadata service offered neither direct access nor a presigned URL`);
  const etag = await httpPut(prepared.presignedUrl, data, data.length, what);
  return storeEtagIsMd5(prepared) && /^[0-9a-f]{32}$/.test(etag) ? etag : "";
}

/** S3 answers a single PUT with the MD5 of the bytes as ETag; Azure's ETags are versions, not digests. */
export const storeEtagIsMd5 = (prepared: M.PrepareUploadResponse) => !prepared.direct?.local && prepared.presignedUrl.includes("X-Amz-Signature=");

/** Writes a file beside its final name and renames it into place only when the whole body arrived. */
export async function writeFile(file: string, body: Readable): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.gw-${randomBytes(6).toString("hex")}`;
  // The parser's buffers die once written, as on the way to S3 or Azure (pooled-pump.ts): paced alike.
  body.on("data", (chunk: Buffer) => uploadBytesCopied(chunk.length));
  try {
    await pipeline(body, fs.createWriteStream(tmp, { flags: "wx", highWaterMark: 1 << 20 }));
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/** Bodies from this size on are copied through pooled slabs on their way to the store. */
const POOLED_PUMP_MIN = 1024 * 1024;

export function httpPut(url: string, body: Readable | Buffer, size: number, what: string, extraHeaders: Record<string, string> = {}): Promise<string> {
  const u = new URL(url);
  const headers: Record<string, string | number> = { "content-length": size, ...extraHeaders };
  // Azure wants the blob type on whole-blob PUTs only, not on Put Block / Put Block List (comp=...).
  if (u.searchParams.has("sv") && u.searchParams.has("sig") && !u.searchParams.has("comp")) headers["x-ms-blob-type"] = "BlockBlob";
  return new Promise<string>((resolve, reject) => {
    const lib = u.protocol === "https:" ? https : http;
    const options: BufferedRequestOptions = { method: "PUT", headers, agent: u.protocol === "https:" ? agents.https : agents.http, highWaterMark: 256 * 1024 };
    const req = lib.request(u, options);
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      req.destroy();
      if (!Buffer.isBuffer(body)) body.destroy();
      reject(err);
    };
    req.on("error", (err) => fail(err instanceof S3Error ? err : s3.unavailable(`${what}: object store unreachable: ${err.message}`, err)));
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.length < 16 && chunks.push(c));
      res.on("end", () => {
        if (settled) return;
        settled = true;
        if (res.statusCode && res.statusCode < 300) resolve(String(res.headers.etag ?? "").replace(/^"|"$/g, ""));
        else reject(s3.internal(`${what}: object store answered ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 300)}`));
      });
    });
    if (Buffer.isBuffer(body)) return void req.end(body);
    body.on("error", fail);
    // Large bodies go through pooled slabs (pooled-pump.ts): the parser's buffers die young, no full GCs.
    if (size >= POOLED_PUMP_MIN) pumpPooled(body, req);
    else body.pipe(req);
  });
}

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/** Objects up to this size are read whole and sent in one write: no stream pipeline per request. */
export const SMALL_READ = 256 * 1024;

/**
 * The bytes (or a range of them) of a small object, in memory: a local file read in one go, or a store
 * response collected; undefined when the object is not small (then stream it with readFromStore).
 */
export async function readSmall(got: M.GetObjectResponse, range: ByteRange | undefined, what: string): Promise<Buffer | undefined> {
  const size = Number(got.stats?.sizeBytes ?? 0);
  if (size > SMALL_READ) return undefined;
  const file = got.direct?.local?.path;
  if (!file) {
    const chunks: Buffer[] = [];
    for await (const chunk of await readFromStore(got, range, what)) chunks.push(chunk as Buffer);
    const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    const expected = range ? range.end - range.start + 1 : size;
    if (data.length !== expected) throw s3.internal(`${what}: the object store sent ${data.length} bytes, ${expected} were expected`);
    return data;
  }
  const data = await fsp.readFile(file).catch((err: unknown) => {
    throw s3.noSuchKey(`${what}: its bytes at ${file} are missing or unreadable`, err);
  });
  if (data.length !== size) throw s3.internal(`${what}: its file ${file} holds ${data.length} bytes, its entry says ${size}`);
  return range ? data.subarray(range.start, range.end + 1) : data;
}

/** A stream of the object's bytes (or a range of them) from wherever GetObject said they live. */
export async function readFromStore(got: M.GetObjectResponse, range: ByteRange | undefined, what: string): Promise<Readable> {
  if (got.direct?.local) {
    const file = got.direct.local.path;
    const handle = await fsp.open(file, "r").catch((err: unknown) => {
      throw s3.noSuchKey(`${what}: its bytes at ${file} are missing or unreadable`, err);
    });
    // Buffers sized to the read: a 4 KiB object must not cost a 1 MiB allocation.
    const length = range ? range.end - range.start + 1 : Number(got.stats?.sizeBytes ?? 0);
    return handle.createReadStream({ start: range?.start, end: range?.end, highWaterMark: Math.min(1 << 20, Math.max(16 * 1024, length)) });
  }
  if (!got.presignedUrl) throw s3.notImplemented(`${what} lives at ${got.stats?.physicalAddress}, outside the repository's store: the gateway reads only objects written through Tarn`);
  const length = range ? range.end - range.start + 1 : Number(got.stats?.sizeBytes ?? 0);
  if (length >= RAW_READ) {
    const raw = await rawRead(got.presignedUrl, range, what);
    if (raw) return raw;
  }
  return httpGet(got.presignedUrl, range, what);
}

/** Reads at least this large go over a connection of their own, past Node's HTTP client (raw-get.ts). */
export const RAW_READ = 8 * 1024 * 1024;

const rangeHeader = (range: ByteRange | undefined): Record<string, string> => (range ? { range: `bytes=${range.start}-${range.end}` } : {});

async function rawRead(url: string, range: ByteRange | undefined, what: string): Promise<Readable | undefined> {
  const res = await rawGet(new URL(url), rangeHeader(range)).catch((err: Error) => {
    throw s3.unavailable(`${what}: object store unreachable: ${err.message}`, err);
  });
  if (!res) return undefined;
  if (res.status === 200 || res.status === 206) return res.body;
  const chunks: Buffer[] = [];
  for await (const c of res.body) if (chunks.length < 16) chunks.push(c as Buffer);
  throw storeReadFailure(res.status, Buffer.concat(chunks).toString().slice(0, 300), what);
}

function storeReadFailure(status: number | undefined, text: string, what: string): S3Error {
  return status === 404 ? s3.noSuchKey(`${what}: its bytes are missing from the object store`) : s3.internal(`${what}: object store answered ${status}: ${text}`);
}

function httpGet(url: string, range: ByteRange | undefined, what: string): Promise<Readable> {
  const u = new URL(url);
  const headers = rangeHeader(range);
  return new Promise((resolve, reject) => {
    const lib = u.protocol === "https:" ? https : http;
    // Large socket buffers: fewer pause/resume rounds when the caller reads slower than the store sends.
    const options: BufferedRequestOptions = { headers, agent: u.protocol === "https:" ? agents.https : agents.http, highWaterMark: 256 * 1024 };
    const req = lib.get(u, options, (res) => {
      if (res.statusCode === 200 || res.statusCode === 206) return resolve(res);
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.length < 16 && chunks.push(c));
      res.on("end", () => reject(storeReadFailure(res.statusCode, Buffer.concat(chunks).toString().slice(0, 300), what)));
    });
    req.on("error", (err) => reject(s3.unavailable(`${what}: object store unreachable: ${err.message}`, err)));
  });
}

/** A small store answer read whole (block lists, listings): status, headers and text, whatever the status. */
export function httpGetSmall(url: string, what: string, method: "GET" | "HEAD" = "GET", limit = 4 * 1024 * 1024): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const lib = u.protocol === "https:" ? https : http;
    const req = lib.request(u, { method, agent: u.protocol === "https:" ? agents.https : agents.http }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > limit) return void req.destroy(s3.internal(`${what}: the object store's answer is larger than ${limit} bytes`));
        chunks.push(c);
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", (err) => reject(err instanceof S3Error ? err : s3.unavailable(`${what}: object store connection failed: ${err.message}`, err)));
    });
    req.on("error", (err) => reject(err instanceof S3Error ? err : s3.unavailable(`${what}: object store unreachable: ${err.message}`, err)));
    req.end();
  });
}

/** Reads a whole store stream into nothing but a sink: used to drain bodies we refuse. */
export function discard(stream: Readable): void {
  stream.resume();
}

export type { TarnClient };
