// The HTTP port of a server process: /healthz and /metrics answered here, everything else by the S3 gateway
// when one is mounted (404 otherwise).
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { createGatewayServer, type CredentialResolver } from "../gateway";
import type { TarnClient } from "../client";
import { metricsHandler, type Logger } from "../metadata";

export interface HttpPortOptions {
  host: string;
  port: number;
  registry: Registry;
  /** "ok" or the reason the process is not healthy (e.g. no leader). */
  health: () => string;
  /**
   * Mount the S3 gateway. `client` signs as a gateway (TarnClient `gateway` option) and acts for each S3
   * caller on its behalf; `credentials` finds callers' secrets to check their signatures.
   */
  gateway?: { client: TarnClient; credentials: CredentialResolver; domains?: string[]; uploadMaxAgeMs?: number };
  /** More paths answered before the gateway (e.g. presigned local URLs); true when it answered. */
  routes?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  logger: Logger;
}

export interface HttpPort {
  port: number;
  close(): Promise<void>;
}

export async function startHttpPort(opts: HttpPortOptions): Promise<HttpPort> {
  const metrics = metricsHandler(opts.registry);
  const before = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const pathname = (req.url ?? "/").split("?")[0];
    if (pathname === "/healthz" && (req.method === "GET" || req.method === "HEAD")) {
      const health = opts.health();
      res.writeHead(health === "ok" ? 200 : 503, { "content-type": "text/plain" }).end(`${health}\n`);
      return true;
    }
    if (pathname === "/metrics" && req.method === "GET") {
      void metrics(req, res);
      return true;
    }
    return opts.routes?.(req, res) ?? false;
  };
  let server: http.Server;
  const gatewayClient = opts.gateway?.client;
  if (opts.gateway) {
    server = createGatewayServer({
      client: opts.gateway.client,
      credentials: opts.gateway.credentials,
      domains: opts.gateway.domains,
      uploadMaxAgeMs: opts.gateway.uploadMaxAgeMs,
      before,
      onError: (err, where) => opts.logger.error("gateway request failed", { ...where, error: err.message }),
    });
  } else {
    server = http.createServer((req, res) => {
      if (!before(req, res)) res.writeHead(404, { "content-type": "text/plain" }).end("not found: this port serves /healthz and /metrics\n");
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      gatewayClient?.close();
    },
  };
}
