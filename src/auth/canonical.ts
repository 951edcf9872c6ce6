// The canonical form both request signatures (client and peer) are computed over, and the helpers they
// share: the date format, header reading and the constant-time comparison. Pure functions only.
import { createHmac, hash, timingSafeEqual } from "node:crypto";
import { TarnError } from "../errors";

/** How far a request's date may be from the verifier's clock, either way. */
export const DEFAULT_WINDOW_MS = 5 * 60 * 1000;

/** Request metadata as a plain object (grpc-js `metadata.getMap()`, or HTTP headers); names in lower case. */
export type Headers = Readonly<Record<string, unknown>>;

export const unauthenticated = (message: string) => new TarnError("UNAUTHENTICATED", message);

/** Hex SHA-256 of the request bytes; the empty string's hash when there are none. */
export function contentSha256(body: Uint8Array | undefined): string {
  // The one-shot hash: a third of the cost of createHash().update().digest() for a small message.
  return hash("sha256", body ?? new Uint8Array(0), "hex");
}

/** The last second formatted: every call signed within one second carries the same date. */
let formatted = { second: NaN, text: "" };

/** UTC, ISO 8601 basic format, whole seconds: 20261124T130544Z (as x-amz-date). */
export function formatSigningDate(date: Date): string {
  const second = Math.floor(date.getTime() / 1000);
  if (second === formatted.second) return formatted.text;
  const text = date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  if (Number.isFinite(second)) formatted = { second, text };
  return text;
}

const SIGNING_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** The last few dates parsed: a busy verifier sees the same handful of seconds over and over. */
const parsedDates = new Map<string, number>();

/** Milliseconds since the epoch, or undefined when `text` is not a well-formed, real date. */
export function parseSigningDate(text: string): number | undefined {
  const hit = parsedDates.get(text);
  if (hit !== undefined) return hit;
  const ms = parseDate(text);
  if (ms !== undefined) {
    if (parsedDates.size >= 8) parsedDates.clear();
    parsedDates.set(text, ms);
  }
  return ms;
}

function parseDate(text: string): number | undefined {
  const m = SIGNING_DATE.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 31 February over into March: refuse anything that does not format back to itself.
  return formatSigningDate(new Date(ms)) === text ? ms : undefined;
}

export interface CanonicalRequest {
  algorithm: string;
  method: string;
  date: string;
  nonce: string;
  /** Who signs: an access key id, or a peer id. */
  signer: string;
  /** A peer acting on behalf of a user (forwarding); empty otherwise. */
  onBehalfOf: string;
  contentSha256: string;
}

export function stringToSign(r: CanonicalRequest): string {
  return [r.algorithm, r.method, r.date, r.nonce, r.signer, r.onBehalfOf, r.contentSha256].join("\n");
}

export function hmacHex(key: string | Buffer, text: string): string {
  // A Buffer key: createHmac takes a noticeably slower path for a string one.
  return createHmac("sha256", typeof key === "string" ? Buffer.from(key, "utf8") : key).update(text, "utf8").digest("hex");
}

export function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

// Header values are printable ASCII without spaces. gRPC metadata cannot carry line breaks anyway; checking
// here keeps the pure functions safe with any caller, since the canonical string joins fields with '\n'.
const HEADER_VALUE = /^[\x21-\x7e]*$/;
const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** One string header, or undefined; grpc-js gives strings (or arrays of them when repeated). */
export function header(headers: Headers, name: string): string | undefined {
  let value = headers[name];
  if (Array.isArray(value) && value.length === 1) value = value[0];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw unauthenticated(`header ${name} must appear once, as text`);
  if (!HEADER_VALUE.test(value)) throw unauthenticated(`malformed ${name}: only printable ASCII without spaces is allowed`);
  return value;
}

/** The nonce header: 16 to 128 characters of [A-Za-z0-9_-]. */
export function requiredNonce(headers: Headers, name: string): string {
  const nonce = requiredHeader(headers, name);
  if (!NONCE.test(nonce)) throw unauthenticated(`malformed ${name} '${nonce}': expected 16 to 128 letters, digits, '_' or '-'`);
  return nonce;
}

/** The content hash header: 64 lowercase hex digits. */
export function requiredContentHash(headers: Headers, name: string): string {
  const hash = requiredHeader(headers, name);
  if (!SHA256_HEX.test(hash)) throw unauthenticated(`malformed ${name}: expected 64 lowercase hex digits of SHA-256`);
  return hash;
}

export function requiredHeader(headers: Headers, name: string): string {
  const value = header(headers, name);
  if (value === undefined || value === "") throw unauthenticated(`missing ${name} header: the request is not signed`);
  return value;
}

/** Checks the date header against `now`; the error says by how much and which way the clocks differ. */
export function checkDate(dateHeader: string, name: string, now: number, windowMs: number): number {
  const date = parseSigningDate(dateHeader);
  if (date === undefined) throw unauthenticated(`malformed ${name} '${dateHeader}': expected UTC like 20261124T130544Z`);
  const skew = date - now;
  if (Math.abs(skew) > windowMs) {
    const direction = skew > 0 ? "ahead of" : "behind";
    throw unauthenticated(
      `request expired: ${name} ${dateHeader} is ${Math.round(Math.abs(skew) / 1000)} s ${direction} the server's clock ` +
        `(${formatSigningDate(new Date(now))}); at most ${windowMs / 1000} s are allowed: check the client's clock`,
    );
  }
  return date;
}
