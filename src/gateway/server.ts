// The gateway's HTTP server: parse → authenticate → route → handle, every failure answered as an S3 XML
// error. It keeps no state of its own besides caches: credentials (credentials.ts) and one TarnClient per
// access key, so the metadata service checks each user's own policy.
import { randomBytes } from "node:crypto";
import * as http from "node:http";
import { TarnClient } from "../client";
import { parseTarget } from "./address";
import { authenticate } from "./authenticate";
import type { CredentialResolver } from "./credentials";
import type { Context } from "./context";
import { errorXml, S3Error, toS3Error } from "./errors";
import { AccessCache } from "./access-cache";
import { ByteCache } from "./byte-cache";
import { UploadSweeper } from "./multipart-sweep";
import { ReadCache } from "./read-cache";
import { route } from "./router";
import { parseQuery } from "../auth/sigv4";

export interface GatewayOptions {
  /**
   * Calls the metadata service. A client signing as a gateway (TarnClient `gateway` option) acts for each
   * caller with x-tarn-peer-on-behalf-of over its one set of connections, and `endpoints` is not needed;
   * otherwise it is used for every caller when `endpoints` is not given.
   */
  client: TarnClient;
  /** Metadata members (HOST:PORT): with them the gateway calls the service as each caller, with the caller's own key. */
  endpoints?: string[];
  credentials: CredentialResolver;
  /** Domains for virtual-host style addressing: REPO.DOMAIN. */
  domains?: string[];
  /** Cache GetObject answers this long (ms); 0 (the default) asks the metadata service on every read. */
  readCacheMs?: number;
  /**
   * Memory for small objects' bytes (ByteCache), in bytes; default 32 MiB, 0 turns it off. Each read still
   * asks the metadata service for the current entry; only the bytes of an address come from memory.
   */
  byteCacheBytes?: number;
  /**
   * Multipart uploads on local stores older than this are removed (ms; default 7 days), checked when the
   * gateway first meets a store and every `uploadSweepIntervalMs` (default an hour) after.
   */
  uploadMaxAgeMs?: number;
  uploadSweepIntervalMs?: number;
  /** Called for 5xx answers, with the error. */
  onError?: (err: S3Error, ctx: { method: string; url: string }) => void;
}

export interface GatewayHandler {
  (req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Closes the per-caller TarnClients (not `options.client`, which belongs to the caller). */
  close(): void;
}

export function createGatewayHandler(options: GatewayOptions): GatewayHandler {
  const clients = new Map<string, TarnClient>();
  const onBehalf = new Map<string, TarnClient>();
  const clientFor = (accessKeyId: string, secretAccessKey: string, userId: string): TarnClient => {
    if (options.client.transport.isGateway && userId !== "") {
      let c = onBehalf.get(userId);
      if (!c) {
        if (onBehalf.size >= 10_000) onBehalf.clear();
        onBehalf.set(userId, (c = options.client.forUser(userId)));
      }
      return c;
    }
    if (!options.endpoints) return options.client;
    let c = clients.get(accessKeyId);
    if (!c) {
      if (clients.size >= 1000) {
        const [oldest, client] = clients.entries().next().value as [string, TarnClient];
        client.close();
        clients.delete(oldest);
      }
      c = new TarnClient({ endpoints: options.endpoints, accessKeyId, secretAccessKey });
      clients.set(accessKeyId, c);
    }
    return c;
  };
  const domains = options.domains ?? [];
  const reads = options.readCacheMs ? new ReadCache(options.readCacheMs) : undefined;
  const access = new AccessCache();
  const bytes = options.byteCacheBytes === 0 ? undefined : new ByteCache(options.byteCacheBytes);
  const uploads = new UploadSweeper({ maxAgeMs: options.uploadMaxAgeMs, intervalMs: options.uploadSweepIntervalMs });

  // Request ids: a random prefix per gateway and a counter (no random bytes per request).
  const idPrefix = randomBytes(4).toString("hex").toUpperCase();
  let requests = 0;
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const requestId = idPrefix + (++requests).toString(16).toUpperCase().padStart(8, "0");
    res.setHeader("x-amz-request-id", requestId);
    res.setHeader("server", "Tarn");
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const rawPath = q < 0 ? url : url.slice(0, q);
    const queryPairs = parseQuery(q < 0 ? "" : url.slice(q + 1));
    let resource = rawPath;
    const fail = (err: unknown) => {
      const e = toS3Error(err);
      if (e.status >= 500) options.onError?.(e, { method: req.method ?? "", url });
      if (res.headersSent) {
        res.destroy(e);
        return;
      }
      const body = req.method === "HEAD" ? "" : errorXml(e, resource, requestId);
      // A body we did not read would be parsed as the next request: close the connection instead.
      const unread = !req.complete;
      res.writeHead(e.status, { "content-type": "application/xml", "content-length": Buffer.byteLength(body), ...(unread ? { connection: "close" } : {}) });
      res.end(body);
      if (unread) res.on("finish", () => req.destroy());
    };
    (async () => {
      const target = parseTarget(rawPath, req.headers.host, domains);
      resource = target.bucket ? `/${target.bucket}/${target.key}` : "/";
      const method = req.method ?? "GET";
      const auth = await authenticate({ method, rawPath, query: queryPairs, headers: req.headers, bucketPrefix: target.virtualHost ? `/${target.bucket}` : "" }, options.credentials);
      const ctx: Context = {
        req, res, method, rawPath, query: new Map(queryPairs), target, auth,
        client: clientFor(auth.caller.accessKeyId, auth.caller.secretAccessKey, auth.caller.userId), requestId, reads, access, bytes, uploads,
      };
      // A write through this gateway drops the cached read of its path, before and after it.
      const slash = target.key.indexOf("/");
      const forget = reads && method !== "GET" && method !== "HEAD" && slash > 0 ? () => reads.forget(target.bucket, target.key.slice(0, slash), target.key.slice(slash + 1)) : undefined;
      forget?.();
      try {
        await route(ctx)(ctx);
      } finally {
        forget?.();
      }
    })().catch(fail);
  };
  return Object.assign(handler, {
    close() {
      for (const c of clients.values()) c.close();
      clients.clear();
      uploads.close();
    },
  });
}

export interface GatewayServerOptions extends GatewayOptions {
  /** Extra handler tried first (e.g. `tarn run` mounting other paths); return true when it answered. */
  before?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
}

/** An http.Server serving the gateway; listen on it as usual. Closing it also closes the per-caller clients. */
export function createGatewayServer(options: GatewayServerOptions): http.Server {
  const handle = createGatewayHandler(options);
  // 256 KiB socket buffers: large objects stream in fewer, bigger writes (64 connections cost at most 32 MiB).
  const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000, highWaterMark: 256 * 1024 }, (req, res) => {
    if (options.before?.(req, res)) return;
    handle(req, res);
  });
  server.on("close", () => handle.close());
  return server;
}
