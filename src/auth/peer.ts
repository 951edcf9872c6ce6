// Authentication of calls between cluster members (Raft traffic, calls a follower forwards to the leader)
// and from gateways acting for users. The signature is an HMAC under a key derived from the cluster secret
// for the caller's role (cluster-secret.ts), with its own header names and algorithm tag:
//  - a client holds only access keys, so it cannot produce a peer signature of any role, and a client
//    signature is never read as a peer signature or the other way round;
//  - a gateway holding only its gateway token can sign as a gateway, never as a member, and each endpoint
//    says which roles it admits (Raft: members only).
import { TarnError } from "../errors";
import {
  DEFAULT_WINDOW_MS,
  Headers,
  checkDate,
  contentSha256,
  formatSigningDate,
  header,
  hmacHex,
  requiredContentHash,
  requiredHeader,
  requiredNonce,
  sameHex,
  stringToSign,
  unauthenticated,
} from "./canonical";
import { newNonce } from "./signing";

export type PeerRole = "member" | "gateway";

const ALGORITHMS: Record<PeerRole, string> = {
  member: "TARN1-MEMBER-HMAC-SHA256",
  gateway: "TARN1-GATEWAY-HMAC-SHA256",
};

export const PEER_HEADERS = {
  peerId: "x-tarn-peer-id",
  role: "x-tarn-peer-role",
  date: "x-tarn-peer-date",
  nonce: "x-tarn-peer-nonce",
  onBehalfOf: "x-tarn-peer-on-behalf-of",
  contentSha256: "x-tarn-peer-content-sha256",
  signature: "x-tarn-peer-signature",
} as const;

export interface SignPeerRequestInput {
  role: PeerRole;
  /** ClusterKeys.memberKey for a member; the gateway key (gatewayKeyFrom) for a gateway. */
  key: Buffer;
  /** The caller's id: a member id, or a gateway's name. */
  peerId: string;
  method: string;
  body?: Uint8Array;
  /** The user a forwarded call acts for, already authenticated by the caller. */
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
    input.key,
    stringToSign({ algorithm: ALGORITHMS[input.role], method: input.method, date, nonce, signer: input.peerId, onBehalfOf, contentSha256: hash }),
  );
  const headers: Record<string, string> = {
    [PEER_HEADERS.peerId]: input.peerId,
    [PEER_HEADERS.role]: input.role,
    [PEER_HEADERS.date]: date,
    [PEER_HEADERS.nonce]: nonce,
    [PEER_HEADERS.contentSha256]: hash,
    [PEER_HEADERS.signature]: signature,
  };
  if (onBehalfOf !== "") headers[PEER_HEADERS.onBehalfOf] = onBehalfOf;
  return headers;
}

export interface VerifyPeerRequestInput {
  /** The verifier's keys: members hold both (ClusterKeys). */
  keys: { memberKey: Buffer; gatewayKey: Buffer };
  /** Roles this endpoint admits: ["member"] for Raft, ["member", "gateway"] for forwarded user calls. */
  allow: readonly PeerRole[];
  method: string;
  headers: Headers;
  body?: Uint8Array;
  now: number;
  windowMs?: number;
}

export interface VerifiedPeer {
  peerId: string;
  role: PeerRole;
  /** Empty unless the peer acts for a user. */
  onBehalfOf: string;
  nonce: string;
  date: number;
}

/**
 * Throws TarnError UNAUTHENTICATED unless the request was signed with the cluster's key for the role it
 * claims, and PERMISSION_DENIED when that role may not call this endpoint.
 */
export function verifyPeerRequest(input: VerifyPeerRequestInput): VerifiedPeer {
  const peerId = requiredHeader(input.headers, PEER_HEADERS.peerId);
  const role = requiredHeader(input.headers, PEER_HEADERS.role);
  if (role !== "member" && role !== "gateway") throw unauthenticated(`unknown ${PEER_HEADERS.role} '${role}' from '${peerId}': expected member or gateway`);
  const dateHeader = requiredHeader(input.headers, PEER_HEADERS.date);
  const nonce = requiredNonce(input.headers, PEER_HEADERS.nonce);
  const claimedHash = requiredContentHash(input.headers, PEER_HEADERS.contentSha256);
  const signature = requiredHeader(input.headers, PEER_HEADERS.signature);
  const onBehalfOf = header(input.headers, PEER_HEADERS.onBehalfOf) ?? "";
  const key = role === "member" ? input.keys.memberKey : input.keys.gatewayKey;
  const expected = hmacHex(
    key,
    stringToSign({ algorithm: ALGORITHMS[role], method: input.method, date: dateHeader, nonce, signer: peerId, onBehalfOf, contentSha256: claimedHash }),
  );
  if (!sameHex(expected, signature)) {
    throw unauthenticated(`${role} signature does not match for '${peerId}' on ${input.method}: the caller does not hold this cluster's ${role} key`);
  }
  const date = checkDate(dateHeader, PEER_HEADERS.date, input.now, input.windowMs ?? DEFAULT_WINDOW_MS);
  if (input.body !== undefined && !sameHex(contentSha256(input.body), claimedHash)) {
    throw unauthenticated(`request message does not match its ${PEER_HEADERS.contentSha256} from ${role} '${peerId}' on ${input.method}`);
  }
  if (!input.allow.includes(role)) {
    throw new TarnError("PERMISSION_DENIED", `${role} '${peerId}' may not call ${input.method}: only ${input.allow.join(" and ")} peers may`);
  }
  return { peerId, role, onBehalfOf, nonce, date };
}
