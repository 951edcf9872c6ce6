import assert from "node:assert/strict";
import { deriveClusterKeys, gatewayKeyFrom, gatewayTokenFor, PEER_HEADERS, PeerRole, signPeerRequest, signRequest, verifyPeerRequest } from "../../src/auth";
import { TarnError } from "../../src/errors";

const RAFT = "/tarn.raft.v1.Raft/Append";
const FORWARDED = "/tarn.metadata.v1.CommitService/Commit";
const NOW = Date.UTC(2026, 10, 24, 14, 0, 0);
const CLUSTER_SECRET = "correct horse battery staple 0123456789";
const keys = deriveClusterKeys(CLUSTER_SECRET);
const BODY = Buffer.from([1, 2, 3]);
const MEMBERS_ONLY: PeerRole[] = ["member"];
const ANY_PEER: PeerRole[] = ["member", "gateway"];

function refused(fn: () => unknown, code: string, message: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof TarnError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

const verify = (headers: Record<string, string>, allow = MEMBERS_ONLY, method = RAFT, body?: Buffer, now = NOW) =>
  verifyPeerRequest({ keys, allow, method, headers, body, now });

describe("auth: peer authentication with the cluster secret", () => {
  it("round-trips between members, carrying the user a forwarded call acts for", () => {
    const headers = signPeerRequest({ role: "member", key: keys.memberKey, peerId: "n1", method: FORWARDED, body: BODY, onBehalfOf: "alice", now: new Date(NOW) });
    const verified = verify(headers, ANY_PEER, FORWARDED, BODY, NOW + 2000);
    assert.deepEqual([verified.peerId, verified.role, verified.onBehalfOf], ["n1", "member", "alice"]);
    const plain = signPeerRequest({ role: "member", key: keys.memberKey, peerId: "n2", method: RAFT, now: new Date(NOW) });
    assert.equal(verify(plain).onBehalfOf, "");
  });

  it("refuses a member of another cluster (different secret)", () => {
    const other = deriveClusterKeys("another cluster's secret, also long");
    const headers = signPeerRequest({ role: "member", key: other.memberKey, peerId: "n1", method: RAFT, now: new Date(NOW) });
    refused(() => verify(headers), "UNAUTHENTICATED", /member signature does not match for 'n1'.*does not hold this cluster's member key/);
  });

  it("refuses a forged on-behalf-of user, a changed message and a stale date", () => {
    const headers = signPeerRequest({ role: "member", key: keys.memberKey, peerId: "n1", method: FORWARDED, body: BODY, onBehalfOf: "alice", now: new Date(NOW) });
    refused(() => verify({ ...headers, [PEER_HEADERS.onBehalfOf]: "admin" }, ANY_PEER, FORWARDED), "UNAUTHENTICATED", /signature does not match/);
    refused(() => verify(headers, ANY_PEER, FORWARDED, Buffer.from([1, 2, 4])), "UNAUTHENTICATED", /request message does not match/);
    refused(() => verify(headers, ANY_PEER, FORWARDED, BODY, NOW + 6 * 60 * 1000), "UNAUTHENTICATED", /request expired: x-tarn-peer-date/);
  });

  it("cannot be satisfied by a client, whatever it puts in the headers", () => {
    // A client knows its own secret and everything on the wire, but not the cluster secret.
    const client = signRequest({ method: RAFT, accessKeyId: "AKIAABCDEFGHIJKLMNOP", secretAccessKey: "client-secret-client-secret", body: BODY, now: new Date(NOW) });
    refused(() => verify(client, MEMBERS_ONLY, RAFT, BODY), "UNAUTHENTICATED", /missing x-tarn-peer-id header/);
    for (const role of ["member", "gateway"] as const) {
      const posing = signPeerRequest({ role, key: Buffer.from("client-secret-client-secret"), peerId: "n1", method: RAFT, body: BODY, now: new Date(NOW) });
      refused(() => verify(posing, ANY_PEER, RAFT, BODY), "UNAUTHENTICATED", new RegExp(`${role} signature does not match`));
    }
    // Nor is the raw cluster secret itself a signing key: only the derived keys sign.
    const raw = signPeerRequest({ role: "member", key: Buffer.from(CLUSTER_SECRET), peerId: "n1", method: RAFT, now: new Date(NOW) });
    refused(() => verify(raw), "UNAUTHENTICATED", /signature does not match/);
    refused(() => verify({ ...raw, [PEER_HEADERS.role]: "admin" }), "UNAUTHENTICATED", /unknown x-tarn-peer-role 'admin'/);
  });

  it("lets a gateway forward users' calls but never act as a member", () => {
    const token = gatewayTokenFor(CLUSTER_SECRET);
    assert.match(token, /^tarngw1\.[A-Za-z0-9_-]{43}$/);
    const gatewayKey = gatewayKeyFrom(token, "TARN_CLUSTER_SECRET");
    assert.deepEqual(gatewayKey, keys.gatewayKey);
    assert.deepEqual(gatewayKeyFrom(CLUSTER_SECRET), keys.gatewayKey, "a gateway given the whole secret derives the same key");

    const forwarded = signPeerRequest({ role: "gateway", key: gatewayKey, peerId: "gw-1", method: FORWARDED, body: BODY, onBehalfOf: "alice", now: new Date(NOW) });
    assert.equal(verify(forwarded, ANY_PEER, FORWARDED, BODY).role, "gateway");
    // On a members-only endpoint the gateway is recognised, and refused.
    const raft = signPeerRequest({ role: "gateway", key: gatewayKey, peerId: "gw-1", method: RAFT, now: new Date(NOW) });
    refused(() => verify(raft), "PERMISSION_DENIED", /gateway 'gw-1' may not call \/tarn\.raft\.v1\.Raft\/Append: only member peers may/);
    // Claiming to be a member with the gateway's key fails the signature.
    const posing = signPeerRequest({ role: "member", key: gatewayKey, peerId: "n9", method: RAFT, now: new Date(NOW) });
    refused(() => verify(posing), "UNAUTHENTICATED", /member signature does not match for 'n9'/);
  });

  it("refuses secrets too short to be secrets, tokens given to members and malformed tokens", () => {
    refused(() => deriveClusterKeys("short", "TARN_CLUSTER_SECRET"), "INVALID_ARGUMENT", /TARN_CLUSTER_SECRET is too short: 5 bytes, at least 16/);
    refused(() => deriveClusterKeys(gatewayTokenFor(CLUSTER_SECRET), "TARN_CLUSTER_SECRET"), "INVALID_ARGUMENT", /TARN_CLUSTER_SECRET is a gateway token, not a cluster secret/);
    refused(() => gatewayKeyFrom("tarngw1.abc", "TARN_CLUSTER_SECRET"), "INVALID_ARGUMENT", /malformed gateway token: expected 32 key bytes/);
  });
});
