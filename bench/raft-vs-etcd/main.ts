// raft-vs-etcd: Tarn's Raft library (three member processes, trivial KV state machine, durable log with
// fsync, gRPC on loopback) against a three-member etcd cluster from Debian's etcd-server, in one run, with
// the same load and the same client: unary gRPC Put (identical PutRequest encoding), 256-byte values, 1, 64
// and 512 concurrent clients, aimed at the leader of each system.
//
//   npm run bench -- raft-vs-etcd [--duration-ms 5000] [--warmup-ms 1000] [--clients 1,64,512] [--spread]
//                                 [--client http2|grpc-js] [--rounds 3]
//
// --rounds N measures each concurrency N times, tarn and etcd alternating, and reports each system's round
// with the median throughput: on a shared machine one unlucky window otherwise decides the figure.
// --client picks the load generator's gRPC client, the same for both systems: http2 (default) is a lean
// unary client straight on node:http2 (http2-pool.ts); grpc-js is @grpc/grpc-js, which costs about four
// times as much client CPU per call and at 512 clients saturates the core it runs on, capping both systems.
// --spread sends the calls round-robin to all three members of each system instead of the leader only
// (followers forward to their leader: etcd inside its Raft layer, Tarn's RaftNode on its Raft stream).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePorts } from "../../test/raft/process-kv";
import { KvClient, KV_PATHS } from "../../test/raft/process-kv-rpc";
import { MemberSpec, startMember, waitForLeader } from "../../test/raft/process-cluster";
import { stopAllProcesses, waitUntil } from "../../test/support/processes";
import { groupCpuSeconds, processCpuSeconds } from "./cpu";
import { ETCD_PUT, findEtcdLeader, startEtcdCluster } from "./etcd";
import { Http2ChannelPool } from "./http2-pool";
import { ChannelPool, LoadResult, runLoad, UnaryPool } from "./load";

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

const durationMs = Number(option("duration-ms", "5000"));
const warmupMs = Number(option("warmup-ms", "1000"));
const concurrencies = option("clients", "1,64,512").split(",").map(Number);
const spread = process.argv.includes("--spread");
const rounds = Math.max(1, Number(option("rounds", "3")));
const clientKind = option("client", "http2");
if (clientKind !== "http2" && clientKind !== "grpc-js") throw new Error(`--client ${clientKind}: expected http2 or grpc-js`);
const CHANNELS = 8;

/** The load generator's connections: `size` to each address, the same kind for both systems. */
const makePool = (addresses: string[], size: number): UnaryPool => (clientKind === "http2" ? new Http2ChannelPool(addresses, size) : new ChannelPool(addresses, size));

/** CPU microseconds the three members spent per acknowledged write in the measured window. */
const cpuPerOp = (r: LoadResult): number => (r.cpuSeconds !== undefined && r.ops > 0 ? (r.cpuSeconds * 1e6) / r.ops : NaN);

/** The load generator's own CPU per write, and its share of one core: near 100% it, not the server, is the limit. */
const clientLoad = (r: LoadResult, seconds: number): string => {
  const cpu = r.clientCpuSeconds ?? NaN;
  return `client ${((cpu * 1e6) / Math.max(1, r.ops)).toFixed(0)} us/write, ${((100 * cpu) / seconds).toFixed(0)}% of a core`;
};
const share = (r: LoadResult): number => Math.round((100 * (r.clientCpuSeconds ?? NaN)) / (durationMs / 1000)) / 100;

const fmt = (r: LoadResult) =>
  `${r.opsPerSec.toFixed(0).padStart(7)} writes/s  ${cpuPerOp(r).toFixed(0).padStart(5)} us CPU/write (${clientLoad(r, durationMs / 1000)})  p50 ${r.p50Ms.toFixed(2).padStart(7)} ms  p99 ${r.p99Ms.toFixed(2).padStart(7)} ms  (${r.ops} ops, ${r.errors} errors)`;

/** The round with the median throughput (the lower middle one for an even count). */
const medianRound = (results: LoadResult[]): LoadResult => [...results].sort((a, b) => a.opsPerSec - b.opsPerSec)[Math.floor((results.length - 1) / 2)];

interface Target {
  name: string;
  pool: UnaryPool;
  path: string;
  /** The member processes, for their CPU time. */
  pids: number[];
  /** The leader's process, for its share of that CPU. */
  leaderPid: number;
  stop(): Promise<void>;
}

