// Presigned S3 URLs (SigV4 in the query string, UNSIGNED-PAYLOAD, only the host header signed) without the
// AWS SDK's middleware stack: one HMAC chain per day for the signing key, kept, then one SHA-256 and one HMAC
// per URL. The SDK's getSignedUrl builds a whole request pipeline per URL, which made presigning most of the
// metadata service's CPU per small PUT through the gateway. Used only with static credentials; a store on
// the SDK's credential chain keeps presigning through the SDK.
import { createHmac, hash } from "node:crypto";

export interface S3PresignTarget {
  bucket: string;
  /** http(s)://host[:port] of an S3-compatible server; AWS's regional endpoint when absent. */
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Where a URL for `key` points: the origin and the path up to the key (path style or virtual host). */
interface Base {
  origin: string;
  host: string;
  pathPrefix: string;
}

/** RFC 3986 unreserved characters stay; everything else is %XX of its UTF-8 bytes, as SigV4 requires. */
export function uriEncode(text: string, keepSlash: boolean): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === "/")) out += c;
    else out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

function baseOf(t: S3PresignTarget): Base {
  const url = new URL(t.endpoint ?? `https://s3.${t.region}.amazonaws.com`);
  const pathStyle = t.forcePathStyle || !/^[a-z0-9][a-z0-9-]*[a-z0-9]$/.test(t.bucket);
  const host = pathStyle ? url.host : `${t.bucket}.${url.host}`;
  const root = url.pathname.replace(/\/+$/, "");
  return { origin: `${url.protocol}//${host}`, host, pathPrefix: pathStyle ? `${root}/${uriEncode(t.bucket, false)}/` : `${root}/` };
}

export class S3Presigner {
  private readonly base: Base;
  private signingKey = { day: "", key: Buffer.alloc(0) };

  constructor(private readonly target: S3PresignTarget) {
    this.base = baseOf(target);
  }

  /** HMAC chain over the day, region and service: the same for every URL signed that day. */
  private keyFor(day: string): Buffer {
    if (this.signingKey.day !== day) {
      const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();
      const key = hmac(hmac(hmac(hmac(`AWS4${this.target.secretAccessKey}`, day), this.target.region), "s3"), "aws4_request");
      this.signingKey = { day, key };
    }
    return this.signingKey.key;
  }

  /**
   * A URL that lets its holder send `method` to the object at `fullKey` (the bucket-relative key) for
   * `expiresIn` seconds; `extra` query parameters (partNumber, uploadId) are signed with it.
   */
  presign(method: string, fullKey: string, expiresIn: number, extra: Record<string, string> = {}, now = new Date()): string {
    const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    const day = amzDate.slice(0, 8);
    const scope = `${day}/${this.target.region}/s3/aws4_request`;
    const params: Record<string, string> = {
      ...extra,
      "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
      "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD",
      "X-Amz-Credential": `${this.target.accessKeyId}/${scope}`,
      "X-Amz-Date": amzDate,
      "X-Amz-Expires": String(expiresIn),
      "X-Amz-SignedHeaders": "host",
    };
    if (this.target.sessionToken) params["X-Amz-Security-Token"] = this.target.sessionToken;
    const query = Object.keys(params)
      .map((k) => [uriEncode(k, false), uriEncode(params[k], false)])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join("&");
    const path = this.base.pathPrefix + uriEncode(fullKey, true);
    const canonical = `${method}\n${path}\n${query}\nhost:${this.base.host}\n\nhost\nUNSIGNED-PAYLOAD`;
    const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${hash("sha256", canonical, "hex")}`;
    const signature = createHmac("sha256", this.keyFor(day)).update(toSign).digest("hex");
    return `${this.base.origin}${path}?${query}&X-Amz-Signature=${signature}`;
  }
}
