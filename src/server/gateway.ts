// `tarn gateway`: a stateless S3 gateway in front of the metadata cluster (--metadata HOST:PORT,...).
//
// Credentials: the gateway must learn each caller's secret to check SigV4 signatures. The metadata service
// has no RPC for gateways yet (AuthService.GetCredentialForGateway is planned), so this process accepts the
// access key in TARN_ACCESS_KEY_ID / TARN_SECRET_ACCESS_KEY (or ~/.tarn/config.yaml) only, and calls the
// service with it; the service applies that user's policy.
import { loadConfig, requireCredentials } from "../cli/config";
import { createLogger, createServiceMetrics, type LogLevel } from "../metadata";
import { parseEndpointList, parseHostPort } from "./address";
import { requireClusterSecret } from "./cluster-secret";
import { startHttpPort } from "./http";
import { listenError } from "./service";
import { onShutdownSignal } from "./shutdown";

export interface GatewayProcessOptions {
  listen: string;
  metadata: string;
  clusterSecretFile?: string;
  domains?: string[];
  logLevel?: LogLevel;
  env?: NodeJS.ProcessEnv;
}

export async function runGateway(opts: GatewayProcessOptions): Promise<void> {
  const env = opts.env ?? process.env;
  const listen = parseHostPort(opts.listen, "--listen");
  const endpoints = parseEndpointList(opts.metadata, "--metadata");
  requireClusterSecret(opts.clusterSecretFile, env); // refuse to start outside a configured cluster
  const credentials = requireCredentials(loadConfig({ env }));
  const logger = createLogger({ level: opts.logLevel ?? "info" }, { process: "tarn gateway" });
  const metrics = createServiceMetrics({ defaultMetrics: true });
  const port = await startHttpPort({
    host: listen.host,
    port: listen.port,
    registry: metrics.registry,
    health: () => "ok",
    gateway: {
      endpoints,
      domains: opts.domains,
      lookup: (id) => (id === credentials.accessKeyId ? { secretAccessKey: credentials.secretAccessKey, userId: "" } : undefined),
    },
    logger,
  }).catch((err: unknown) => {
    throw listenError("--listen", opts.listen, err);
  });
  onShutdownSignal(() => port.close(), logger);
  logger.info("gateway listening", { port: port.port, metadata: endpoints });
}
