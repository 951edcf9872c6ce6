// metadata: the metadata service as clients see it. Three `tarn metadata` processes on loopback (fsync on,
// snapshots in a shared local dir) driven through the TypeScript SDK (TarnClient: signed calls, leader
// discovery), beside a three-member etcd (Debian's etcd-server, started and driven by bench/raft-vs-etcd's
// code) with the same concurrency and value size, in one run:
//
//   - staging writes (TarnClient.stageObject of a fresh path with a 256-byte metadata value) vs etcd Put
//     (256-byte value) at 64 and 512 concurrent writers: throughput and p99. The SDK coalesces concurrent
//     stageObject calls into StageObjects calls (group commit, src/client/staging-coalescer.ts);
//     --no-coalesce sends one StageObject per write, as before;
//   - branch creations per second (target ≥ 3,000/s), at the same concurrencies; the SDK coalesces
//     concurrent createBranch calls into CreateBranches calls (--no-coalesce: one CreateBranch each);
//   - linearizable stat calls (StatObject of a staged entry, ReadIndex on the leader) per second, alike; the SDK
//     coalesces concurrent statObject calls into StatObjects calls (--no-coalesce: one StatObject each).
//
//   npm run bench -- metadata [--duration-ms 5000] [--warmup-ms 1000] [--clients 64,512] [--channels 32]
//                             [--tarn-clients 1] [--no-coalesce | --compare-coalesce] [--staging-in-flight N] [--workloads staging,branch,stat] [--no-etcd]
//                             [--cpu-prof DIR] [--jit-warmup-ms 3000] [--etcd-client http2|grpc-js]
//
// --cpu-prof DIR writes a V8 CPU profile of each tarn process there (open in Chrome DevTools); --no-etcd
// and --workloads run a part of it while working on one figure.
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TarnClient } from "../../src/client";
import { freePort } from "../../test/support/ports";
import { startProcess, StartedProcess, stopAllProcesses, waitUntil } from "../../test/support/processes";
import { groupCpuSeconds } from "../raft-vs-etcd/cpu";
import { ETCD_PUT, findEtcdLeader, startEtcdCluster } from "../raft-vs-etcd/etcd";
import { Http2ChannelPool } from "../raft-vs-etcd/http2-pool";
import { ChannelPool, closedLoop, LoadResult, runLoad, type UnaryPool } from "../raft-vs-etcd/load";

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

const durationMs = Number(option("duration-ms", "5000"));
// Unmeasured staging writes before the first row: Node compiles its hot paths during the first seconds of
// load (etcd, in Go, needs no such start), which otherwise lands in whichever row runs first.
const jitWarmupMs = Number(option("jit-warmup-ms", "3000"));
const warmupMs = Number(option("warmup-ms", "1000"));
const concurrencies = option("clients", "64,512").split(",").map(Number);
// Channels to etcd's leader the callers share in turn (grpc-js serialized much of a channel's work, so the
// load runs over many).
const CHANNELS = Number(option("channels", "32"));
// TarnClients the callers share in turn. One, as a real user's process or a gateway (one client per user)
// has: the SDK's unary calls run over node:http2 (src/client/http2-unary.ts), and staging writes coalesce
// per client, so splitting one user's callers over many clients only makes smaller batches.
// --tarn-clients 32 gives the earlier set-up (as many clients as etcd channels).
const TARN_CLIENTS = Number(option("tarn-clients", "1"));
// --compare-coalesce runs every staging row both ways on the same cluster (an A/B inside one run).
// --staging-in-flight N[,M...] sets the staging calls each client keeps in flight while coalescing
// (TarnClientOptions.stagingInFlight; the SDK's default without it), one row per value, for tuning it.
interface StagingMode {
  coalesce: boolean;
  inFlight?: number;
}
const inFlights = process.argv.includes("--staging-in-flight") ? option("staging-in-flight", "2").split(",").map(Number) : [undefined];
const stagingModes: StagingMode[] = [
  ...(process.argv.includes("--no-coalesce") ? [] : inFlights.map((inFlight) => ({ coalesce: true, inFlight }))),
  ...(process.argv.includes("--no-coalesce") || process.argv.includes("--compare-coalesce") ? [{ coalesce: false }] : []),
];
const modeName = (m: StagingMode) => (m.coalesce ? `coalesced${m.inFlight ? ` (${m.inFlight} in flight)` : ""}` : "one StageObject each");
// etcd's load: the lean node:http2 unary client by default, as TarnClient's unary calls (src/client/http2-unary.ts);
// --etcd-client grpc-js for @grpc/grpc-js channels.
const etcdClient = option("etcd-client", "http2");
if (etcdClient !== "http2" && etcdClient !== "grpc-js") throw new Error(`--etcd-client ${etcdClient}: expected http2 or grpc-js`);
const workloads = new Set(option("workloads", "staging,branch,stat").split(","));
const withEtcd = !process.argv.includes("--no-etcd");
const profileDir = option("cpu-prof", "");
const REPO = "bench";
const ADMIN = { accessKeyId: "AKIATARNBENCHADMIN01", secretAccessKey: "tarn-bench-admin-secret-0123456789" };
const TARN_BIN = path.join(__dirname, "..", "..", "..", "bin", "tarn");

