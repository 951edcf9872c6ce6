// Presigned URLs for a local store. The store has no HTTP server of its own, so a presigned URL only makes
// sense when some server of ours (the gateway, `tarn run`, a test) mounts `createLocalPresignHandler` at a
// base URL and the store is configured with that URL and a secret. The URL carries the method, an expiry
// and an HMAC-SHA256 over both and the key; the handler checks all three before touching the store.
// Without that configuration `presign` refuses (FAILED_PRECONDITION) instead of handing out a URL that
// nothing would answer.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { TarnError } from "../errors";
import type { ObjectStore } from "./types";

export interface LocalPresignConfig {
  /** Where the handler is mounted, e.g. "http://127.0.0.1:8000/_tarn/local". */
  baseUrl: string;
  /** The HMAC key shared by the store and the handler. */
  secret: string;
}

const signature = (secret: string, method: string, key: string, expires: number): string =>
  createHmac("sha256", secret).update(`${method}\n${key}\n${expires}`).digest("hex");

export function signLocalUrl(config: LocalPresignConfig, key: string, method: "GET" | "PUT", expiresAt: Date): string {
  const expires = Math.floor(expiresAt.getTime() / 1000);
  const base = config.baseUrl.replace(/\/+$/, "");
  const encodedKey = key.split("/").map(encodeURIComponent).join("/");
  const query = new URLSearchParams({ "X-Tarn-Method": method, "X-Tarn-Expires": String(expires), "X-Tarn-Signature": signature(config.secret, method, key, expires) });
  return `${base}/${encodedKey}?${query}`;
}

type Verdict = { key: string } | { status: number; message: string };

/** Checks a request against its signature; pure apart from reading the clock. */
export function verifyLocalUrl(config: LocalPresignConfig, method: string, requestUrl: string, now = new Date()): Verdict {
  const url = new URL(requestUrl, "http://localhost");
  const basePath = new URL(config.baseUrl).pathname.replace(/\/+$/, "");
  if (!url.pathname.startsWith(basePath + "/")) return { status: 404, message: "not a presigned object URL" };
  let key: string;
  try {
    key = url.pathname.slice(basePath.length + 1).split("/").map(decodeURIComponent).join("/");
  } catch {
    return { status: 400, message: "malformed key in URL" };
  }
  const signedMethod = url.searchParams.get("X-Tarn-Method");
  const expires = Number(url.searchParams.get("X-Tarn-Expires"));
  const given = Buffer.from(url.searchParams.get("X-Tarn-Signature") ?? "", "hex");
  if (signedMethod !== method) return { status: 403, message: `this URL is signed for ${signedMethod ?? "no method"}, not ${method}` };
  const expected = Buffer.from(signature(config.secret, method, key, expires), "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { status: 403, message: "signature does not match" };
  if (!Number.isSafeInteger(expires) || expires * 1000 < now.getTime()) return { status: 403, message: "URL has expired" };
  return { key };
}

const STATUS_OF: Partial<Record<string, number>> = { NOT_FOUND: 404, INVALID_ARGUMENT: 400, FAILED_PRECONDITION: 409 };

/**
 * A Node HTTP handler serving presigned GET and PUT for `store`. Resolves true when it answered the
 * request, false when the path is not under the configured base URL (so the caller can route it elsewhere).
 */
export function createLocalPresignHandler(store: ObjectStore, config: LocalPresignConfig) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const verdict = verifyLocalUrl(config, req.method ?? "", req.url ?? "/");
    if ("status" in verdict) {
      if (verdict.status === 404) return false;
      res.writeHead(verdict.status, { "content-type": "text/plain" }).end(verdict.message + "\n");
      return true;
    }
    try {
      if (req.method === "GET") {
        const info = await store.head(verdict.key);
        const body = await store.get(verdict.key);
        res.writeHead(200, {
          "content-length": info.size,
          "content-type": info.contentType ?? "application/octet-stream",
          etag: `"${info.etag}"`,
          "last-modified": info.lastModified.toUTCString(),
        });
        await pipeline(body, res);
      } else {
        const declared = req.headers["content-length"];
        const { etag } = await store.put(verdict.key, req, {
          contentType: req.headers["content-type"],
          contentLength: declared === undefined ? undefined : Number(declared),
        });
        res.writeHead(200, { etag: `"${etag}"` }).end();
      }
    } catch (err) {
      const status = err instanceof TarnError ? (STATUS_OF[err.code] ?? 500) : 500;
      if (!res.headersSent) res.writeHead(status, { "content-type": "text/plain" }).end(`${err instanceof Error ? err.message : err}\n`);
      else res.destroy();
    }
    return true;
  };
}
