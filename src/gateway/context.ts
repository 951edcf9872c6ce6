// What every handler gets: the parsed request, the authenticated caller, a TarnClient acting as the caller,
// and small helpers to answer in S3's formats.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TarnClient } from "../client";
import type { Authenticated } from "./authenticate";
import type { Target } from "./address";
import type { AccessCache } from "./access-cache";
import type { ByteCache } from "./byte-cache";
import type { UploadSweeper } from "./multipart-sweep";
import type { ReadCache } from "./read-cache";
import { S3_NS, xmlDocument } from "./xml";

export interface Context {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  rawPath: string;
  query: Map<string, string>;
  target: Target;
  auth: Authenticated;
  client: TarnClient;
  requestId: string;
  /** Present when the gateway was configured with a read cache. */
  reads?: ReadCache;
  /** Where objects' bytes are, by physical address (access-cache.ts). */
  access: AccessCache;
  /** Small objects' bytes by address (byte-cache.ts); absent when turned off. */
  bytes?: ByteCache;
  /** Removes abandoned multipart uploads from the local stores the gateway meets (multipart-sweep.ts). */
  uploads?: UploadSweeper;
}

export function header(ctx: Context, name: string): string | undefined {
  const v = ctx.req.headers[name];
  return Array.isArray(v) ? v.join(",") : v;
}

export function sendXml(ctx: Context, status: number, body: string): void {
  const text = xmlDocument(body);
  ctx.res.writeHead(status, { "content-type": "application/xml", "content-length": Buffer.byteLength(text) });
  ctx.res.end(text);
}

/** A root element in S3's namespace. */
export const root = (name: string, children: string[]) => `<${name}${S3_NS}>${children.join("")}</${name}>`;

export function sendEmpty(ctx: Context, status: number, headers: Record<string, string | number> = {}): void {
  ctx.res.writeHead(status, { ...headers, "content-length": 0 });
  ctx.res.end();
}

export const quoteEtag = (etag: string) => `"${etag.replace(/^"|"$/g, "")}"`;
export const isoDate = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, ".000Z");
export const httpDate = (epochSeconds: number) => new Date(epochSeconds * 1000).toUTCString();
