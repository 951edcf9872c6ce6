// Where a request points: bucket = repository, first path segment = ref, the rest = object path. Path style
// (http://HOST/REPO/REF/PATH) always; virtual-host style (http://REPO.DOMAIN/REF/PATH) when the Host header
// ends with a configured domain. Pure.
import { s3 } from "./errors";
import { safeDecode } from "../auth/sigv4";

export interface Target {
  /** Empty for the service root (ListBuckets). */
  bucket: string;
  /** Everything after the bucket, decoded: "REF/PATH", "REF", or "". */
  key: string;
  /** True when the bucket came from the Host header. */
  virtualHost: boolean;
}

export const MAX_KEY_BYTES = 1024;

function hostName(host: string | undefined): string {
  if (!host) return "";
  const h = host.toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  return colon >= 0 ? h.slice(0, colon) : h;
}

export function parseTarget(rawPath: string, host: string | undefined, domains: readonly string[]): Target {
  const name = hostName(host);
  const path = rawPath.startsWith("/") ? rawPath.slice(1) : rawPath;
  for (const domain of domains) {
    const d = domain.toLowerCase();
    if (name.endsWith("." + d) && name.length > d.length + 1) {
      return { bucket: name.slice(0, name.length - d.length - 1), key: decodePath(path), virtualHost: true };
    }
  }
  const slash = path.indexOf("/");
  if (slash < 0) return { bucket: safeDecode(path), key: "", virtualHost: false };
  return { bucket: safeDecode(path.slice(0, slash)), key: decodePath(path.slice(slash + 1)), virtualHost: false };
}

function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw s3.invalidArgument(`the request path ${JSON.stringify(raw.slice(0, 200))} is not valid percent-encoded UTF-8`);
  }
}

/** "REF/PATH" → { ref, path }; path may be "" (the ref itself) . */
export function splitRefPath(key: string): { ref: string; path: string } {
  const slash = key.indexOf("/");
  return slash < 0 ? { ref: key, path: "" } : { ref: key.slice(0, slash), path: key.slice(slash + 1) };
}

/** S3's rules for object keys, as Tarn names them: no NUL, no '..' segment, at most 1024 bytes. */
export function checkObjectPath(key: string, path: string): void {
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) throw s3.keyTooLong(`object key of ${Buffer.byteLength(key, "utf8")} bytes is longer than ${MAX_KEY_BYTES} bytes`);
  if (path === "") throw s3.invalidArgument(`object key ${JSON.stringify(key)} names a ref but no object path: keys are REF/PATH`);
  if (key.includes("\0")) throw s3.invalidArgument(`object key ${JSON.stringify(key)} contains a NUL byte`);
  if (path.split("/").includes("..")) throw s3.invalidArgument(`object key ${JSON.stringify(key)} contains a '..' segment`);
}
