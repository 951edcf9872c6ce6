// Error shapes shared by the adapters. Each adapter maps its SDK's errors to these once, in its own
// *-errors.ts; every message starts with the store URI and names the key or bucket involved.
import { notFound, TarnError, unavailable } from "../errors";

/** The bucket, container or root directory itself is missing: NOT_FOUND, but not "no such key". */
export class MissingStoreError extends TarnError {
  constructor(storeUri: string, what: "bucket" | "container" | "directory", name: string, cause?: unknown) {
    super("NOT_FOUND", `${storeUri}: ${what} '${name}' does not exist`, { cause });
  }
}

export const keyNotFound = (storeUri: string, key: string, cause?: unknown): TarnError =>
  notFound(`${storeUri}: key '${key}' not found`, cause);

export const uploadNotFound = (storeUri: string, key: string, uploadId: string, cause?: unknown): TarnError =>
  notFound(`${storeUri}: key '${key}': multipart upload '${uploadId}' does not exist (completed, aborted or never created)`, cause);

/** Socket-level failures (from Node, undici or an SDK) that mean "the endpoint cannot be reached". */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "REQUEST_SEND_ERROR",
  "TimeoutError",
  "RequestTimeout",
]);

/** The network error code carried by `err` or one of its causes, if any. */
export function networkErrorCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown[] } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === "string" && NETWORK_CODES.has(e.code)) return e.code;
    if (typeof e.name === "string" && NETWORK_CODES.has(e.name)) return e.name;
    // Node's happy-eyeballs connect reports an AggregateError of per-address failures.
    if (Array.isArray(e.errors)) {
      for (const inner of e.errors) {
        const code = networkErrorCode(inner);
        if (code) return code;
      }
    }
    e = e.cause as typeof e;
  }
  return undefined;
}

export const unreachable = (storeUri: string, endpoint: string, code: string, cause?: unknown): TarnError =>
  unavailable(`${storeUri}: endpoint ${endpoint} is unreachable (${code})`, cause);

export const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));
