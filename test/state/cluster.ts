// In-process state nodes for tests: each with its own data dir, real LevelDB and Raft log on disk, talking
// real gRPC on loopback, sharing one snapshot store.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Logger } from "../../raft/node";
import type { ObjectStore } from "../../src/block";
import { openObjectStore } from "../../src/block";
import { StateNode, StateNodeOptions } from "../../src/state";
import { freePort } from "../support/ports";

export const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const logger: Logger = process.env.STATE_DEBUG
  ? { debug: () => {}, info: (m, f) => console.log("INFO", m, f ?? ""), warn: (m, f) => console.log("WARN", m, f ?? ""), error: (m, f) => console.log("ERROR", m, f ?? "") }
  : quiet;

export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface TestCluster {
  root: string;
  store: ObjectStore;
  addresses: Record<string, string>;
  nodes: Map<string, StateNode>;
  leader(): StateNode;
  followers(): StateNode[];
  dataDir(id: string): string;
  /** Starts member `id` (`join`: as a new member the leader adds); its address must be in `addresses`. */
  start(id: string, join?: boolean): Promise<StateNode>;
  stopNode(id: string): Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  size: number;
  /** Default: a local store in the cluster's temp dir. */
  store?: ObjectStore;
  /** Each member its own local store (no shared snapshot store: restores fall back to the leader). */
  storePerMember?: boolean;
  snapshotEntries?: number;
  extra?: Partial<StateNodeOptions>;
  /** Every group of commands applied by member `id`, first to last index. */
  onApplied?: (id: string, first: number, last: number) => void;
}

export async function startCluster(opts: ClusterOptions): Promise<TestCluster> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-state-"));
  const store = opts.store ?? openObjectStore(`local://${path.join(root, "store")}`);
  const addresses: Record<string, string> = {};
  for (let i = 1; i <= opts.size; i++) addresses[`n${i}`] = `127.0.0.1:${await freePort()}`;
  const nodes = new Map<string, StateNode>();
  const dataDir = (id: string) => path.join(root, id);
  const ownStores = new Map<string, ObjectStore>();
  const storeOf = (id: string) => {
    if (!opts.storePerMember) return store;
    if (!ownStores.has(id)) ownStores.set(id, openObjectStore(`local://${path.join(root, `store-${id}`)}`));
    return ownStores.get(id)!;
  };
  const start = async (id: string, join = false) => {
    const node = await StateNode.start({
      join,
      id,
      dataDir: dataDir(id),
      members: addresses,
      clusterSecret: "state-test-secret",
      clusterName: "state-test",
      snapshotStore: storeOf(id),
      snapshotEntries: opts.snapshotEntries ?? 10_000,
      listen: addresses[id],
      tickMs: 20,
      electionTicks: 10,
      timeoutMs: 10_000,
      logger,
      onApplied: opts.onApplied && ((first, last) => opts.onApplied!(id, first, last.index)),
      ...opts.extra,
    });
    nodes.set(id, node);
    return node;
  };
  const cluster: TestCluster = {
    root,
    store,
    addresses,
    nodes,
    leader: () => {
      const l = [...nodes.values()].find((n) => n.isLeader());
      if (!l) throw new Error("no leader");
      return l;
    },
    followers: () => [...nodes.values()].filter((n) => !n.isLeader()),
    dataDir,
    start,
    stopNode: async (id) => {
      await nodes.get(id)?.stop();
      nodes.delete(id);
    },
    stop: async () => {
      await Promise.all([...nodes.values()].map((n) => n.stop()));
      nodes.clear();
      if (!opts.store) await store.close();
      for (const own of ownStores.values()) await own.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(Object.keys(addresses).map((id) => start(id)));
    await untilLeader(cluster);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** Waits until one member leads and every running member knows it. */
export async function untilLeader(c: TestCluster): Promise<StateNode> {
  await until("a leader known to every member", () => {
    const all = [...c.nodes.values()];
    const l = all.find((n) => n.isLeader());
    return !!l && all.every((n) => n.status().leader === l.id);
  });
  return c.leader();
}

export const b = (s: string): Buffer => Buffer.from(s, "utf8");
