// Bucket-level calls: ListBuckets (repositories), HeadBucket, GetBucketLocation, ListObjects V1 and V2.
// A listing whose prefix names no ref yet lists the repository's branches as common prefixes.
import { awsUriEncode } from "../auth/sigv4";
import type * as M from "../metadata/messages";
import { splitRefPath } from "./address";
import { isoDate, quoteEtag, root, sendEmpty, sendXml, type Context } from "./context";
import { s3, toS3Error } from "./errors";
import { readError } from "./refs";
import { xmlElement } from "./xml";

const OWNER = xmlElement("Owner", [xmlElement("ID", "tarn"), xmlElement("DisplayName", "tarn")]);

export async function listBuckets(ctx: Context): Promise<void> {
  const buckets: string[] = [];
  let after = "";
  for (;;) {
    const page = await ctx.client.listRepositories({ after, amount: 1000 });
    for (const r of page.results) buckets.push(xmlElement("Bucket", [xmlElement("Name", r.id), xmlElement("CreationDate", isoDate(Number(r.creationDate)))]));
    if (!page.pagination?.hasMore || page.results.length === 0) break;
    after = page.pagination.nextOffset;
  }
  sendXml(ctx, 200, root("ListAllMyBucketsResult", [OWNER, xmlElement("Buckets", buckets)]));
}

export async function headBucket(ctx: Context): Promise<void> {
  try {
    await ctx.client.getRepository({ repository: ctx.target.bucket });
  } catch (err) {
    throw toS3Error(err, "bucket");
  }
  sendEmpty(ctx, 200, { "x-amz-bucket-region": "us-east-1" });
}

export async function bucketLocation(ctx: Context): Promise<void> {
  await headBucketQuiet(ctx);
  sendXml(ctx, 200, `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>`);
}

async function headBucketQuiet(ctx: Context): Promise<void> {
  await ctx.client.getRepository({ repository: ctx.target.bucket }).catch((err: unknown) => {
    throw toS3Error(err, "bucket");
  });
}

/** The byte-order successor bound of a common prefix: `after` this skips everything under it. */
const pastPrefix = (prefix: string) => prefix + "\u{10FFFF}";

interface Listed {
  keys: M.ObjectStats[];
  prefixes: string[];
  truncated: boolean;
  /** The last key or prefix returned, to continue after. */
  last: string;
}

async function listUnder(ctx: Context, prefix: string, delimiter: string, after: string, maxKeys: number): Promise<Listed> {
  const bucket = ctx.target.bucket;
  const { ref, path } = splitRefPath(prefix);
  if (!prefix.includes("/")) return listBranches(ctx, prefix, after, maxKeys);
  const afterInRef = after.startsWith(ref + "/") ? after.slice(ref.length + 1) : after > ref + "/" ? "\u{10FFFF}" : "";
  const out: Listed = { keys: [], prefixes: [], truncated: false, last: "" };
  if (maxKeys === 0) return out;
  try {
    let serviceAfter = afterInRef.endsWith(delimiter) && delimiter !== "" ? pastPrefix(afterInRef) : afterInRef;
    for (;;) {
      let pagination: M.Pagination | undefined;
      let count = 0;
      for await (const batch of ctx.client.listObjects({ repository: bucket, ref, prefix: path, delimiter, after: serviceAfter, amount: maxKeys - out.keys.length - out.prefixes.length })) {
        for (const o of batch.results) {
          count++;
          if (o.pathType === "PATH_TYPE_COMMON_PREFIX") out.prefixes.push(`${ref}/${o.path}`);
          else out.keys.push({ ...o, path: `${ref}/${o.path}` });
          out.last = `${ref}/${o.path}`;
        }
        if (batch.pagination) pagination = batch.pagination;
      }
      out.truncated = pagination?.hasMore ?? false;
      if (!out.truncated || count === 0 || out.keys.length + out.prefixes.length >= maxKeys) break;
      serviceAfter = out.last.slice(ref.length + 1);
      if (serviceAfter.endsWith(delimiter) && delimiter !== "") serviceAfter = pastPrefix(serviceAfter);
    }
  } catch (err) {
    throw await readError(ctx.client, bucket, err);
  }
  return out;
}

async function listBranches(ctx: Context, prefix: string, after: string, maxKeys: number): Promise<Listed> {
  const out: Listed = { keys: [], prefixes: [], truncated: false, last: "" };
  let cursor = after.endsWith("/") ? after.slice(0, -1) : after;
  try {
    for (;;) {
      const page = await ctx.client.listBranches({ repository: ctx.target.bucket, prefix, after: cursor, amount: 1000 });
      for (const b of page.results) {
        if (out.prefixes.length >= maxKeys) {
          out.truncated = true;
          return out;
        }
        out.prefixes.push(b.id + "/");
        out.last = b.id + "/";
      }
      if (!page.pagination?.hasMore || page.results.length === 0) return out;
      cursor = page.pagination.nextOffset;
    }
  } catch (err) {
    throw toS3Error(err, "bucket");
  }
}

