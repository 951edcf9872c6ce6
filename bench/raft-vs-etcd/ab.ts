// Paired A/B of tarn member variants: one three-member cluster per variant, side by side, driven in
// alternating rounds with the same load, so that every variant sees the same machine load. On a shared
// machine a change is only worth keeping when it wins here; back-to-back runs of main.ts differ by 30%.
//
//   node dist/bench/raft-vs-etcd/ab.js [--clients 64] [--rounds 5] [--duration-ms 3000]
//        [--variants '[{"env":{}},{"env":{"RAFT_NODE_FLAGS":"--max-semi-space-size=64"}}]']
//
// A variant is { env?: extra environment for its members, options?: ClusterOptions for startMember }.
// Prints every round and, per variant, the median throughput, CPU per write and p99. The first round runs on
// cold JIT (the first variant's most of all): use five rounds or more, and an A/A run to see the noise.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePorts } from "../../test/raft/process-kv";
import { KvClient, KV_PATHS } from "../../test/raft/process-kv-rpc";
import { ClusterOptions, MemberSpec, startMember, waitForLeader } from "../../test/raft/process-cluster";
import { stopAllProcesses, waitUntil } from "../../test/support/processes";
import { groupCpuSeconds } from "./cpu";
import { Http2ChannelPool } from "./http2-pool";
import { LoadResult, runLoad } from "./load";

interface Variant {
  env?: Record<string, string>;
  options?: ClusterOptions;
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

async function startCluster(root: string, variant: Variant): Promise<{ pool: Http2ChannelPool; pids: number[] }> {
  const ports = await freePorts(6);
  const specs: MemberSpec[] = ["n1", "n2", "n3"].map((id, i) => ({ id, address: `127.0.0.1:${ports[i]}`, clientAddress: `127.0.0.1:${ports[3 + i]}`, dataDir: path.join(root, id) }));
  // startMember passes process.env on: set the variant's environment only while its members start.
  const env = variant.env ?? {};
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const procs = specs.map((s) => startMember(s, specs, { cluster: "ab", secret: "ab-secret", tickMs: 100, snapshotEntries: 100_000, ...variant.options }));
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  for (let i = 0; i < specs.length; i++) await waitUntil(`${specs[i].id} serving`, async () => procs[i].output().includes("ready"), 60_000, procs[i]);
  const clients = new Map(specs.map((s) => [s.id, new KvClient(s.clientAddress)]));
  const leader = await waitForLeader(clients, 30_000, procs);
  for (const c of clients.values()) c.close();
  return { pool: new Http2ChannelPool(specs.find((s) => s.id === leader)!.clientAddress, 8), pids: procs.map((p) => p.child.pid!) };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
const cpuPerWrite = (r: LoadResult): number => ((r.cpuSeconds ?? NaN) * 1e6) / Math.max(1, r.ops);

async function main(): Promise<void> {
  const clients = Number(option("clients", "64"));
  const rounds = Number(option("rounds", "5"));
  const durationMs = Number(option("duration-ms", "3000"));
  const variants = JSON.parse(option("variants", '[{"env":{}},{"env":{}}]')) as Variant[];
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-bench-ab-"));
  try {
    const clusters: { pool: Http2ChannelPool; pids: number[] }[] = [];
    for (let i = 0; i < variants.length; i++) clusters.push(await startCluster(path.join(root, `v${i}`), variants[i]));
    const results: LoadResult[][] = variants.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < clusters.length; i++) {
        const r = await runLoad(clusters[i].pool, KV_PATHS.put, clients, 500, durationMs, `v${i}-${round}`, () => groupCpuSeconds(clusters[i].pids));
        results[i].push(r);
        console.log(`v${i} round ${round + 1}/${rounds}  ${r.opsPerSec.toFixed(0)} writes/s  ${cpuPerWrite(r).toFixed(0)} us CPU/write  p50 ${r.p50Ms.toFixed(1)} ms  p99 ${r.p99Ms.toFixed(1)} ms  load ${os.loadavg()[0].toFixed(2)}`);
      }
    }
    for (const c of clusters) c.pool.close();
    for (let i = 0; i < variants.length; i++) {
      const rs = results[i];
      console.log(`v${i} ${JSON.stringify(variants[i])}  median ${median(rs.map((r) => r.opsPerSec)).toFixed(0)} writes/s  ${median(rs.map(cpuPerWrite)).toFixed(0)} us CPU/write  p99 ${median(rs.map((r) => r.p99Ms)).toFixed(1)} ms`);
    }
  } finally {
    await stopAllProcesses();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch(async (err: Error) => {
  console.error(`ab: ${err.stack ?? err.message}`);
  await stopAllProcesses();
  process.exit(1);
});
