// One metadata member in a process: the metadata service (graveler, auth, stores, gRPC server) and the Raft
// member (StateNode) whose peer API shares the service's gRPC port. Used by `tarn run` (a group of one)
// and `tarn metadata` (one member of a cluster).
//
// Start order: the service is built first over a LateKv and a RaftClusterView (it owns the gRPC server), the
// member is started on that server, then the port is bound. Admin bootstrap runs once a leader exists.
import * as path from "node:path";
import { AuthManager, deriveClusterKeys, NewAccessKey } from "../auth";
import { openObjectStore, ObjectStore, ObjectStoreConfig } from "../block";
import { hasCode, invalidArgument, TarnError } from "../errors";
import { Graveler } from "../graveler";
import { createServiceMetrics, KvCredentialStore, Logger, MetadataServer, ServiceMetrics, Storage } from "../metadata";
import { DEFAULT_UPLOAD_MAX_AGE_MS } from "../gateway/multipart-sweep";
import { UploadSweep } from "../metadata/upload-sweep";
import { StateNode } from "../state";
import { LateKv } from "./late-kv";
import { RaftClusterView } from "./raft-cluster-view";

export interface MemberOptions {
  id: string;
  dataDir: string;
  /** gRPC HOST:PORT to bind (metadata API and peer API), and the flag that set it (for errors). */
  listen: string;
  listenFlag?: string;
  /** Peer addresses by member id (this member included, unless joining). */
  peers: Record<string, string>;
  join?: boolean;
  clusterSecret: string;
  clusterName?: string;
  snapshotStore: ObjectStore;
  storeConfig: ObjectStoreConfig;
  /** The configuration for one namespace's store, when it differs (tarn run's presigned local URLs). */
  storeConfigFor?: (namespace: string) => ObjectStoreConfig;
  /** When set, a repository created without a storage namespace gets `${prefix}/${name}`. */
  defaultNamespacePrefix?: string;
  admin?: { accessKeyId: string; secretAccessKey: string };
  logger: Logger;
  tickMs?: number;
  electionTicks?: number;
  snapshotEntries?: number;
  /** Recorded S3/Azure multipart uploads older than this are aborted and forgotten by the leader; default 7 days. */
  uploadMaxAgeMs?: number;
  /** Time between the leader's sweeps of those uploads; default an hour. */
  uploadSweepIntervalMs?: number;
}

export interface RunningMember {
  node: StateNode;
  server: MetadataServer;
  graveler: Graveler;
  auth: AuthManager;
  metrics: ServiceMetrics;
  /** The bound gRPC address. */
  address: string;
  /** Resolves with the admin keys this start created (undefined when users existed already). */
  adminBootstrap: Promise<NewAccessKey | undefined>;
  stop(): Promise<void>;
}

