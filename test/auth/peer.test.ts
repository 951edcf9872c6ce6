import assert from "node:assert/strict";
import { deriveClusterKeys, PEER_HEADERS, signPeerRequest, signRequest, verifyPeerRequest } from "../../src/auth";
import { TarnError } from "../../src/errors";

const METHOD = "/tarn.raft.v1.Raft/Append";
const NOW = Date.UTC(2026, 10, 24, 14, 0, 0);
const CLUSTER_SECRET = "correct horse battery staple 0123456789";
const { peerKey } = deriveClusterKeys(CLUSTER_SECRET);
const BODY = Buffer.from([1, 2, 3]);

function refused(fn: () => unknown, message: RegExp) {
  assert.throws(fn, (err: unknown) => err instanceof TarnError && err.code === "UNAUTHENTICATED" && message.test(err.message));
}

describe("auth: peer authentication with the cluster secret", () => {
  it("round-trips, carrying the user a forwarded call acts for", () => {
    const headers = signPeerRequest({ peerKey, peerId: "n1", method: METHOD, body: BODY, onBehalfOf: "alice", now: new Date(NOW) });
    const verified = verifyPeerRequest({ peerKey, method: METHOD, headers, body: BODY, now: NOW + 2000 });
    assert.equal(verified.peerId, "n1");
    assert.equal(verified.onBehalfOf, "alice");
    const plain = signPeerRequest({ peerKey, peerId: "n2", method: METHOD, now: new Date(NOW) });
    assert.equal(verifyPeerRequest({ peerKey, method: METHOD, headers: plain, now: NOW }).onBehalfOf, "");
  });

  it("refuses a member of another cluster (different secret)", () => {
    const other = deriveClusterKeys("another cluster's secret, also long").peerKey;
    const headers = signPeerRequest({ peerKey: other, peerId: "n1", method: METHOD, now: new Date(NOW) });
    refused(() => verifyPeerRequest({ peerKey, method: METHOD, headers, now: NOW }), /peer signature does not match for 'n1'.*does not hold this cluster's secret/);
  });

  it("refuses a forged on-behalf-of user, a changed message and a stale date", () => {
    const headers = signPeerRequest({ peerKey, peerId: "n1", method: METHOD, body: BODY, onBehalfOf: "alice", now: new Date(NOW) });
    refused(() => verifyPeerRequest({ peerKey, method: METHOD, headers: { ...headers, [PEER_HEADERS.onBehalfOf]: "admin" }, now: NOW }), /peer signature does not match/);
    refused(() => verifyPeerRequest({ peerKey, method: METHOD, headers, body: Buffer.from([1, 2, 4]), now: NOW }), /request message does not match/);
    refused(() => verifyPeerRequest({ peerKey, method: METHOD, headers, now: NOW + 6 * 60 * 1000 }), /request expired: x-tarn-peer-date/);
  });

  it("cannot be satisfied by a client: a client signature is not a peer signature, even with a key id posing as peer", () => {
    // The client knows its own secret and everything on the wire, but not the cluster secret.
    const client = signRequest({ method: METHOD, accessKeyId: "AKIAABCDEFGHIJKLMNOP", secretAccessKey: "client-secret-client-secret", body: BODY, now: new Date(NOW) });
    refused(() => verifyPeerRequest({ peerKey, method: METHOD, headers: client, body: BODY, now: NOW }), /missing x-tarn-peer-id header/);
    const posing = signPeerRequest({ peerKey: Buffer.from("client-secret-client-secret"), peerId: "n1", method: METHOD, body: BODY, now: new Date(NOW) });
    refused(() => verifyPeerRequest({ peerKey, method: METHOD, headers: posing, body: BODY, now: NOW }), /peer signature does not match/);
    // Nor is the raw cluster secret itself the peer key: only the derived key signs.
    const raw = signPeerRequest({ peerKey: Buffer.from(CLUSTER_SECRET), peerId: "n1", method: METHOD, now: new Date(NOW) });
    refused(() => verifyPeerRequest({ peerKey, method: METHOD, headers: raw, now: NOW }), /peer signature does not match/);
  });

  it("refuses a cluster secret too short to be a secret", () => {
    assert.throws(() => deriveClusterKeys("short", "TARN_CLUSTER_SECRET"), /TARN_CLUSTER_SECRET is too short: 5 bytes, at least 16/);
  });
});