async function startTarn(root: string): Promise<Target> {
  const ports = await freePorts(6);
  const specs: MemberSpec[] = ["n1", "n2", "n3"].map((id, i) => ({ id, address: `127.0.0.1:${ports[i]}`, clientAddress: `127.0.0.1:${ports[3 + i]}`, dataDir: path.join(root, "tarn", id) }));
  const procs = specs.map((s) => startMember(s, specs, { cluster: "bench", secret: "bench-secret", tickMs: 100, snapshotEntries: 100_000 }));
  const stop = async () => {
    await Promise.all(procs.map((p) => p.stop()));
  };
  try {
    const clients = new Map(specs.map((s) => [s.id, new KvClient(s.clientAddress)]));
    for (let i = 0; i < specs.length; i++) await waitUntil(`${specs[i].id} serving`, async () => procs[i].output().includes("ready"), 60_000, procs[i]);
    const leader = await waitForLeader(clients, 30_000, procs);
    for (const c of clients.values()) c.close();
    const addresses = spread ? specs.map((s) => s.clientAddress) : [specs.find((s) => s.id === leader)!.clientAddress];
    return { name: "tarn", pool: makePool(addresses, spread ? 3 : CHANNELS), path: KV_PATHS.put, pids: procs.map((p) => p.child.pid!), leaderPid: procs[specs.findIndex((s) => s.id === leader)].child.pid!, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function startEtcd(root: string): Promise<Target> {
  const members = startEtcdCluster(path.join(root, "etcd"), await freePorts(6));
  const stop = async () => {
    await Promise.all(members.map((m) => m.proc?.stop()));
  };
  try {
    const leader = await findEtcdLeader(members, 60_000);
    const addresses = spread ? members.map((m) => m.clientAddress) : [leader.clientAddress];
    return { name: "etcd", pool: makePool(addresses, spread ? 3 : CHANNELS), path: ETCD_PUT, pids: members.map((m) => m.proc!.child.pid!), leaderPid: leader.proc!.child.pid!, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function main(): Promise<void> {
  const loadAtStart = os.loadavg().map((l) => Math.round(l * 100) / 100);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-bench-raft-etcd-"));
  const aim = spread ? "round-robin to all 3 members (3 channels each)" : `to the leader (${CHANNELS} channels)`;
  console.log(`raft-vs-etcd: 3 members each, fsync on, loopback; client = unary gRPC Put (${clientKind === "http2" ? "lean node:http2 client" : "@grpc/grpc-js"}) ${aim};`);
  console.log(`256-byte values, fresh key per write; ${warmupMs} ms warm-up + ${durationMs} ms measured per concurrency; load average ${loadAtStart.map((l) => l.toFixed(2)).join(" ")}`);
  console.log("us CPU/write: user+sys CPU of the three member processes (/proc/PID/stat) per acknowledged write, a figure machine load barely moves");
  try {
    // Both clusters run side by side (an idle cluster only heartbeats), and each concurrency is measured on
    // one right after the other, so that both see the same machine load.
    const tarnTarget = await startTarn(root);
    const etcdTarget = await startEtcd(root);
    const tarn = new Map<number, LoadResult>();
    const etcd = new Map<number, LoadResult>();
    try {
      for (const n of concurrencies) {
        const measured = new Map<string, LoadResult[]>();
        for (let round = 1; round <= rounds; round++) {
          for (const target of [tarnTarget, etcdTarget]) {
            // The leader's CPU is read beside the group's at the window's start and end (runLoad calls `cpu` twice).
            const leaderCpu: number[] = [];
            const cpu = () => {
              leaderCpu.push(processCpuSeconds(target.leaderPid));
              return groupCpuSeconds(target.pids);
            };
            const r = await runLoad(target.pool, target.path, n, warmupMs, durationMs, `${target.name}-${n}-${round}`, cpu);
            const leaderUs = ((leaderCpu[leaderCpu.length - 1] - leaderCpu[0]) * 1e6) / Math.max(1, r.ops);
            const label = rounds > 1 ? ` round ${round}/${rounds}` : "";
            console.log(`${target.name}  clients=${String(n).padStart(3)}  ${fmt(r)}  leader ${leaderUs.toFixed(0)} us CPU/write  load ${os.loadavg()[0].toFixed(2)}${label}`);
            measured.set(target.name, [...(measured.get(target.name) ?? []), r]);
          }
        }
        tarn.set(n, medianRound(measured.get("tarn")!));
        etcd.set(n, medianRound(measured.get("etcd")!));
      }
    } finally {
      for (const t of [tarnTarget, etcdTarget]) {
        t.pool.close();
        await t.stop();
      }
    }
    const rows = concurrencies.map((n) => {
      const t = tarn.get(n)!;
      const e = etcd.get(n)!;
      console.log(
        `clients=${String(n).padStart(3)}  throughput tarn/etcd ${(t.opsPerSec / e.opsPerSec).toFixed(2)}x  p99 tarn/etcd ${(t.p99Ms / e.p99Ms).toFixed(2)}x  ` +
          `p50 tarn/etcd ${(t.p50Ms / e.p50Ms).toFixed(2)}x  CPU/write tarn/etcd ${(cpuPerOp(t) / cpuPerOp(e)).toFixed(2)}x`,
      );
      const round = (v: number) => Math.round(v * 100) / 100;
      return {
        clients: n,
        tarn_ops_per_s: Math.round(t.opsPerSec),
        etcd_ops_per_s: Math.round(e.opsPerSec),
        tarn_p50_ms: round(t.p50Ms),
        etcd_p50_ms: round(e.p50Ms),
        tarn_p99_ms: round(t.p99Ms),
        etcd_p99_ms: round(e.p99Ms),
        throughput_ratio: round(t.opsPerSec / e.opsPerSec),
        tarn_cpu_us_per_op: Math.round(cpuPerOp(t)),
        etcd_cpu_us_per_op: Math.round(cpuPerOp(e)),
        tarn_client_cpu_share: share(t),
        etcd_client_cpu_share: share(e),
        tarn_errors: t.errors,
        etcd_errors: e.errors,
      };
    });
    console.log(`load average after the run ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
    console.log(JSON.stringify({ bench: "raft-vs-etcd", machine: { cores: os.cpus().length, memory: os.totalmem() }, load_average_at_start: loadAtStart, load_average_at_end: os.loadavg().map((l) => Math.round(l * 100) / 100), rounds, client: `${clientKind} unary Put, same client and encoding for both, ${spread ? "spread over all members" : "to the leader"}`, results: rows }));
  } finally {
    await stopAllProcesses();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch(async (err: Error) => {
  console.error(`raft-vs-etcd: ${err.stack ?? err.message}`);
  await stopAllProcesses();
  process.exit(1);
});
