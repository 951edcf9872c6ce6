// GET/HEAD preconditions and byte ranges (RFC 9110 as S3 applies them). Pure.
import { s3 } from "./errors";
import type { ByteRange } from "./store-io";

export interface Conditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

const etagList = (value: string) => value.split(",").map((s) => s.trim().replace(/^W\//, "").replace(/^"|"$/g, ""));

/** 200 to go on, 304 Not Modified, or 412 Precondition Failed (thrown). */
export function evaluate(c: Conditions, etag: string, mtimeSeconds: number): 200 | 304 {
  const matches = (v: string) => etagList(v).some((e) => e === "*" || e === etag);
  const since = (v: string) => {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
  };
  if (c.ifMatch !== undefined && !matches(c.ifMatch)) throw s3.preconditionFailed(`If-Match ${c.ifMatch} does not match the object's ETag "${etag}"`);
  if (c.ifMatch === undefined && c.ifUnmodifiedSince !== undefined) {
    const t = since(c.ifUnmodifiedSince);
    if (t !== undefined && mtimeSeconds > t) throw s3.preconditionFailed(`the object was modified after ${c.ifUnmodifiedSince}`);
  }
  if (c.ifNoneMatch !== undefined) {
    if (matches(c.ifNoneMatch)) return 304;
  } else if (c.ifModifiedSince !== undefined) {
    const t = since(c.ifModifiedSince);
    if (t !== undefined && mtimeSeconds <= t) return 304;
  }
  return 200;
}

/** "bytes=a-b" | "bytes=a-" | "bytes=-n" → a range within size; undefined to serve everything; throws 416. */
export function parseRange(value: string | undefined, size: number): ByteRange | undefined {
  if (value === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined; // multiple or malformed ranges: S3 ignores them
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0) throw s3.invalidRange(`range ${value} is empty`);
    return size === 0 ? undefined : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return undefined;
  if (start >= size) throw s3.invalidRange(`range ${value} starts at or beyond the object's ${size} bytes`);
  return { start, end };
}
