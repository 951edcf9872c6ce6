// Authentication between cluster members (Raft traffic, calls a follower forwards to the leader) and from
// gateways that act for users. The signature is an HMAC under a key derived from TARN_CLUSTER_SECRET
// (cluster-secret.ts), with its own header names and algorithm tag: a client holds only access keys, so it
// cannot produce one, and a client signature is never read as a peer signature or the other way round.
import {
  DEFAULT_WINDOW_MS,
  Headers,
  checkDate,
  contentSha256,
  formatSigningDate,
  header,
  hmacHex,
  requiredHeader,
  sameHex,
  stringToSign,
  unauthenticated,
} from "./canonical";
import { newNonce } from "./signing";

export const PEER_SIGNATURE_ALGORITHM = "TARN1-PEER-HMAC-SHA256";

export const PEER_HEADERS = {
  peerId: "x-tarn-peer-id",
  date: "x-tarn-peer-date",
  nonce: "x-tarn-peer-nonce",
  onBehalfOf: "x-tarn-peer-on-behalf-of",
  contentSha256: "x-tarn-peer-content-sha256",
  signature: "x-tarn-peer-signature",
} as const;

export interface SignPeerRequestInput {
  /** ClusterKeys.peerKey. */
  peerKey: Buffer;
  /** The calling member's id (or "gateway:<name>"). */
  peerId: string;
  method: string;
  body?: Uint8Array;
  /** The user a forwarded call acts for, already authenticated by the forwarding member. */
  onBehalfOf?: string;
  now?: Date;
  nonce?: string;
}

export function signPeerRequest(input: SignPeerRequestInput): Record<string, string> {
  const date = formatSigningDate(input.now ?? new Date());
  const nonce = input.nonce ?? newNonce();
  const hash = contentSha256(input.body);
  const onBehalfOf = input.onBehalfOf ?? "";
  const signature = hmacHex(
    input.peerKey,
    stringToSign({ algorithm: PEER_SIGNATURE_ALGORITHM, method: input.method, date, nonce, signer: input.peerId, onBehalfOf, contentSha256: hash }),
  );
  const headers: Record<string, string> = {
    [PEER_HEADERS.peerId]: input.peerId,
    [PEER_HEADERS.date]: date,
    [PEER_HEADERS.nonce]: nonce,
    [PEER_HEADERS.contentSha256]: hash,
    [PEER_HEADERS.signature]: signature,
  };
  if (onBehalfOf !== "") headers[PEER_HEADERS.onBehalfOf] = onBehalfOf;
  return headers;
}

export interface VerifyPeerRequestInput {
  peerKey: Buffer;
  method: string;
  headers: Headers;
  body?: Uint8Array;
  now: number;
  windowMs?: number;
}

export interface VerifiedPeer {
  peerId: string;
  /** Empty unless the peer forwards a user's call. */
  onBehalfOf: string;
  nonce: string;
  date: number;
}

/** Throws TarnError UNAUTHENTICATED unless the request was signed with the cluster's peer key. */
export function verifyPeerRequest(input: VerifyPeerRequestInput): VerifiedPeer {
  const peerId = requiredHeader(input.headers, PEER_HEADERS.peerId);
  const dateHeader = requiredHeader(input.headers, PEER_HEADERS.date);
  const nonce = requiredHeader(input.headers, PEER_HEADERS.nonce);
  const claimedHash = requiredHeader(input.headers, PEER_HEADERS.contentSha256);
  const signature = requiredHeader(input.headers, PEER_HEADERS.signature);
  const onBehalfOf = header(input.headers, PEER_HEADERS.onBehalfOf) ?? "";
  const expected = hmacHex(
    input.peerKey,
    stringToSign({ algorithm: PEER_SIGNATURE_ALGORITHM, method: input.method, date: dateHeader, nonce, signer: peerId, onBehalfOf, contentSha256: claimedHash }),
  );
  if (!sameHex(expected, signature)) {
    throw unauthenticated(`peer signature does not match for '${peerId}' on ${input.method}: the caller does not hold this cluster's secret`);
  }
  const date = checkDate(dateHeader, PEER_HEADERS.date, input.now, input.windowMs ?? DEFAULT_WINDOW_MS);
  if (input.body !== undefined && !sameHex(contentSha256(input.body), claimedHash)) {
    throw unauthenticated(`request message does not match its ${PEER_HEADERS.contentSha256} from peer '${peerId}' on ${input.method}`);
  }
  return { peerId, onBehalfOf, nonce, date };
}