interface TarnCluster {
  clients: TarnClient[];
  /** The same number of clients per staging mode. */
  staging: Map<StagingMode, TarnClient[]>;
  pids: number[];
  stop(): Promise<void>;
}

async function startTarnCluster(root: string): Promise<TarnCluster> {
  const ids = ["m1", "m2", "m3"];
  const ports: number[] = [];
  for (let i = 0; i < ids.length; i++) ports.push(await freePort());
  const peers = ids.map((id, i) => `${id}=127.0.0.1:${ports[i]}`).join(",");
  const env = { ...process.env, TARN_CLUSTER_SECRET: "tarn-bench-cluster-secret-0123456789", TARN_ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId, TARN_ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey };
  const snapshots = `local://${path.join(root, "snapshots")}`;
  const procs: StartedProcess[] = ids.map((id, i) =>
    startProcess(process.execPath, [...(process.env.TARN_BENCH_NODE_FLAGS ? process.env.TARN_BENCH_NODE_FLAGS.split(" ") : []), ...(profileDir ? ["--cpu-prof", "--cpu-prof-dir", path.resolve(profileDir)] : []), TARN_BIN, "metadata", "--id", id, "--data-dir", path.join(root, id), "--listen", `127.0.0.1:${ports[i]}`, "--peers", peers, "--snapshot-store", snapshots, "--log-level", "warn"], { env }),
  );
  const endpoints = ports.map((p) => `127.0.0.1:${p}`);
  const staging = new Map(stagingModes.map((m) => [m, Array.from({ length: TARN_CLIENTS }, () => new TarnClient({ endpoints, ...ADMIN, retry: { attempts: 20, baseMs: 50, maxMs: 500 }, coalesceStaging: m.coalesce, coalesceBranches: m.coalesce, coalesceStats: m.coalesce, stagingInFlight: m.inFlight }))]));
  const clients = staging.get(stagingModes[0])!;
  await waitUntil("a tarn leader with the admin user", async () => (await clients[0].getClusterStatus()).leaderId !== "", 60_000, procs[0]);
  return {
    clients,
    staging,
    pids: procs.map((p) => p.child.pid!),
    stop: async () => {
      for (const set of staging.values()) for (const c of set) c.close();
      await Promise.all(procs.map((p) => p.stop()));
    },
  };
}

/** A three-member etcd and a pool of channels to its leader (bench/raft-vs-etcd's code). */
async function startEtcd(dir: string): Promise<{ pool: UnaryPool; pids: number[]; stop(): Promise<void> }> {
  const members = startEtcdCluster(dir, await Promise.all(Array.from({ length: 6 }, () => freePort())));
  const leader = await findEtcdLeader(members, 60_000);
  const pool = etcdClient === "http2" ? new Http2ChannelPool(leader.clientAddress, CHANNELS) : new ChannelPool(leader.clientAddress, CHANNELS);
  return {
    pool,
    pids: members.map((m) => m.proc!.child.pid!),
    stop: async () => {
      pool.close();
      await Promise.all(members.map((m) => m.proc?.stop()));
    },
  };
}

const round = (v: number) => Math.round(v * 100) / 100;
/** CPU milliseconds per operation, or undefined when not measured. */
const perOp = (cpuSeconds: number | undefined, r: LoadResult) => (cpuSeconds === undefined || r.ops === 0 ? undefined : round((cpuSeconds * 1000) / r.ops));
const perOpUs = (cpuSeconds: number | undefined, r: LoadResult) => (cpuSeconds === undefined || r.ops === 0 ? undefined : Math.round((cpuSeconds * 1e6) / r.ops));
const fmt = (r: LoadResult) =>
  `${r.opsPerSec.toFixed(0).padStart(7)} ops/s  p50 ${r.p50Ms.toFixed(2).padStart(7)} ms  p99 ${r.p99Ms.toFixed(2).padStart(7)} ms  (${r.ops} ops, ${r.errors} errors` +
  `${r.cpuSeconds !== undefined ? `, CPU/op servers ${perOp(r.cpuSeconds, r)} ms` : ""}${r.clientCpuSeconds !== undefined ? ` client ${perOp(r.clientCpuSeconds, r)} ms` : ""}, load ${os.loadavg()[0].toFixed(2)})`;