export async function startMember(opts: MemberOptions): Promise<RunningMember> {
  const kv = new LateKv();
  const cluster = new RaftClusterView(opts.id, opts.clusterName ?? "tarn");
  const storage = new Storage({ openStore: (ns) => openObjectStore(ns, opts.storeConfigFor?.(ns) ?? opts.storeConfig), config: opts.storeConfig });
  const graveler = new Graveler({ kv, committed: { cacheDir: path.join(opts.dataDir, "cache"), openStore: (ns) => storage.store(ns) } });
  const auth = new AuthManager({ store: new KvCredentialStore(kv), credentialKey: deriveClusterKeys(opts.clusterSecret).credentialKey });
  const metrics = createServiceMetrics({ defaultMetrics: true });
  const server = new MetadataServer({ graveler, kv, auth, cluster, storage, logger: opts.logger, metrics, clusterKeys: deriveClusterKeys(opts.clusterSecret) });
  if (opts.defaultNamespacePrefix) defaultNamespaces(server, opts.defaultNamespacePrefix);

  const node = await StateNode.start({
    id: opts.id,
    dataDir: path.join(opts.dataDir, "member"),
    members: opts.peers,
    join: opts.join,
    clusterSecret: opts.clusterSecret,
    clusterName: opts.clusterName,
    snapshotStore: opts.snapshotStore,
    server: server.server,
    tickMs: opts.tickMs,
    electionTicks: opts.electionTicks,
    snapshotEntries: opts.snapshotEntries,
    logger: opts.logger.child({ component: "raft", member: opts.id }),
  });
  kv.attach(node.kv);
  cluster.attach(node);
  try {
    await server.listen(opts.listen);
  } catch (err) {
    await node.stop();
    throw listenError(opts.listenFlag ?? "--listen", opts.listen, err);
  }

  const uploadSweep = new UploadSweep({
    kv, repositories: graveler, storage, isLeader: () => cluster.isLeader(), logger: opts.logger, registry: metrics.registry,
    maxAgeMs: opts.uploadMaxAgeMs ?? DEFAULT_UPLOAD_MAX_AGE_MS, intervalMs: opts.uploadSweepIntervalMs,
  });
  uploadSweep.start();

  let stopping = false;
  const adminBootstrap = bootstrapAdmin(auth, opts.admin, () => stopping, opts.logger);
  adminBootstrap.catch(() => undefined);
  return {
    node,
    server,
    graveler,
    auth,
    metrics,
    address: server.address,
    adminBootstrap,
    async stop() {
      stopping = true;
      await uploadSweep.stop();
      // Drain first (new calls are told to retry elsewhere; admitted ones finish), then hand leadership over
      // with nothing of ours in flight: proposals made during a transfer would wait out their timeout.
      cluster.drain();
      await new Promise((r) => setTimeout(r, 300));
      await Promise.race([cluster.stepDown().catch(() => undefined), new Promise((r) => setTimeout(r, 3000))]);
      await server.close();
      await node.stop();
      await graveler.close().catch(() => undefined);
      await storage.close();
      await opts.snapshotStore.close().catch(() => undefined);
    },
  };
}

/**
 * Creates the admin user on the first start of a new cluster. Every member tries (any of them may be the
 * first up); writes go through the leader, so one wins and the others find users present or lose the race.
 */
async function bootstrapAdmin(auth: AuthManager, supplied: MemberOptions["admin"], stopping: () => boolean, logger: Logger): Promise<NewAccessKey | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await auth.bootstrapAdmin(supplied);
    } catch (err) {
      if (hasCode(err, "ALREADY_EXISTS")) return undefined;
      if (hasCode(err, "INVALID_ARGUMENT") || stopping()) throw err;
      if (attempt % 20 === 19) logger.warn("admin bootstrap waits for a leader", { error: err });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * Fills in the storage namespace of a repository created without one. The metadata service has no option
 * for this yet, so the server's CreateRepository handler is wrapped here (see the report to its owner).
 */
function defaultNamespaces(server: MetadataServer, prefix: string): void {
  type Run = (request: Record<string, unknown>, ctx: unknown) => Promise<object>;
  const handlers = (server as unknown as { handlers: Record<string, Record<string, { run: Run }>> }).handlers;
  const create = handlers.RepositoryService?.CreateRepository;
  if (!create) return;
  const original = create.run;
  create.run = (request, ctx) => {
    if (request.storageNamespace === "" && typeof request.name === "string") request.storageNamespace = `${prefix.replace(/\/+$/, "")}/${request.name}`;
    return original(request, ctx);
  };
}

/** TARN_UPLOAD_MAX_AGE_DAYS (a positive number of days, fractions allowed) in ms; undefined when unset. */
export function uploadMaxAgeFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const text = env.TARN_UPLOAD_MAX_AGE_DAYS;
  if (text === undefined || text.trim() === "") return undefined;
  const days = Number(text);
  if (!Number.isFinite(days) || days <= 0) throw invalidArgument(`TARN_UPLOAD_MAX_AGE_DAYS must be a positive number of days, not ${JSON.stringify(text)}`);
  return days * 24 * 3600 * 1000;
}

/** "cannot listen on --grpc-listen 127.0.0.1:9000: address already in use" instead of grpc-js's wording. */
export function listenError(flag: string, address: string, err: unknown): TarnError {
  const text = err instanceof Error ? err.message : String(err);
  const reason = /EADDRINUSE/.test(text) ? "the address is already in use" : /EACCES/.test(text) ? "permission denied" : /EADDRNOTAVAIL/.test(text) ? "no such local address" : text;
  return invalidArgument(`cannot listen on ${flag} ${address}: ${reason}`, err);
}
