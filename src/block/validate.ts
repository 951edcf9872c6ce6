// Argument checks shared by every adapter, so that the same bad input gets the same error whichever store
// is behind the interface. Pure functions: each returns normally or throws one INVALID_ARGUMENT TarnError
// that names the store, the argument and what is wrong with it.
import { invalidArgument } from "../errors";
import type { CompletedPart, GetOptions, PutOptions } from "./types";

/** S3's limit, also Azure's (in characters) and DESIGN.md's for object paths. */
export const MAX_KEY_BYTES = 1024;
export const MAX_PART_NUMBER = 10_000;
export const MAX_LIST_LIMIT = 1000;

// In `u` mode a surrogate pair is one code point, so this matches only the halves UTF-8 cannot encode.
const LONE_SURROGATE = /\p{Cs}/u;

export function checkKey(storeUri: string, key: string): void {
  if (typeof key !== "string" || key.length === 0) throw invalidArgument(`${storeUri}: an object key must be a non-empty string`);
  if (key.includes("\0")) throw invalidArgument(`${storeUri}: key ${JSON.stringify(key)} contains a NUL character`);
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) {
    throw invalidArgument(`${storeUri}: key '${key.slice(0, 64)}...' is longer than ${MAX_KEY_BYTES} bytes`);
  }
  if (LONE_SURROGATE.test(key)) throw invalidArgument(`${storeUri}: key ${JSON.stringify(key)} is not valid UTF-8 (lone surrogate)`);
  // Not only a file-system concern: URL parsers (the Azure SDK's among them) collapse "/../", which
  // would move a key out of the store's prefix into another namespace.
  for (const segment of key.split("/")) {
    if (segment === ".." || segment === ".") {
      throw invalidArgument(`${storeUri}: key ${JSON.stringify(key)} is refused: '${segment}' segments would escape the store root`);
    }
  }
}

/** A list prefix may be empty; otherwise it follows the key rules (it is the start of a key). */
export function checkPrefix(storeUri: string, prefix: string): void {
  if (prefix === "") return;
  if (prefix.includes("\0")) throw invalidArgument(`${storeUri}: list prefix ${JSON.stringify(prefix)} contains a NUL character`);
  if (LONE_SURROGATE.test(prefix)) throw invalidArgument(`${storeUri}: list prefix ${JSON.stringify(prefix)} is not valid UTF-8`);
}

/**
 * User metadata must survive every store unchanged: S3 carries it in HTTP headers (lower-cased, ASCII),
 * Azure in headers whose names must be C# identifiers (the Azure adapter escapes them). So names are
 * lower-case letters, digits, '-' and '_', starting with a letter or digit, and values printable ASCII.
 */
const METADATA_NAME = /^[a-z0-9][a-z0-9_-]{0,127}$/;
const METADATA_VALUE = /^[\x20-\x7e]*$/;
const MAX_METADATA_BYTES = 2048; // S3 allows 2 KiB of user metadata per object

export function checkPutOptions(storeUri: string, key: string, options: PutOptions | undefined): void {
  if (!options) return;
  const { metadata, contentType, contentLength } = options;
  if (contentType !== undefined && !/^[\x20-\x7e]+$/.test(contentType)) {
    throw invalidArgument(`${storeUri}: key '${key}': content type ${JSON.stringify(contentType)} must be non-empty printable ASCII`);
  }
  if (contentLength !== undefined && !(Number.isSafeInteger(contentLength) && contentLength >= 0)) {
    throw invalidArgument(`${storeUri}: key '${key}': content length ${contentLength} is not a non-negative integer`);
  }
  if (!metadata) return;
  let total = 0;
  for (const [name, value] of Object.entries(metadata)) {
    if (!METADATA_NAME.test(name)) {
      throw invalidArgument(
        `${storeUri}: key '${key}': metadata name ${JSON.stringify(name)} must be lower-case letters, digits, '-' or '_' (at most 128)`,
      );
    }
    if (typeof value !== "string" || !METADATA_VALUE.test(value)) {
      throw invalidArgument(`${storeUri}: key '${key}': metadata '${name}' must be a printable ASCII string`);
    }
    total += name.length + value.length;
  }
  if (total > MAX_METADATA_BYTES) {
    throw invalidArgument(`${storeUri}: key '${key}': metadata is ${total} bytes, more than the ${MAX_METADATA_BYTES} every store accepts`);
  }
}

/** Returns the normalised range (end clamped later by the adapter, which knows the size). */
export function checkRange(storeUri: string, key: string, options: GetOptions | undefined): GetOptions["range"] {
  const range = options?.range;
  if (!range) return undefined;
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0) throw invalidArgument(`${storeUri}: key '${key}': range start ${start} is not a non-negative integer`);
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) {
    throw invalidArgument(`${storeUri}: key '${key}': range end ${end} must be an integer at or after the start ${start}`);
  }
  return { start, end };
}

export function checkPartNumber(storeUri: string, key: string, partNumber: number): void {
  if (!Number.isSafeInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw invalidArgument(`${storeUri}: key '${key}': part number ${partNumber} is not between 1 and ${MAX_PART_NUMBER}`);
  }
}

/**
 * The parts a caller completes with are a set: returned sorted by part number, refused when a number
 * repeats or the list is empty. (S3 itself insists on ascending order; we sort for it.)
 */
export function sortedParts(storeUri: string, key: string, parts: CompletedPart[]): CompletedPart[] {
  if (parts.length === 0) throw invalidArgument(`${storeUri}: key '${key}': a multipart upload needs at least one part to complete`);
  for (const part of parts) {
    checkPartNumber(storeUri, key, part.partNumber);
    if (typeof part.etag !== "string" || part.etag === "") {
      throw invalidArgument(`${storeUri}: key '${key}': part ${part.partNumber} has no etag`);
    }
  }
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].partNumber === sorted[i - 1].partNumber) {
      throw invalidArgument(`${storeUri}: key '${key}': part ${sorted[i].partNumber} is listed twice`);
    }
  }
  return sorted;
}

export function checkLimit(storeUri: string, limit: number | undefined): number {
  if (limit === undefined) return MAX_LIST_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) throw invalidArgument(`${storeUri}: list limit ${limit} is not a positive integer`);
  return Math.min(limit, MAX_LIST_LIMIT);
}

export function checkExpiry(storeUri: string, key: string, expiresInSeconds: number): void {
  // 7 days is S3's SigV4 ceiling; Azure SAS allows more, but one rule for all keeps callers portable.
  if (!Number.isSafeInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > 7 * 24 * 3600) {
    throw invalidArgument(`${storeUri}: key '${key}': presign expiry ${expiresInSeconds} s is not between 1 s and 7 days`);
  }
}

/** Normalises `etag` as S3 returns it ("\"abc\"") to the bare value every adapter reports. */
export const bareEtag = (etag: string | undefined): string => (etag ?? "").replace(/^W\//, "").replace(/^"(.*)"$/, "$1");

/** UTF-8 byte order: how S3 and Azure sort keys, and how every adapter must list them. */
export const compareKeys = (a: string, b: string): number => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