/** The CPU figures of a row: per operation, in the servers and in this (client) process. */
/** Field names as bench/raft-vs-etcd's rows: the servers' CPU per operation in microseconds, and the client's. */
const cpuFields = (prefix: string, r: LoadResult) => ({ [`${prefix}_cpu_us_per_op`]: perOpUs(r.cpuSeconds, r), [`${prefix}_client_cpu_us_per_op`]: perOpUs(r.clientCpuSeconds, r) });

/**
 * Waits until the members use less than a tenth of a core over half a second (their background work, such as
 * LevelDB compactions, is done), at most `capMs`; prints how long that took.
 */
async function settle(pids: number[], capMs = 60_000): Promise<void> {
  const t0 = Date.now();
  let before = groupCpuSeconds(pids);
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const now = groupCpuSeconds(pids);
    const busy = (now - before) / 0.5;
    before = now;
    if (busy < 0.1 || Date.now() - t0 > capMs) {
      console.log(`  (members settled after the writes before: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${(100 * busy).toFixed(0)}% of a core at the end)`);
      return;
    }
  }
}

async function main(): Promise<void> {
  const loadAtStart = os.loadavg().map(round);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-bench-metadata-"));
  const modeNames = stagingModes.map(modeName).join(" / ");
  console.log(`metadata: 3 tarn metadata processes via TarnClient (${TARN_CLIENTS} SDK client${TARN_CLIENTS === 1 ? "" : "s"}, staging writes ${modeNames}) vs 3-member etcd via ${etcdClient === "http2" ? "a lean node:http2" : "a grpc-js"} Put to its leader (${CHANNELS} channels); fsync on, loopback`);
  console.log(`256-byte values; ${warmupMs} ms warm-up + ${durationMs} ms measured per row; load average ${loadAtStart.join(" ")}`);
  try {
    const tarn = await startTarnCluster(root);
    const etcd = withEtcd ? await startEtcd(path.join(root, "etcd")) : undefined;
    const client = (c: number) => tarn.clients[c % tarn.clients.length];
    const rows: Record<string, unknown>[] = [];
    try {
      const ns = path.join(root, "namespace");
      await tarn.clients[0].createRepository({ name: REPO, storageNamespace: `local://${ns}` });
      // One stored object that every staged entry points at: the benchmark measures metadata, not data.
      fs.mkdirSync(path.join(ns, "data"), { recursive: true });
      fs.writeFileSync(path.join(ns, "data", "shared"), "x");
      // Staged as the gateway and the SDK stage what they wrote: with its size and checksum (the service then
      // trusts them instead of asking the store).
      const shared = { physicalAddress: "data/shared", sizeBytes: 1, checksum: createHash("md5").update("x").digest("hex") };
      const value = randomBytes(128).toString("hex"); // 256 bytes, as etcd's values
      if (jitWarmupMs > 0) {
        for (const [m, set] of tarn.staging) {
          const until = Date.now() + jitWarmupMs / stagingModes.length;
          await Promise.all(
            Array.from({ length: 64 }, async (_, c) => {
              for (let i = 0; Date.now() < until; i++) await set[c % set.length].stageObject({ repository: REPO, branch: "main", path: `warm/${modeName(m)}/${c}/${i}`, ...shared, userMetadata: { v: value } });
            }),
          );
        }
      }

      for (const n of workloads.has("staging") ? concurrencies : []) {
        const tarnRows: Record<string, unknown>[] = [];
        const results: LoadResult[] = [];
        for (const [m, set] of tarn.staging) {
          const t = await closedLoop(n, (c, i) => set[c % set.length].stageObject({ repository: REPO, branch: "main", path: `w${n}/${modeName(m)}/${c}/${i}`, ...shared, userMetadata: { v: value } }), warmupMs, durationMs, () => groupCpuSeconds(tarn.pids));
          console.log(`tarn staging writes  clients=${String(n).padStart(3)}  ${fmt(t)}  ${modeName(m)}`);
          results.push(t);
          tarnRows.push({ clients: n, tarn_clients: TARN_CLIENTS, coalesce: m.coalesce, ...(m.inFlight ? { staging_in_flight: m.inFlight } : {}), tarn_ops_per_s: Math.round(t.opsPerSec), tarn_p50_ms: round(t.p50Ms), tarn_p99_ms: round(t.p99Ms), tarn_errors: t.errors, ...cpuFields("tarn", t), load_average: round(os.loadavg()[0]) });
        }
        if (etcd) {
          const e = await runLoad(etcd.pool, ETCD_PUT, n, warmupMs, durationMs, `etcd-${n}`, () => groupCpuSeconds(etcd.pids));
          console.log(`etcd put             clients=${String(n).padStart(3)}  ${fmt(e)}`);
          tarnRows.forEach((row, k) => {
            const t = results[k];
            console.log(`  ${modeName(stagingModes[k])}: throughput tarn/etcd ${(t.opsPerSec / e.opsPerSec).toFixed(2)}x (target ≥ 1.5x), p99 tarn/etcd ${(t.p99Ms / e.p99Ms).toFixed(2)}x (target ≤ 1)`);
            Object.assign(row, {
              etcd_ops_per_s: Math.round(e.opsPerSec),
              etcd_p50_ms: round(e.p50Ms),
              etcd_p99_ms: round(e.p99Ms),
              throughput_ratio: round(t.opsPerSec / e.opsPerSec),
              p99_ratio: round(t.p99Ms / e.p99Ms),
              etcd_errors: e.errors,
              ...cpuFields("etcd", e),
              etcd_load_average: round(os.loadavg()[0]),
            });
          });
        }
        rows.push(...tarnRows);
      }

      // The staging rows (and the JIT warm-up's writes) leave each member's LevelDB compacting in the
      // background for a while; a row measured during that would charge its CPU to branch creations or stats.
      // Each workload starts on quiet members.
      if ((workloads.has("staging") || jitWarmupMs > 0) && (workloads.has("branch") || workloads.has("stat"))) await settle(tarn.pids);

      // Branch creations and stats at the same concurrencies as the staging rows: at 64 callers a closed loop
      // measures the round trip as much as the service (the members are partly idle between Raft rounds);
      // more callers fill the rounds and show what the service can take.
      // The SDK coalesces concurrent createBranch calls into CreateBranches calls as it does staging writes
      // (src/client/branch-coalescer.ts); --no-coalesce and --compare-coalesce apply here too.
      for (const n of workloads.has("branch") ? concurrencies : []) {
        for (const [m, set] of [...tarn.staging].filter(([m]) => !m.inFlight || m === stagingModes[0])) {
          const branches = await closedLoop(n, (c, i) => set[c % set.length].createBranch({ repository: REPO, name: `b${n}-${m.coalesce ? "c" : "p"}-${c}-${i}`, source: "main" }), warmupMs, durationMs, () => groupCpuSeconds(tarn.pids));
          console.log(`tarn branch creations clients=${String(n).padStart(3)}  ${fmt(branches)}  (target ≥ 3000/s)  ${m.coalesce ? "coalesced" : "one CreateBranch each"}`);
          rows.push({ workload: "branch_create", clients: n, coalesce: m.coalesce, tarn_ops_per_s: Math.round(branches.opsPerSec), tarn_p50_ms: round(branches.p50Ms), tarn_p99_ms: round(branches.p99Ms), target_ops_per_s: 3000, tarn_errors: branches.errors, ...cpuFields("tarn", branches), load_average: round(os.loadavg()[0]) });
        }
      }

      if (workloads.has("stat")) await client(0).stageObject({ repository: REPO, branch: "main", path: "stat/target", ...shared, userMetadata: { v: value } });
      // Stats coalesce into StatObjects calls alike (src/client/stat-coalescer.ts).
      for (const n of workloads.has("stat") ? concurrencies : []) {
        for (const [m, set] of [...tarn.staging].filter(([m]) => !m.inFlight || m === stagingModes[0])) {
          const stats = await closedLoop(n, (c) => set[c % set.length].statObject({ repository: REPO, ref: "main", path: "stat/target" }), warmupMs, durationMs, () => groupCpuSeconds(tarn.pids));
          console.log(`tarn linearizable stat clients=${String(n).padStart(3)}  ${fmt(stats)}  ${m.coalesce ? "coalesced" : "one StatObject each"}`);
          rows.push({ workload: "stat_linearizable", clients: n, coalesce: m.coalesce, tarn_ops_per_s: Math.round(stats.opsPerSec), tarn_p50_ms: round(stats.p50Ms), tarn_p99_ms: round(stats.p99Ms), tarn_errors: stats.errors, ...cpuFields("tarn", stats), load_average: round(os.loadavg()[0]) });
        }
      }
    } finally {
      await tarn.stop();
      await etcd?.stop();
    }
    console.log(`load average after the run ${os.loadavg().map(round).join(" ")}`);
    console.log(JSON.stringify({ bench: "metadata", machine: { cores: os.cpus().length, memory: os.totalmem() }, load_average_at_start: loadAtStart, results: rows }));
  } finally {
    await stopAllProcesses();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch(async (err: Error) => {
  console.error(`metadata: ${err.stack ?? err.message}`);
  await stopAllProcesses();
  process.exit(1);
});
