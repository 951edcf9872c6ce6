// Starts test/raft/process-node members as real processes on loopback, from the compiled JS under dist/ or,
// in the dev loop, from the TypeScript source through tsx. Used by the process test and the benchmark.
import * as fs from "node:fs";
import * as path from "node:path";
import { startProcess, StartedProcess, waitUntil } from "../support/processes";
import { KvClient } from "./process-kv-rpc";

export interface MemberSpec {
  id: string;
  /** The peer (Raft) address. */
  address: string;
  /** The test KV API's address (KvClient, the benchmark's load). */
  clientAddress: string;
  dataDir: string;
}

export interface ClusterOptions {
  cluster?: string;
  secret?: string;
  tickMs?: number;
  snapshotEntries?: number;
}

/**
 * A member's young generation may grow to 64 MiB per semi-space (V8's default for Node 20 stops at 16): a
 * write's objects (its call, proposal, entry, messages) live for a commit round of 10-20 ms under load, long
 * enough to survive two small scavenges and be promoted, so the old space filled every ~1.3 s and the leader
 * paused 20-95 ms in mark-compacts. With the larger young generation those objects die young (scavenges
 * every ~0.9 s of 2-4 ms instead of every ~0.3 s of 10-36 ms); paired A/B at 64 clients, load ~8: median
 * 4,337 vs 3,379 writes/s, p99 54 vs 101 ms.
 */
const MEMBER_NODE_FLAGS = ["--max-semi-space-size=64"];

/** How to run a member: compiled JS when this file is compiled, tsx otherwise. RAFT_NODE_FLAGS adds node flags (e.g. --cpu-prof). */
export function nodeCommand(): { command: string; args: string[] } {
  const flags = [...MEMBER_NODE_FLAGS, ...(process.env.RAFT_NODE_FLAGS ?? "").split(" ").filter(Boolean)];
  const compiled = path.join(__dirname, "process-node.js");
  if (fs.existsSync(compiled) && __filename.endsWith(".js")) return { command: process.execPath, args: [...flags, compiled] };
  return { command: process.execPath, args: [...flags, "-r", require.resolve("tsx/cjs"), path.join(__dirname, "process-node.ts")] };
}

export function startMember(spec: MemberSpec, all: MemberSpec[], opts: ClusterOptions = {}): StartedProcess {
  const { command, args } = nodeCommand();
  const peers = all.map((m) => `${m.id}=${m.address}`).join(",");
  return startProcess(
    command,
    [...args, "--id", spec.id, "--data-dir", spec.dataDir, "--listen", spec.address, "--client-listen", spec.clientAddress, "--peers", peers, "--cluster", opts.cluster ?? "process-test",
      "--tick-ms", String(opts.tickMs ?? 100), "--snapshot-entries", String(opts.snapshotEntries ?? 10_000)],
    { env: { ...process.env, TARN_CLUSTER_SECRET: opts.secret ?? "process-test-secret" } },
  );
}

/** Waits until every client's member agrees on one leader; returns its id. */
export async function waitForLeader(clients: Map<string, KvClient>, timeoutMs: number, procs?: StartedProcess[]): Promise<string> {
  let leader = "";
  await waitUntil(
    "a leader all members agree on",
    async () => {
      const statuses = await Promise.all([...clients.values()].map((c) => c.status()));
      const leaders = new Set(statuses.map((s) => s.leader));
      leader = statuses[0].leader;
      return leaders.size === 1 && leader !== "" && statuses.some((s) => s.id === leader && s.role === "leader");
    },
    timeoutMs,
    procs?.[0],
  );
  return leader;
}
