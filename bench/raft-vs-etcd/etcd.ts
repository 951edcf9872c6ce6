// A three-member etcd cluster from Debian's etcd-server on loopback (data dirs in tmp, fsync as etcd does
// it), and the leader lookup through etcd's Maintenance/Status gRPC call.
import * as path from "node:path";
import * as protobuf from "protobufjs";
import { startProcess, StartedProcess, waitUntil } from "../../test/support/processes";
import { ensureAptTool } from "../../test/support/tools";
import { ChannelPool } from "./load";

export const ETCD_PUT = "/etcdserverpb.KV/Put";
const ETCD_STATUS = "/etcdserverpb.Maintenance/Status";

export interface EtcdMember {
  name: string;
  clientAddress: string;
  peerUrl: string;
  proc?: StartedProcess;
}

export function startEtcdCluster(root: string, ports: number[]): EtcdMember[] {
  const etcd = ensureAptTool("etcd", "etcd-server");
  const members: EtcdMember[] = [0, 1, 2].map((i) => ({
    name: `e${i + 1}`,
    clientAddress: `127.0.0.1:${ports[2 * i]}`,
    peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
  }));
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(",");
  for (const m of members) {
    m.proc = startProcess(etcd, [
      "--name", m.name,
      "--data-dir", path.join(root, m.name),
      "--listen-client-urls", `http://${m.clientAddress}`,
      "--advertise-client-urls", `http://${m.clientAddress}`,
      "--listen-peer-urls", m.peerUrl,
      "--initial-advertise-peer-urls", m.peerUrl,
      "--initial-cluster", initialCluster,
      "--initial-cluster-state", "new",
      "--initial-cluster-token", "tarn-bench",
      "--log-level", "error",
      "--logger", "zap",
    ], { env: { ...process.env, ETCD_UNSUPPORTED_ARCH: process.arch === "arm64" ? "arm64" : "" } });
  }
  return members;
}

/** Maintenance/Status: StatusResponse { header = 1 { member_id = 2 }, leader = 4 } → whether this member leads. */
async function isLeader(pool: ChannelPool): Promise<boolean> {
  const r = protobuf.Reader.create(await pool.unary(ETCD_STATUS, Buffer.alloc(0), 2000));
  let memberId = "";
  let leader = "";
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) {
      const h = protobuf.Reader.create(r.bytes());
      while (h.pos < h.len) {
        const t = h.uint32();
        if (t === 16) memberId = h.uint64().toString();
        else h.skipType(t & 7);
      }
    } else if (tag === 32) leader = r.uint64().toString();
    else r.skipType(tag & 7);
  }
  return memberId !== "" && memberId === leader;
}

export async function findEtcdLeader(members: EtcdMember[], timeoutMs: number): Promise<EtcdMember> {
  let found: EtcdMember | undefined;
  await waitUntil(
    "an etcd leader",
    async () => {
      for (const m of members) {
        const pool = new ChannelPool(m.clientAddress, 1);
        try {
          if (await isLeader(pool)) found = m;
        } finally {
          pool.close();
        }
      }
      return found !== undefined;
    },
    timeoutMs,
    members[0].proc,
  );
  return found!;
}
