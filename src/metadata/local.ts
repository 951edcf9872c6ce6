// Wiring for one metadata member over a key-value store: graveler, the KV-backed credential store, auth,
// stores and the gRPC server. `tarn run` and tests use it with a classic-level KV and LocalClusterView; a
// Raft member passes its replicated KV and its own ClusterView.
import type * as grpc from "@grpc/grpc-js";
import * as path from "node:path";
import { AuthManager, deriveClusterKeys, NewAccessKey } from "../auth";
import { openObjectStore, ObjectStoreConfig } from "../block";
import { Graveler, KvStore, LevelKv } from "../graveler";
import { ClusterView, LocalClusterView } from "./cluster";
import { CachedCredentialStore } from "./cached-credentials";
import { KvCredentialStore } from "./credential-store";
import type { Logger } from "./logger";
import { MetadataServer } from "./server";
import { Storage } from "./storage";

export interface LocalServiceOptions {
  /** Holds the classic-level database (kv/) and the range cache (cache/). */
  dataDir: string;
  /** Derives the key that encrypts stored secrets (TARN_CLUSTER_SECRET). */
  clusterSecret: string;
  /** Another key-value store instead of classic-level in dataDir/kv (the replicated one). */
  kv?: KvStore;
  cluster?: ClusterView;
  storeConfig?: ObjectStoreConfig;
  /** TARN_ADMIN_ACCESS_KEY_ID / TARN_ADMIN_SECRET_ACCESS_KEY for the first start; generated otherwise. */
  admin?: { accessKeyId: string; secretAccessKey: string };
  logger?: Logger;
  maxMessageBytes?: number;
  presignExpirySeconds?: number;
  /** Serve on this server (createGrpcServer), shared with a Raft member's peer API. */
  grpcServer?: grpc.Server;
  /** Repositories created without a namespace go to `<prefix>/<name>`. */
  defaultNamespacePrefix?: string;
  /** How long access keys and users are cached between calls (default 2000 ms; 0 = no cache). */
  credentialCacheMs?: number;
  /** Create the admin user when the store has no users (default true; one member of a new cluster does it). */
  bootstrap?: boolean;
}

export interface LocalService {
  server: MetadataServer;
  graveler: Graveler;
  auth: AuthManager;
  kv: KvStore;
  /** The admin keys created on this start, or undefined when the store had users already. */
  admin?: NewAccessKey;
  close(): Promise<void>;
}

export async function openLocalService(options: LocalServiceOptions): Promise<LocalService> {
  const kv = options.kv ?? (await LevelKv.open(path.join(options.dataDir, "kv")));
  const storeConfig = options.storeConfig ?? {};
  const storage = new Storage({ openStore: (ns) => openObjectStore(ns, storeConfig), config: storeConfig, presignExpirySeconds: options.presignExpirySeconds });
  const graveler = new Graveler({ kv, committed: { cacheDir: path.join(options.dataDir, "cache"), openStore: (ns) => storage.store(ns) } });
  const credentials = new CachedCredentialStore(new KvCredentialStore(kv), options.credentialCacheMs);
  const clusterKeys = deriveClusterKeys(options.clusterSecret);
  const auth = new AuthManager({ store: credentials, credentialKey: clusterKeys.credentialKey });
  const admin = options.bootstrap === false ? undefined : await auth.bootstrapAdmin(options.admin);
  const server = new MetadataServer({
    graveler,
    kv,
    auth,
    cluster: options.cluster ?? new LocalClusterView(),
    storage,
    logger: options.logger,
    maxMessageBytes: options.maxMessageBytes,
    grpcServer: options.grpcServer,
    defaultNamespacePrefix: options.defaultNamespacePrefix,
    clusterKeys,
  });
  return {
    server,
    graveler,
    auth,
    kv,
    admin,
    async close() {
      await server.close();
      // A KV passed in belongs to the caller (a Raft member stops it); one opened here closes with graveler.
      if (options.kv) graveler.committed.close();
      else await graveler.close();
      await storage.close();
    },
  };
}
