// `tarn gateway`: a stateless S3 gateway in front of the metadata cluster (--metadata HOST:PORT,...).
//
// The gateway signs its calls as a gateway with a key derived from the cluster secret (or a gateway token,
// which lets it act as a gateway but never as a member). It looks up each S3 caller's secret with
// AuthService.GetCredentialForGateway to check SigV4 signatures, and calls the service on the caller's
// behalf, so that user's policy applies.
import * as os from "node:os";
import { gatewayKeyFrom } from "../auth";
import { TarnClient } from "../client";
import { remoteCredentialResolver } from "../gateway";
import { createLogger, createServiceMetrics, type LogLevel } from "../metadata";
import { parseEndpointList, parseHostPort } from "./address";
import { requireClusterSecret } from "./cluster-secret";
import { startHttpPort } from "./http";
import { listenError, uploadMaxAgeFromEnv } from "./service";
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
  const secret = requireClusterSecret(opts.clusterSecretFile, env);
  const key = gatewayKeyFrom(secret.secret, secret.source);
  const client = new TarnClient({ endpoints, gateway: { key, id: os.hostname() } });
  const logger = createLogger({ level: opts.logLevel ?? "info" }, { process: "tarn gateway" });
  const metrics = createServiceMetrics({ defaultMetrics: true });
  const port = await startHttpPort({
    host: listen.host,
    port: listen.port,
    registry: metrics.registry,
    health: () => "ok",
    gateway: { client, credentials: remoteCredentialResolver(client, key), domains: opts.domains, uploadMaxAgeMs: uploadMaxAgeFromEnv(env) },
    logger,
  }).catch((err: unknown) => {
    throw listenError("--listen", opts.listen, err);
  });
  onShutdownSignal(() => port.close(), logger);
  logger.info("gateway listening", { port: port.port, metadata: endpoints });
}
