// AWS Signature Version 2 for S3 (the older scheme s3cmd --signature-v2 and some tools still use), as the
// gateway verifies it. Pure: string to sign and signature over strings.
//
// Facts (Amazon S3 "Signing and authenticating REST requests"):
//   Authorization: AWS AKID:base64(HMAC-SHA1(secret, StringToSign))
//   StringToSign = METHOD \n Content-MD5 \n Content-Type \n Date \n CanonicalizedAmzHeaders CanonicalizedResource
//   With x-amz-date the Date line is empty; a presigned URL puts Expires (epoch seconds) on the Date line.
//   CanonicalizedAmzHeaders: x-amz-* lower-cased, sorted, "name:value\n", repeated values joined by ",".
//   CanonicalizedResource: "/" + bucket (virtual-host style) + the encoded path + the listed sub-resources,
//   sorted, with their values as given.
import { createHmac, timingSafeEqual } from "node:crypto";

const SUB_RESOURCES = new Set([
  "acl", "cors", "delete", "lifecycle", "location", "logging", "notification", "partNumber", "policy", "requestPayment",
  "restore", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning", "versions", "website",
  "response-cache-control", "response-content-disposition", "response-content-encoding", "response-content-language",
  "response-content-type", "response-expires",
]);

export interface SigV2Input {
  method: string;
  contentMd5: string;
  contentType: string;
  /** The Date header, "" when x-amz-date is sent, or Expires for a presigned URL. */
  date: string;
  /** Request headers, lower-case names. */
  amzHeaders: Array<[string, string]>;
  /** "/bucket" for virtual-host requests, "" for path style. */
  bucketPrefix: string;
  /** The path as sent, still percent-encoded. */
  rawPath: string;
  /** Decoded query pairs. */
  query: Array<[string, string]>;
}

export function sigV2StringToSign(input: SigV2Input): string {
  const amz = new Map<string, string[]>();
  for (const [name, value] of input.amzHeaders) {
    const n = name.toLowerCase();
    if (!n.startsWith("x-amz-")) continue;
    amz.set(n, [...(amz.get(n) ?? []), value.trim().replace(/\s+/g, " ")]);
  }
  const amzLines = [...amz.keys()].sort().map((n) => `${n}:${amz.get(n)!.join(",")}\n`).join("");
  const subs = input.query
    .filter(([n]) => SUB_RESOURCES.has(n))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([n, v]) => (v === "" ? n : `${n}=${v}`));
  const resource = input.bucketPrefix + input.rawPath + (subs.length > 0 ? "?" + subs.join("&") : "");
  return [input.method, input.contentMd5, input.contentType, input.date, amzLines + resource].join("\n");
}

export const sigV2Sign = (secretAccessKey: string, toSign: string) => createHmac("sha1", secretAccessKey).update(toSign, "utf8").digest("base64");

export function sigV2Matches(secretAccessKey: string, toSign: string, signature: string): boolean {
  const a = Buffer.from(sigV2Sign(secretAccessKey, toSign));
  const b = Buffer.from(signature);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** "AWS AKID:SIG" → its parts, or undefined. */
export function parseSigV2Header(value: string): { accessKeyId: string; signature: string } | undefined {
  const m = /^AWS ([^:\s]+):(\S+)$/.exec(value.trim());
  return m ? { accessKeyId: m[1], signature: m[2] } : undefined;
}
