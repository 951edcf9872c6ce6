// A metadata service in this process over a real classic-level KV in a temp dir, on a loopback port, with
// a TarnClient signed as the admin it created. Local stores live under the same temp dir.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ObjectStore, ObjectStoreConfig } from "../../src/block";
import assert from "node:assert/strict";
import { ApiError, RetryPolicy, TarnClient } from "../../src/client";
import { ClusterView, createGrpcServer, LocalService, openLocalService, silentLogger, StateClusterView } from "../../src/metadata";
import { StateNode } from "../../src/state";
import { freePort } from "../support/ports";

export const CLUSTER_SECRET = "metadata test cluster secret, long enough";

export interface TestService {
  svc: LocalService;
  address: string;
  dir: string;
  client: TarnClient;
  /** A client signed with other keys. */
  clientWith(keys: { accessKeyId: string; secretAccessKey: string }, endpoints?: string[], retry?: Partial<RetryPolicy>): TarnClient;
  /** A fresh local:// storage namespace under the temp dir. */
  namespace(name: string): string;
  close(): Promise<void>;
}

export async function startService(options: { cluster?: ClusterView; storeConfig?: ObjectStoreConfig; maxMessageBytes?: number; defaultNamespacePrefix?: string } = {}): Promise<TestService> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-metadata-"));
  const svc = await openLocalService({ dataDir: dir, clusterSecret: CLUSTER_SECRET, logger: silentLogger, ...options });
  const port = await svc.server.listen("127.0.0.1:0");
  const address = `127.0.0.1:${port}`;
  const clients: TarnClient[] = [];
  const clientWith = (keys: { accessKeyId: string; secretAccessKey: string }, endpoints = [address], retry: Partial<RetryPolicy> = { attempts: 3, baseMs: 10, maxMs: 50 }) => {
    const c = new TarnClient({ endpoints, ...keys, retry });
    clients.push(c);
    return c;
  };
  const client = clientWith(svc.admin!);
  return {
    svc,
    address,
    dir,
    client,
    clientWith,
    namespace: (name) => `local://${path.join(dir, "stores", name)}`,
    async close() {
      for (const c of clients) c.close();
      await svc.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

export async function* chunked(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

export interface RaftMember {
  id: string;
  address: string;
  node: StateNode;
  svc: LocalService;
}

/**
 * Three Raft members (StateNode) in this process under `dir`, each serving the metadata API and the peer API
 * on one gRPC port, snapshots in `snapshots`; `storeConfig` for the services' object stores.
 */
export async function startRaftMembers(dir: string, snapshots: ObjectStore, storeConfig?: ObjectStoreConfig): Promise<RaftMember[]> {
  const ids = ["n1", "n2", "n3"];
  const addresses = Object.fromEntries(await Promise.all(ids.map(async (id) => [id, `127.0.0.1:${await freePort()}`] as const)));
  const members: RaftMember[] = [];
  for (const id of ids) {
    const grpcServer = createGrpcServer();
    const node = await StateNode.start({ id, dataDir: path.join(dir, id, "state"), members: addresses, clusterSecret: CLUSTER_SECRET, snapshotStore: snapshots, server: grpcServer, tickMs: 50, logger: silentLogger });
    const svc = await openLocalService({
      dataDir: path.join(dir, id, "metadata"), clusterSecret: CLUSTER_SECRET, kv: node.kv, cluster: new StateClusterView(node), grpcServer, bootstrap: false, logger: silentLogger, storeConfig,
    });
    await svc.server.listen(addresses[id]);
    members.push({ id, address: addresses[id], node, svc });
  }
  return members;
}

/** Calls the service answered, by method, from its Prometheus counter. */
export async function callsAnswered(t: TestService): Promise<Record<string, number>> {
  const metric = t.svc.server.metrics.registry.getSingleMetric("tarn_grpc_requests_total");
  const out: Record<string, number> = {};
  for (const v of (await metric!.get()).values) out[String(v.labels.method)] = (out[String(v.labels.method)] ?? 0) + v.value;
  return out;
}

/** The status and message of a refused call (an ApiError, else the assertion fails): to compare refusals. */
export function refusal(err: unknown): { statusName: string; message: string } {
  assert.ok(err instanceof ApiError, String(err));
  return { statusName: err.statusName, message: err.message };
}

/** How many more calls of `method` `after` counts than `before`. */
export const callDelta = (before: Record<string, number>, after: Record<string, number>, method: string): number => (after[method] ?? 0) - (before[method] ?? 0);
