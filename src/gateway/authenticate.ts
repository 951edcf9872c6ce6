// Who sent a request: SigV4 (Authorization header or presigned query), or SigV2 (header or query), checked
// against the caller's secret. Also decides how the body must be read (payload.ts): a plain body with or
// without a SHA-256, signed aws-chunked chunks, or unsigned chunks with trailing checksums.
import type { IncomingHttpHeaders } from "node:http";
import * as v4 from "../auth/sigv4";
import { parseSigV2Header, sigV2Matches, sigV2StringToSign } from "../auth/sigv2";
import type { CredentialResolver, ResolvedCredential } from "./credentials";
import { s3 } from "./errors";
import type { ChunkSigning } from "./payload";

export interface Caller extends ResolvedCredential {
  accessKeyId: string;
}

export type BodyMode =
  | { kind: "plain"; sha256?: string }
  | { kind: "chunked"; signing?: ChunkSigning; trailer: boolean };

export interface Authenticated {
  caller: Caller;
  body: BodyMode;
}

export interface RequestFacts {
  method: string;
  rawPath: string;
  query: Array<[string, string]>;
  headers: IncomingHttpHeaders;
  /** "/bucket" when the bucket came from the Host header (SigV2's canonical resource). */
  bucketPrefix: string;
}

const MAX_SKEW_MS = 15 * 60 * 1000;

// Signing keys change once a day per key and region: deriving one costs four HMACs, so keep the recent ones.
const signingKeys = new Map<string, Buffer>();
function cachedSigningKey(secretAccessKey: string, credential: v4.Credential): Buffer {
  const id = `${credential.accessKeyId}\0${credential.date}\0${credential.region}\0${credential.service}\0${secretAccessKey}`;
  let key = signingKeys.get(id);
  if (!key) {
    if (signingKeys.size >= 10_000) signingKeys.delete(signingKeys.keys().next().value as string);
    key = v4.signingKey(secretAccessKey, credential);
    signingKeys.set(id, key);
  }
  return key;
}
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

const headerOf = (headers: IncomingHttpHeaders) => (name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v.join(",") : v;
};

export async function authenticate(req: RequestFacts, resolver: CredentialResolver, now = Date.now()): Promise<Authenticated> {
  const header = headerOf(req.headers);
  const q = new Map(req.query);
  const authorization = header("authorization");
  if (authorization?.startsWith(v4.SIGV4_ALGORITHM)) return headerV4(req, authorization, resolver, now);
  if (q.get("X-Amz-Algorithm") !== undefined) return presignedV4(req, q, resolver, now);
  if (authorization?.startsWith("AWS ")) return headerV2(req, authorization, resolver, now);
  if (q.has("AWSAccessKeyId") && q.has("Signature")) return presignedV2(req, q, resolver, now);
  if (authorization) throw s3.invalidArgument(`unsupported Authorization header: expected ${v4.SIGV4_ALGORITHM} or AWS (SigV2)`);
  throw s3.accessDenied("anonymous requests are not allowed: sign the request with a Tarn access key");
}

async function lookup(resolver: CredentialResolver, accessKeyId: string): Promise<Caller> {
  const found = await resolver.resolve(accessKeyId);
  if (!found) throw s3.invalidAccessKeyId(`the access key id ${accessKeyId} does not exist in Tarn`);
  return { ...found, accessKeyId };
}

function checkDate(amzDate: string): number {
  const at = v4.parseAmzDate(amzDate);
  if (Number.isNaN(at)) throw s3.accessDenied(`x-amz-date ${JSON.stringify(amzDate)} is not an ISO 8601 basic date (yyyymmddThhmmssZ)`);
  return at;
}

