// Peer authentication: each call carries the cluster id, the sender and recipient ids, a timestamp and an
// HMAC-SHA256 over them keyed with the shared cluster secret. The timestamp bounds how long a captured
// header stays usable (the transport itself should still run over TLS on untrusted networks).
import { createHmac, timingSafeEqual } from "node:crypto";
import { Metadata, status } from "@grpc/grpc-js";

export const HEADER = {
  cluster: "x-tarn-raft-cluster",
  from: "x-tarn-raft-from",
  to: "x-tarn-raft-to",
  time: "x-tarn-raft-time",
  mac: "x-tarn-raft-hmac",
} as const;

/** How far a caller's clock may be from ours. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

export function peerMac(secret: string, cluster: string, from: string, to: string, timeMs: number): string {
  return createHmac("sha256", secret).update(`tarn-raft\n${cluster}\n${from}\n${to}\n${timeMs}`).digest("hex");
}

export function signPeerCall(secret: string, cluster: string, from: string, to: string, now = Date.now()): Metadata {
  const md = new Metadata();
  md.set(HEADER.cluster, cluster);
  md.set(HEADER.from, from);
  md.set(HEADER.to, to);
  md.set(HEADER.time, String(now));
  md.set(HEADER.mac, peerMac(secret, cluster, from, to, now));
  return md;
}

export type PeerCheck = { ok: true; from: string } | { ok: false; code: status; reason: string };

/** Verifies a call's metadata for member `self` of `cluster`; `isMember` says whether a sender id is known. */
export function verifyPeerCall(md: Metadata, secret: string, cluster: string, self: string, isMember: (id: string) => boolean, now = Date.now()): PeerCheck {
  const get = (key: string) => {
    const v = md.get(key)[0];
    return typeof v === "string" ? v : undefined;
  };
  const [c, from, to, time, mac] = [get(HEADER.cluster), get(HEADER.from), get(HEADER.to), get(HEADER.time), get(HEADER.mac)];
  if (!c || !from || !to || !time || !mac) return { ok: false, code: status.UNAUTHENTICATED, reason: "missing peer credentials" };
  if (c !== cluster) return { ok: false, code: status.PERMISSION_DENIED, reason: `call for cluster '${c}' reached cluster '${cluster}'` };
  const expected = Buffer.from(peerMac(secret, c, from, to, Number(time)), "hex");
  const given = Buffer.from(mac, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, code: status.UNAUTHENTICATED, reason: `bad HMAC from '${from}' (wrong cluster secret?)` };
  }
  if (Math.abs(now - Number(time)) > MAX_CLOCK_SKEW_MS) return { ok: false, code: status.UNAUTHENTICATED, reason: `stale credentials from '${from}'` };
  if (to !== self) return { ok: false, code: status.PERMISSION_DENIED, reason: `call for member '${to}' reached member '${self}'` };
  if (!isMember(from)) return { ok: false, code: status.PERMISSION_DENIED, reason: `'${from}' is not a member of cluster '${cluster}'` };
  return { ok: true, from };
}
