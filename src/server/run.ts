// `tarn run`: all of Tarn in one process. A Raft group of one in DATA_DIR/member, repositories' default
// storage namespaces under DATA_DIR/repos (local://), snapshots in DATA_DIR/snapshots, the metadata service
// on the gRPC port and the S3 gateway, /metrics and /healthz on the HTTP port.
import * as fs from "node:fs";
import * as path from "node:path";
import { gatewayKeyFrom } from "../auth";
import { openObjectStore } from "../block";
import { TarnClient } from "../client";
import { credentialResolver } from "../gateway";
import { defaultConfigPath, parseEndpoints, writeConfig } from "../cli/config";
import { createLogger, type LogLevel } from "../metadata";
import { formatHostPort, parseHostPort } from "./address";
import { adminKeysFromEnv } from "./admin-env";
import { localClusterSecret } from "./cluster-secret";
import { startHttpPort } from "./http";
import { LocalPresign } from "./local-presign";
import { listenError, startMember, uploadMaxAgeFromEnv } from "./service";
import { onShutdownSignal } from "./shutdown";
import { storeConfigFromEnv } from "./store-config";

export interface RunOptions {
  dataDir: string;
  listen: string;
  grpcListen: string;
  clusterSecretFile?: string;
  logLevel?: LogLevel;
  env?: NodeJS.ProcessEnv;
}

export async function runServer(opts: RunOptions): Promise<void> {
  const env = opts.env ?? process.env;
  const http = parseHostPort(opts.listen, "--listen");
  const grpc = parseHostPort(opts.grpcListen, "--grpc-listen");
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const logger = createLogger({ level: opts.logLevel ?? "info" }, { process: "tarn run" });
  const admin = adminKeysFromEnv(env);
  const { secret } = localClusterSecret(dataDir, opts.clusterSecretFile, env);
  const grpcAddress = formatHostPort(grpc.host, grpc.port);
  const storeConfig = storeConfigFromEnv(env);
  const uploadMaxAgeMs = uploadMaxAgeFromEnv(env);
  fs.mkdirSync(path.join(dataDir, "repos"), { recursive: true });
  const presign = new LocalPresign(path.join(dataDir, "repos"));
  fs.mkdirSync(path.join(dataDir, "snapshots"), { recursive: true });

  const member = await startMember({
    id: "local",
    dataDir,
    listen: grpcAddress,
    listenFlag: "--grpc-listen",
    peers: { local: grpcAddress },
    clusterSecret: secret,
    snapshotStore: openObjectStore(`local://${path.join(dataDir, "snapshots")}`),
    storeConfig,
    storeConfigFor: (ns) => presign.storeConfig(ns, storeConfig),
    defaultNamespacePrefix: `local://${path.join(dataDir, "repos")}`,
    admin,
    logger,
    uploadMaxAgeMs,
  });
  const boundGrpc = member.address;
  const httpPort = await startHttpPort({
    host: http.host,
    port: http.port,
    registry: member.metrics.registry,
    health: () => (member.node.status().leader ? "ok" : "no leader"),
    // The embedded gateway reads secrets from this member's own credential store and signs as a gateway.
    gateway: {
      client: new TarnClient({ endpoints: [boundGrpc], gateway: { key: gatewayKeyFrom(secret), id: "tarn-run" } }),
      credentials: credentialResolver((id) => member.auth.secretOf(id)),
      uploadMaxAgeMs,
    },
    routes: (req, res) => presign.handle(req, res),
    logger,
  }).catch(async (err: unknown) => {
    await member.stop();
    throw listenError("--listen", opts.listen, err);
  });
  const urlHost = http.host === "0.0.0.0" || http.host === "::" ? "127.0.0.1" : http.host;
  presign.setBaseUrl(`http://${formatHostPort(urlHost, httpPort.port)}`);
  onShutdownSignal(async () => {
    await httpPort.close();
    await member.stop();
  }, logger);

  const created = await member.adminBootstrap;
  const lines = [
    "Tarn is running.",
    `  data dir:             ${dataDir}`,
    `  metadata (gRPC):      ${boundGrpc}`,
    `  S3 gateway, metrics:  http://${formatHostPort(http.host, httpPort.port)}`,
  ];
  if (created && !admin) {
    lines.push(
      "",
      "Admin credentials (shown once, keep them):",
      `  access key id:     ${created.accessKeyId}`,
      `  secret access key: ${created.secretAccessKey}`,
    );
    const file = defaultConfigPath();
    if (fs.existsSync(file)) {
      lines.push(`${file} exists and was left unchanged: use the keys above (TARN_ACCESS_KEY_ID, TARN_SECRET_ACCESS_KEY) or put them there.`);
    } else {
      writeConfig({ endpoints: parseEndpoints(boundGrpc, "--grpc-listen"), credentials: { accessKeyId: created.accessKeyId, secretAccessKey: created.secretAccessKey } }, file);
      lines.push(`Written to ${file}: the tarn CLI uses them from there.`);
    }
  } else if (created) {
    lines.push("", `Admin user created with the access key in TARN_ADMIN_ACCESS_KEY_ID (${created.accessKeyId}).`);
  }
  process.stdout.write(lines.join("\n") + "\n");
  logger.info("ready", { grpc: boundGrpc, http: httpPort.port, dataDir });
}
