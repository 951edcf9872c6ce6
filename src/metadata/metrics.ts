// Prometheus metrics of the metadata service: requests by method and status code, and their latency. Each
// server gets its own registry (several servers may run in one process, as in tests); the entry point mounts
// `metricsHandler(registry)` on its HTTP port, or calls `startMetricsServer` (which also answers /healthz).
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface ServiceMetrics {
  registry: Registry;
  observe(method: string, code: string, seconds: number): void;
  /** Calls this node forwarded to the leader. */
  forwarded(method: string): void;
}

export function createServiceMetrics(options: { defaultMetrics?: boolean } = {}): ServiceMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: "tarn_grpc_requests_total",
    help: "Metadata API calls answered, by method and gRPC status code",
    labelNames: ["method", "code"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "tarn_grpc_request_duration_seconds",
    help: "Metadata API call latency, by method and gRPC status code",
    labelNames: ["method", "code"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const forwards = new Counter({
    name: "tarn_grpc_forwarded_total",
    help: "Metadata API calls this node forwarded to the leader, by method",
    labelNames: ["method"] as const,
    registers: [registry],
  });
  return {
    registry,
    observe(method, code, seconds) {
      requests.inc({ method, code });
      latency.observe({ method, code }, seconds);
    },
    forwarded(method) {
      forwards.inc({ method });
    },
  };
}

/** An HTTP handler answering GET /metrics in the Prometheus text format; false for any other path. */
export function metricsHandler(registry: Registry) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> => {
    if (!req.url || new URL(req.url, "http://localhost").pathname !== "/metrics") return false;
    try {
      const body = await registry.metrics();
      res.writeHead(200, { "content-type": registry.contentType }).end(body);
    } catch (err) {
      res.writeHead(500, { "content-type": "text/plain" }).end(`${(err as Error).message}\n`);
    }
    return true;
  };
}

/**
 * An HTTP handler answering GET/HEAD /healthz: 200 "ok" when `health()` says "ok", else 503 with its reason
 * (a health check that throws is unhealthy, its message the reason); false for any other path.
 */
export function healthHandler(health: () => string) {
  return (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    if (!req.url || new URL(req.url, "http://localhost").pathname !== "/healthz") return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("only GET and HEAD on /healthz\n");
      return true;
    }
    let reason: string;
    try {
      reason = health();
    } catch (err) {
      reason = `health check failed: ${(err as Error).message}`;
    }
    const body = `${reason}\n`;
    res.writeHead(reason === "ok" ? 200 : 503, { "content-type": "text/plain", "cache-control": "no-store" });
    res.end(req.method === "HEAD" ? undefined : body);
    return true;
  };
}

export interface MetricsServerOptions {
  /** "ok" or why this member is unhealthy, served on /healthz (always "ok" when not given). */
  health?: () => string;
}

/**
 * A small HTTP server with /metrics and /healthz, for `tarn metadata --metrics-listen` (the Helm chart probes
 * /healthz on this port). Resolves with its port.
 */
export async function startMetricsServer(registry: Registry, host: string, port: number, options: MetricsServerOptions = {}): Promise<{ port: number; close(): Promise<void> }> {
  const metrics = metricsHandler(registry);
  const health = healthHandler(options.health ?? (() => "ok"));
  const server = http.createServer((req, res) => {
    if (health(req, res)) return;
    void metrics(req, res).then((answered) => {
      if (!answered) res.writeHead(404, { "content-type": "text/plain" }).end("only /metrics and /healthz here\n");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