async function headerV4(req: RequestFacts, authorization: string, resolver: CredentialResolver, now: number): Promise<Authenticated> {
  const header = headerOf(req.headers);
  const parsed = v4.parseAuthorizationHeader(authorization);
  if (!parsed) throw s3.authorizationHeaderMalformed("the AWS4-HMAC-SHA256 Authorization header is malformed: expected Credential=, SignedHeaders= and Signature=");
  const amzDate = header("x-amz-date") ?? "";
  let at: number;
  if (amzDate !== "") at = checkDate(amzDate);
  else {
    at = Date.parse(header("date") ?? "");
    if (Number.isNaN(at)) throw s3.accessDenied("the request has neither x-amz-date nor a valid Date header");
  }
  if (Math.abs(now - at) > MAX_SKEW_MS) throw s3.requestTimeTooSkewed(`the request time ${new Date(at).toISOString()} is more than 15 minutes from the server's ${new Date(now).toISOString()}`);
  if (!parsed.signedHeaders.includes("host")) throw s3.authorizationHeaderMalformed("SignedHeaders must include host");
  const payloadHash = header("x-amz-content-sha256");
  if (payloadHash === undefined) throw s3.invalidRequest("x-amz-content-sha256 is required for SigV4 requests");
  const caller = await lookup(resolver, parsed.credential.accessKeyId);
  const key = cachedSigningKey(caller.secretAccessKey, parsed.credential);
  const canonical = v4.canonicalRequest({ method: req.method, rawPath: req.rawPath, query: req.query, signedHeaders: parsed.signedHeaders, header, payloadHash });
  const stringToSign = v4.stringToSign(amzDate || formatAmz(at), parsed.credential, canonical);
  if (!v4.sameSignature(v4.signHex(key, stringToSign), parsed.signature)) {
    throw s3.signatureDoesNotMatch("the request signature we calculated does not match the signature you provided: check your secret access key and signing method");
  }
  return { caller, body: bodyMode(payloadHash, { key, amzDate: amzDate || formatAmz(at), credential: parsed.credential, seedSignature: parsed.signature }) };
}

function bodyMode(payloadHash: string, signing: ChunkSigning): BodyMode {
  switch (payloadHash) {
    case v4.PAYLOAD.unsigned:
      return { kind: "plain" };
    case v4.PAYLOAD.signedChunks:
      return { kind: "chunked", signing, trailer: false };
    case v4.PAYLOAD.signedChunksTrailer:
      return { kind: "chunked", signing, trailer: true };
    case v4.PAYLOAD.unsignedTrailer:
      return { kind: "chunked", trailer: true };
    default:
      if (!/^[0-9a-f]{64}$/.test(payloadHash)) throw s3.invalidArgument(`x-amz-content-sha256 ${JSON.stringify(payloadHash.slice(0, 80))} is neither a hex SHA-256 nor a known payload mode`);
      return { kind: "plain", sha256: payloadHash };
  }
}

const formatAmz = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");

