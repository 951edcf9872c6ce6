// AWS Signature Version 4 for S3, as the gateway verifies it: the canonical request, the string to sign, the
// derived signing key, and the per-chunk and trailer signatures of streaming uploads. Pure functions over
// strings and buffers; the gateway does the I/O and the clock.
//
// Facts (AWS "Signature Version 4 signing process" and "Signature calculations for the Authorization header:
// transferring payload in multiple chunks"):
//   canonical request = METHOD \n URI \n QUERY \n HEADERS \n \n SIGNED-HEADERS \n PAYLOAD-HASH
//   string to sign    = AWS4-HMAC-SHA256 \n DATE \n SCOPE \n hex(sha256(canonical request))
//   signing key       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, yyyymmdd), region), service), "aws4_request")
//   chunk             = AWS4-HMAC-SHA256-PAYLOAD \n DATE \n SCOPE \n PREVIOUS-SIG \n sha256("") \n sha256(chunk)
//   trailer           = AWS4-HMAC-SHA256-TRAILER \n DATE \n SCOPE \n PREVIOUS-SIG \n sha256(trailer headers)
// S3 does not normalise paths, and encodes each path segment once.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export const SIGV4_ALGORITHM = "AWS4-HMAC-SHA256";
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** The payload-hash values that are not a hex SHA-256 of the body. */
export const PAYLOAD = {
  unsigned: "UNSIGNED-PAYLOAD",
  signedChunks: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
  signedChunksTrailer: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
  unsignedTrailer: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
} as const;

export interface Credential {
  accessKeyId: string;
  /** yyyymmdd */
  date: string;
  region: string;
  service: string;
}

export const scopeOf = (c: Credential) => `${c.date}/${c.region}/${c.service}/aws4_request`;

export const sha256Hex = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");
const hmac = (key: Uint8Array | string, data: string) => createHmac("sha256", key).update(data).digest();

/** AWS's URI encoding: every byte but A-Z a-z 0-9 - . _ ~ as %XY (upper case); '/' kept when asked. */
export function awsUriEncode(value: string, keepSlash: boolean): string {
  let encoded: string;
  try {
    // encodeURIComponent leaves A-Z a-z 0-9 - _ . ! ~ * ' ( ) alone; AWS encodes ! * ' ( ) too.
    encoded = encodeURIComponent(value).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  } catch {
    // A lone surrogate: encode the UTF-8 bytes Node would send for it, one by one.
    encoded = "";
    for (const byte of Buffer.from(value, "utf8")) {
      const c = String.fromCharCode(byte);
      encoded += /[A-Za-z0-9\-._~]/.test(c) ? c : "%" + byte.toString(16).toUpperCase().padStart(2, "0");
    }
  }
  return keepSlash ? encoded.replace(/%2F/g, "/") : encoded;
}

/** Decodes %XY escapes without throwing on malformed ones (they are kept as written). */
export function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The canonical URI of a raw request path (still percent-encoded as sent). */
export function canonicalUri(rawPath: string): string {
  return rawPath.split("/").map((segment) => awsUriEncode(safeDecode(segment), false)).join("/") || "/";
}

/** Raw query string → [name, value] pairs, decoded ('+' is a literal plus in S3, not a space). */
export function parseQuery(rawQuery: string): Array<[string, string]> {
  if (rawQuery === "") return [];
  return rawQuery.split("&").filter((p) => p !== "").map((pair) => {
    const eq = pair.indexOf("=");
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? "" : pair.slice(eq + 1);
    return [safeDecode(name), safeDecode(value)];
  });
}

export function canonicalQuery(pairs: Array<[string, string]>, exclude?: string): string {
  return pairs
    .filter(([name]) => name !== exclude)
    .map(([n, v]) => [awsUriEncode(n, false), awsUriEncode(v, false)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`)
    .join("&");
}

export type HeaderLookup = (name: string) => string | undefined;

export function canonicalHeaders(signedHeaders: string[], header: HeaderLookup): string {
  return signedHeaders.map((name) => `${name}:${(header(name) ?? "").trim().replace(/\s+/g, " ")}\n`).join("");
}

export interface CanonicalRequestInput {
  method: string;
  rawPath: string;
  query: Array<[string, string]>;
  signedHeaders: string[];
  header: HeaderLookup;
  payloadHash: string;
  /** Query parameter left out (X-Amz-Signature for presigned URLs). */
  excludeQuery?: string;
}

export function canonicalRequest(input: CanonicalRequestInput): string {
  return [
    input.method,
    canonicalUri(input.rawPath),
    canonicalQuery(input.query, input.excludeQuery),
    canonicalHeaders(input.signedHeaders, input.header),
    input.signedHeaders.join(";"),
    input.payloadHash,
  ].join("\n");
}

export function stringToSign(amzDate: string, credential: Credential, canonical: string): string {
  return [SIGV4_ALGORITHM, amzDate, scopeOf(credential), sha256Hex(canonical)].join("\n");
}

export function signingKey(secretAccessKey: string, credential: Credential): Buffer {
  const kDate = hmac("AWS4" + secretAccessKey, credential.date);
  return hmac(hmac(hmac(kDate, credential.region), credential.service), "aws4_request");
}

export const signHex = (key: Buffer, toSign: string) => createHmac("sha256", key).update(toSign).digest("hex");

export function chunkStringToSign(amzDate: string, credential: Credential, previousSignature: string, chunkSha256: string): string {
  return ["AWS4-HMAC-SHA256-PAYLOAD", amzDate, scopeOf(credential), previousSignature, EMPTY_SHA256, chunkSha256].join("\n");
}

export function trailerStringToSign(amzDate: string, credential: Credential, previousSignature: string, trailerSha256: string): string {
  return ["AWS4-HMAC-SHA256-TRAILER", amzDate, scopeOf(credential), previousSignature, trailerSha256].join("\n");
}

/** Constant-time comparison of two hex signatures. */
export function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** "AKID/20261124/us-east-1/s3/aws4_request" → Credential, or undefined when malformed. */
export function parseCredential(value: string): Credential | undefined {
  const parts = value.split("/");
  if (parts.length < 5 || parts[parts.length - 1] !== "aws4_request") return undefined;
  const [service, region, date] = [parts[parts.length - 2], parts[parts.length - 3], parts[parts.length - 4]];
  const accessKeyId = parts.slice(0, parts.length - 4).join("/");
  if (!/^\d{8}$/.test(date) || accessKeyId === "") return undefined;
  return { accessKeyId, date, region, service };
}

export interface AuthorizationHeader {
  credential: Credential;
  signedHeaders: string[];
  signature: string;
}

/** Parses "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."; undefined when malformed. */
export function parseAuthorizationHeader(value: string): AuthorizationHeader | undefined {
  if (!value.startsWith(SIGV4_ALGORITHM + " ")) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.slice(SIGV4_ALGORITHM.length + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = parseCredential(fields.get("Credential") ?? "");
  const signedHeaders = (fields.get("SignedHeaders") ?? "").split(";").filter((h) => h !== "");
  const signature = fields.get("Signature") ?? "";
  if (!credential || signedHeaders.length === 0 || !/^[0-9a-f]{64}$/.test(signature)) return undefined;
  return { credential, signedHeaders, signature };
}

/** ISO 8601 basic (20261124T130544Z) → epoch ms, or NaN. */
export function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}
