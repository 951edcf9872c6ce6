// Pure encodings the Azure adapter needs because Azure Blob differs from S3:
// - metadata names must be C# identifiers (no '-', no leading digit), so names are escaped reversibly;
// - multipart uploads are staged blocks whose ids must all have one length; a block id here carries the
//   upload's token, the part number and the part's MD5, so committing with a wrong etag names a block
//   that does not exist and Azure refuses it: the etag check S3 does, for free;
// - an upload's content type and metadata travel inside the upload id (Azure keeps no upload state).
import { createHash, randomBytes } from "node:crypto";

/** '-' → "_2d", '_' → "_5f", a leading digit d → "_3d": the output is a C# identifier, and decoding is exact. */
export function encodeMetadataName(name: string): string {
  let out = "";
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    const plain = /[a-z]/.test(c) || (i > 0 && /[0-9]/.test(c));
    out += plain ? c : `_${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  }
  return out;
}

export function decodeMetadataName(encoded: string): string {
  return encoded.toLowerCase().replace(/_([0-9a-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export const encodeMetadata = (metadata: Record<string, string> | undefined): Record<string, string> | undefined =>
  metadata && Object.fromEntries(Object.entries(metadata).map(([k, v]) => [encodeMetadataName(k), v]));

export const decodeMetadata = (metadata: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [decodeMetadataName(k), v]));

export interface UploadState {
  /** 10 hex digits identifying the upload among others on the same blob. */
  token: string;
  contentType?: string;
  metadata?: Record<string, string>;
}

export function newUploadId(contentType?: string, metadata?: Record<string, string>): string {
  const token = randomBytes(5).toString("hex");
  return `${token}.${Buffer.from(JSON.stringify({ c: contentType, m: metadata })).toString("base64url")}`;
}

/** Undefined when `uploadId` is not one `newUploadId` made. */
export function parseUploadId(uploadId: string): UploadState | undefined {
  const match = /^([0-9a-f]{10})\.([A-Za-z0-9_-]*)$/.exec(uploadId);
  if (!match) return undefined;
  try {
    const state = JSON.parse(Buffer.from(match[2], "base64url").toString("utf8")) as { c?: unknown; m?: unknown };
    const contentType = typeof state.c === "string" ? state.c : undefined;
    const metadata = state.m && typeof state.m === "object" ? (state.m as Record<string, string>) : undefined;
    return { token: match[1], contentType, metadata };
  } catch {
    return undefined;
  }
}

/** 48 bytes before base64, the length the Azure SDK's own uploads use, so ids of both kinds can mix. */
export function blockId(token: string, partNumber: number, md5Hex: string): string {
  const raw = `t${token}${String(partNumber).padStart(5, "0")}${md5Hex}`;
  if (raw.length !== 48) throw new Error(`internal: block id source '${raw}' is not 48 bytes`);
  return Buffer.from(raw, "utf8").toString("base64");
}

export const md5Hex = (data: Buffer): string => createHash("md5").update(data).digest("hex");