function maxKeysOf(ctx: Context): number {
  const raw = ctx.query.get("max-keys");
  if (raw === undefined || raw === "") return 1000;
  const n = Number(raw);
  if (!/^\d+$/.test(raw)) throw s3.invalidArgument(`max-keys ${JSON.stringify(raw)} is not a non-negative integer`);
  return Math.min(n, 1000);
}

export function encoder(ctx: Context): (s: string) => string {
  const type = ctx.query.get("encoding-type");
  if (type === undefined) return (s) => s;
  if (type !== "url") throw s3.invalidArgument(`encoding-type ${JSON.stringify(type)} is not supported: only url`);
  return (s) => awsUriEncode(s, true);
}

const contents = (o: M.ObjectStats, enc: (s: string) => string) =>
  xmlElement("Contents", [
    xmlElement("Key", enc(o.path)),
    xmlElement("LastModified", isoDate(Number(o.mtime))),
    xmlElement("ETag", quoteEtag(o.checksum)),
    xmlElement("Size", Number(o.sizeBytes)),
    xmlElement("StorageClass", "STANDARD"),
  ]);

export async function listObjectsV2(ctx: Context): Promise<void> {
  const prefix = ctx.query.get("prefix") ?? "";
  const delimiter = ctx.query.get("delimiter") ?? "";
  const token = ctx.query.get("continuation-token");
  const startAfter = ctx.query.get("start-after") ?? "";
  const maxKeys = maxKeysOf(ctx);
  const enc = encoder(ctx);
  let after = startAfter;
  if (token !== undefined) {
    after = Buffer.from(token, "base64url").toString("utf8");
    if (Buffer.from(after, "utf8").toString("base64url") !== token) throw s3.invalidArgument("the continuation token is not one this gateway issued");
  }
  if (after !== "" && after < prefix && !after.startsWith(prefix)) after = "";
  const listed = await listUnder(ctx, prefix, delimiter, after, maxKeys);
  sendXml(ctx, 200, root("ListBucketResult", [
    xmlElement("Name", ctx.target.bucket),
    xmlElement("Prefix", enc(prefix)),
    delimiter ? xmlElement("Delimiter", enc(delimiter)) : "",
    xmlElement("MaxKeys", maxKeys),
    xmlElement("KeyCount", listed.keys.length + listed.prefixes.length),
    ctx.query.has("encoding-type") ? xmlElement("EncodingType", "url") : "",
    token !== undefined ? xmlElement("ContinuationToken", token) : "",
    startAfter ? xmlElement("StartAfter", enc(startAfter)) : "",
    xmlElement("IsTruncated", listed.truncated),
    listed.truncated ? xmlElement("NextContinuationToken", Buffer.from(listed.last, "utf8").toString("base64url")) : "",
    ...listed.keys.map((o) => contents(o, enc)),
    ...listed.prefixes.map((p) => xmlElement("CommonPrefixes", [xmlElement("Prefix", enc(p))])),
  ]));
}

export async function listObjectsV1(ctx: Context): Promise<void> {
  const prefix = ctx.query.get("prefix") ?? "";
  const delimiter = ctx.query.get("delimiter") ?? "";
  const marker = ctx.query.get("marker") ?? "";
  const maxKeys = maxKeysOf(ctx);
  const enc = encoder(ctx);
  const listed = await listUnder(ctx, prefix, delimiter, marker < prefix && !marker.startsWith(prefix) ? "" : marker, maxKeys);
  sendXml(ctx, 200, root("ListBucketResult", [
    xmlElement("Name", ctx.target.bucket),
    xmlElement("Prefix", enc(prefix)),
    xmlElement("Marker", enc(marker)),
    delimiter ? xmlElement("Delimiter", enc(delimiter)) : "",
    xmlElement("MaxKeys", maxKeys),
    ctx.query.has("encoding-type") ? xmlElement("EncodingType", "url") : "",
    xmlElement("IsTruncated", listed.truncated),
    listed.truncated ? xmlElement("NextMarker", enc(listed.last)) : "",
    ...listed.keys.map((o) => contents(o, enc)),
    ...listed.prefixes.map((p) => xmlElement("CommonPrefixes", [xmlElement("Prefix", enc(p))])),
  ]));
}
