// `tarn metadata`: one member of the metadata Raft group. The metadata API and the peer API share the gRPC
// port (--listen); Prometheus metrics on --metrics-listen; JSON logs on stderr. Snapshots go to
// --snapshot-store (shared by the members: S3 or Azure for a real cluster; DATA_DIR/snapshots by default).
import * as fs from "node:fs";
import * as path from "node:path";
import { openObjectStore } from "../block";
import { invalidArgument } from "../errors";
import { createLogger, startMetricsServer, type LogLevel } from "../metadata";
import { checkMemberId, formatHostPort, parseHostPort, parsePeers } from "./address";
import { adminKeysFromEnv } from "./admin-env";
import { requireClusterSecret } from "./cluster-secret";
import { listenError, startMember, uploadMaxAgeFromEnv } from "./service";
import { onShutdownSignal } from "./shutdown";
import { storeConfigFromEnv, type StoreFlags } from "./store-config";

export interface MetadataMemberOptions extends StoreFlags {
  id: string;
  dataDir: string;
  listen: string;
  peers: string;
  join?: boolean;
  snapshotStore?: string;
  clusterSecretFile?: string;
  clusterName?: string;
  metricsListen?: string;
  defaultNamespacePrefix?: string;
  logLevel?: LogLevel;
  tickMs?: number;
  snapshotEntries?: number;
  env?: NodeJS.ProcessEnv;
}

export async function runMetadataMember(opts: MetadataMemberOptions): Promise<void> {
  const env = opts.env ?? process.env;
  const id = checkMemberId(opts.id, "--id");
  const listen = parseHostPort(opts.listen, "--listen");
  const peers = parsePeers(opts.peers);
  if (!opts.join && !(id in peers)) throw invalidArgument(`--peers must list this member (${id}) with its address, or pass --join to join a running cluster`);
  const { secret } = requireClusterSecret(opts.clusterSecretFile, env);
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const logger = createLogger({ level: opts.logLevel ?? "info" }, { process: "tarn metadata", member: id });
  const storeConfig = storeConfigFromEnv(env, opts);
  const uploadMaxAgeMs = uploadMaxAgeFromEnv(env);
  const snapshotUri = opts.snapshotStore ?? `local://${path.join(dataDir, "snapshots")}`;
  const snapshotStore = openObjectStore(snapshotUri, storeConfig);

  const member = await startMember({
    id,
    dataDir,
    listen: formatHostPort(listen.host, listen.port),
    peers,
    join: opts.join,
    clusterSecret: secret,
    clusterName: opts.clusterName,
    snapshotStore,
    storeConfig,
    defaultNamespacePrefix: opts.defaultNamespacePrefix,
    admin: adminKeysFromEnv(env),
    logger,
    tickMs: opts.tickMs,
    snapshotEntries: opts.snapshotEntries,
    uploadMaxAgeMs,
  });
  let metrics: { port: number; close(): Promise<void> } | undefined;
  if (opts.metricsListen) {
    const m = parseHostPort(opts.metricsListen, "--metrics-listen");
    metrics = await startMetricsServer(member.metrics.registry, m.host, m.port, { health: () => (member.node.status().leader ? "ok" : "no leader") }).catch(async (err: unknown) => {
      await member.stop();
      throw listenError("--metrics-listen", opts.metricsListen!, err);
    });
  }
  onShutdownSignal(async () => {
    await metrics?.close();
    await member.stop();
  }, logger);
  logger.info("member started", { address: member.address, snapshotStore: snapshotUri, metricsPort: metrics?.port, join: opts.join ?? false });
  member.adminBootstrap.then(
    (created) => {
      if (created && !adminKeysFromEnv(env)) {
        process.stdout.write(`Admin credentials of the new cluster (shown once, keep them):\n  access key id:     ${created.accessKeyId}\n  secret access key: ${created.secretAccessKey}\n`);
      } else if (created) {
        logger.info("admin user created", { accessKeyId: created.accessKeyId });
      }
    },
    (err: unknown) => logger.error("admin bootstrap failed", { error: err }),
  );
}