async function presignedV4(req: RequestFacts, q: Map<string, string>, resolver: CredentialResolver, now: number): Promise<Authenticated> {
  const header = headerOf(req.headers);
  if (q.get("X-Amz-Algorithm") !== v4.SIGV4_ALGORITHM) throw s3.authorizationHeaderMalformed(`X-Amz-Algorithm must be ${v4.SIGV4_ALGORITHM}`);
  const credential = v4.parseCredential(q.get("X-Amz-Credential") ?? "");
  const amzDate = q.get("X-Amz-Date") ?? "";
  const expires = Number(q.get("X-Amz-Expires") ?? "");
  const signedHeaders = (q.get("X-Amz-SignedHeaders") ?? "").split(";").filter((h) => h !== "");
  const signature = q.get("X-Amz-Signature") ?? "";
  if (!credential || signedHeaders.length === 0 || signature === "") throw s3.authorizationHeaderMalformed("the presigned URL lacks X-Amz-Credential, X-Amz-SignedHeaders or X-Amz-Signature");
  if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_SECONDS) throw s3.authorizationHeaderMalformed(`X-Amz-Expires must be 1 to ${MAX_PRESIGN_SECONDS} seconds`);
  const at = checkDate(amzDate);
  if (now > at + expires * 1000) throw s3.accessDenied(`request has expired: the presigned URL was valid until ${new Date(at + expires * 1000).toISOString()}`);
  if (at - now > MAX_SKEW_MS) throw s3.requestTimeTooSkewed("the presigned URL's X-Amz-Date is in the future");
  const caller = await lookup(resolver, credential.accessKeyId);
  const key = cachedSigningKey(caller.secretAccessKey, credential);
  const payloadHash = q.get("X-Amz-Content-Sha256") ?? header("x-amz-content-sha256") ?? v4.PAYLOAD.unsigned;
  const canonical = v4.canonicalRequest({ method: req.method, rawPath: req.rawPath, query: req.query, signedHeaders, header, payloadHash, excludeQuery: "X-Amz-Signature" });
  if (!v4.sameSignature(v4.signHex(key, v4.stringToSign(amzDate, credential, canonical)), signature)) {
    throw s3.signatureDoesNotMatch("the presigned URL's signature does not match: the URL was altered or signed with another key");
  }
  return { caller, body: payloadHash === v4.PAYLOAD.unsigned || !/^[0-9a-f]{64}$/.test(payloadHash) ? { kind: "plain" } : { kind: "plain", sha256: payloadHash } };
}

function v2Input(req: RequestFacts, date: string) {
  const header = headerOf(req.headers);
  const amzHeaders: Array<[string, string]> = Object.entries(req.headers)
    .filter(([n]) => n.startsWith("x-amz-"))
    .map(([n, v]) => [n, Array.isArray(v) ? v.join(",") : (v ?? "")]);
  return { method: req.method, contentMd5: header("content-md5") ?? "", contentType: header("content-type") ?? "", date, amzHeaders, bucketPrefix: req.bucketPrefix, rawPath: req.rawPath, query: req.query };
}

async function headerV2(req: RequestFacts, authorization: string, resolver: CredentialResolver, now: number): Promise<Authenticated> {
  const header = headerOf(req.headers);
  const parsed = parseSigV2Header(authorization);
  if (!parsed) throw s3.authorizationHeaderMalformed("the SigV2 Authorization header must be 'AWS ACCESS_KEY_ID:SIGNATURE'");
  const amzDate = header("x-amz-date");
  const at = Date.parse(amzDate ?? header("date") ?? "");
  if (Number.isNaN(at)) throw s3.accessDenied("a SigV2 request needs a Date or x-amz-date header");
  if (Math.abs(now - at) > MAX_SKEW_MS) throw s3.requestTimeTooSkewed(`the request time ${new Date(at).toISOString()} is more than 15 minutes from the server's`);
  const caller = await lookup(resolver, parsed.accessKeyId);
  const toSign = sigV2StringToSign(v2Input(req, amzDate !== undefined ? "" : (header("date") ?? "")));
  if (!sigV2Matches(caller.secretAccessKey, toSign, parsed.signature)) throw s3.signatureDoesNotMatch("the SigV2 signature does not match: check your secret access key");
  return { caller, body: { kind: "plain" } };
}

async function presignedV2(req: RequestFacts, q: Map<string, string>, resolver: CredentialResolver, now: number): Promise<Authenticated> {
  const expires = Number(q.get("Expires") ?? "");
  if (!Number.isInteger(expires)) throw s3.accessDenied("a SigV2 presigned URL needs Expires (epoch seconds)");
  if (now > expires * 1000) throw s3.accessDenied(`request has expired: the presigned URL was valid until ${new Date(expires * 1000).toISOString()}`);
  const caller = await lookup(resolver, q.get("AWSAccessKeyId")!);
  if (!sigV2Matches(caller.secretAccessKey, sigV2StringToSign(v2Input(req, String(expires))), q.get("Signature")!)) {
    throw s3.signatureDoesNotMatch("the SigV2 presigned URL's signature does not match");
  }
  return { caller, body: { kind: "plain" } };
}
