// Signed gRPC calls from clients (SDK, CLI, gateway acting for a user). Every call carries:
//
//   x-tarn-access-key-id    the key that signs
//   x-tarn-date             UTC 20261124T130544Z; the server accepts ±5 minutes
//   x-tarn-nonce            random, unique per call: the server refuses a nonce it saw within the window
//   x-tarn-content-sha256   hex SHA-256 of the serialized request message
//   x-tarn-signature        hex HMAC-SHA256(secret, canonical string of all the above and the method path)
//
// The method path is the full gRPC path (/tarn.metadata.v1.ObjectService/StageObject), so a signature for
// one call cannot be replayed as another; the content hash binds the request message, so its fields cannot
// be changed. `signRequest` and `verifyRequest` are pure: time, nonce and key lookup come in as arguments.
import { randomBytes } from "node:crypto";
import {
  DEFAULT_WINDOW_MS,
  Headers,
  checkDate,
  contentSha256,
  formatSigningDate,
  hmacHex,
  requiredContentHash,
  requiredHeader,
  requiredNonce,
  sameHex,
  stringToSign,
  unauthenticated,
} from "./canonical";

export const SIGNATURE_ALGORITHM = "TARN1-HMAC-SHA256";

export const AUTH_HEADERS = {
  accessKeyId: "x-tarn-access-key-id",
  date: "x-tarn-date",
  nonce: "x-tarn-nonce",
  contentSha256: "x-tarn-content-sha256",
  signature: "x-tarn-signature",
} as const;

export interface SignRequestInput {
  /** Full gRPC method path, e.g. /tarn.metadata.v1.CommitService/Commit. */
  method: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The serialized request message. */
  body?: Uint8Array;
  /** Defaults to the current time. */
  now?: Date;
  /** Defaults to 16 random bytes in hex. */
  nonce?: string;
}

export function newNonce(): string {
  return randomBytes(16).toString("hex");
}

/** The headers to add to a call's metadata. */
export function signRequest(input: SignRequestInput): Record<string, string> {
  const date = formatSigningDate(input.now ?? new Date());
  const nonce = input.nonce ?? newNonce();
  const hash = contentSha256(input.body);
  const signature = hmacHex(
    input.secretAccessKey,
    stringToSign({ algorithm: SIGNATURE_ALGORITHM, method: input.method, date, nonce, signer: input.accessKeyId, onBehalfOf: "", contentSha256: hash }),
  );
  return {
    [AUTH_HEADERS.accessKeyId]: input.accessKeyId,
    [AUTH_HEADERS.date]: date,
    [AUTH_HEADERS.nonce]: nonce,
    [AUTH_HEADERS.contentSha256]: hash,
    [AUTH_HEADERS.signature]: signature,
  };
}

export interface VerifyRequestInput {
  method: string;
  headers: Headers;
  /**
   * The serialized request message as received. The service should always pass it: without it the
   * signature still covers the claimed content hash, but nothing checks that the message matches it.
   */
  body?: Uint8Array;
  /** The verifier's clock, in milliseconds since the epoch. */
  now: number;
  /** The plaintext secret of an access key (text or its UTF-8 bytes), or undefined for an unknown key. */
  secretFor: (accessKeyId: string) => string | Buffer | undefined;
  windowMs?: number;
}

export interface VerifiedRequest {
  accessKeyId: string;
  nonce: string;
  /** The request's signing date, milliseconds since the epoch. */
  date: number;
}

/** Throws TarnError UNAUTHENTICATED with the reason: missing header, unknown key, bad signature, expired date. */
export function verifyRequest(input: VerifyRequestInput): VerifiedRequest {
  const accessKeyId = requiredHeader(input.headers, AUTH_HEADERS.accessKeyId);
  const dateHeader = requiredHeader(input.headers, AUTH_HEADERS.date);
  const nonce = requiredNonce(input.headers, AUTH_HEADERS.nonce);
  const claimedHash = requiredContentHash(input.headers, AUTH_HEADERS.contentSha256);
  const signature = requiredHeader(input.headers, AUTH_HEADERS.signature);

  const secret = input.secretFor(accessKeyId);
  if (secret === undefined) throw unauthenticated(`unknown access key id ${accessKeyId}`);

  const expected = hmacHex(
    secret,
    stringToSign({ algorithm: SIGNATURE_ALGORITHM, method: input.method, date: dateHeader, nonce, signer: accessKeyId, onBehalfOf: "", contentSha256: claimedHash }),
  );
  if (!sameHex(expected, signature)) {
    throw unauthenticated(`signature does not match for access key id ${accessKeyId} on ${input.method}: wrong secret, or the request was altered`);
  }
  // Only an authentic request gets here, so a date outside the window really is a clock (or replay) problem.
  const date = checkDate(dateHeader, AUTH_HEADERS.date, input.now, input.windowMs ?? DEFAULT_WINDOW_MS);
  if (input.body !== undefined && !sameHex(contentSha256(input.body), claimedHash)) {
    throw unauthenticated(`request message does not match its ${AUTH_HEADERS.contentSha256} for access key id ${accessKeyId} on ${input.method}`);
  }
  return { accessKeyId, nonce, date };
}
