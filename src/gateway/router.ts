// Which S3 operation a request is, from its method, whether it names a bucket and a key, and its
// sub-resources. Unsupported sub-resources answer NotImplemented rather than being mistaken for plain
// object or bucket calls. Pure apart from the handlers it returns.
import { bucketLocation, headBucket, listBuckets, listObjectsV1, listObjectsV2 } from "./buckets";
import type { Context } from "./context";
import { header } from "./context";
import { s3, S3Error } from "./errors";
import { abortUpload, completeUpload, createUpload, listParts, uploadPart, uploadPartCopy } from "./multipart";
import { listUploads } from "./multipart-list";
import { copyObject, deleteObject, deleteObjects, getObject, putObject } from "./objects";

export type Handler = (ctx: Context) => Promise<void>;

/** Query parameters that select an operation we do not serve (ACLs, policies, versioning, tagging, ...). */
const UNSUPPORTED = [
  "acl", "analytics", "accelerate", "attributes", "cors", "encryption", "intelligent-tiering", "inventory", "legal-hold", "lifecycle",
  "logging", "metrics", "notification", "object-lock", "ownershipControls", "policy", "policyStatus", "publicAccessBlock",
  "replication", "requestPayment", "restore", "retention", "select", "tagging", "torrent", "versioning", "versions", "website",
];

export function route(ctx: Context): Handler {
  const { method, query } = ctx;
  const sub = UNSUPPORTED.find((s) => query.has(s));
  if (sub) return async () => { throw s3.notImplemented(`the ${sub} sub-resource is not implemented by the Tarn gateway`); };
  const bucket = ctx.target.bucket;
  const key = ctx.target.key;
  if (bucket === "") {
    if (method === "GET") return listBuckets;
    return notAllowed(method, "the service root");
  }
  if (key === "") {
    switch (method) {
      case "GET":
        if (query.has("location")) return bucketLocation;
        if (query.has("uploads")) return listUploads;
        return query.get("list-type") === "2" ? listObjectsV2 : listObjectsV1;
      case "HEAD":
        return headBucket;
      case "POST":
        if (query.has("delete")) return deleteObjects;
        return notAllowed(method, "a bucket");
      case "PUT":
        return createBucket;
      case "DELETE":
        return async () => { throw s3.notImplemented("deleting a bucket (repository) through the gateway is not implemented: use tarn repo delete"); };
      default:
        return notAllowed(method, "a bucket");
    }
  }
  switch (method) {
    case "GET":
      return query.has("uploadId") ? listParts : (ctx) => getObject(ctx, false);
    case "HEAD":
      return (ctx) => getObject(ctx, true);
    case "PUT":
      if (query.has("uploadId") || query.has("partNumber")) return header(ctx, "x-amz-copy-source") !== undefined ? uploadPartCopy : uploadPart;
      return header(ctx, "x-amz-copy-source") !== undefined ? copyObject : putObject;
    case "POST":
      if (query.has("uploads")) return createUpload;
      if (query.has("uploadId")) return completeUpload;
      return notAllowed(method, "an object (POST object uploads are not implemented)");
    case "DELETE":
      return query.has("uploadId") ? abortUpload : deleteObject;
    default:
      return notAllowed(method, "an object");
  }
}

function notAllowed(method: string, what: string): Handler {
  return async () => { throw s3.methodNotAllowed(`${method} is not allowed on ${what}`); };
}

/** Repositories are created with tarn; tools that "make sure the bucket exists" get the S3 answer for an existing bucket. */
async function createBucket(ctx: Context): Promise<void> {
  const exists = await ctx.client.getRepository({ repository: ctx.target.bucket }).then(() => true, () => false);
  if (exists) throw new S3Error("BucketAlreadyOwnedByYou", 409, `repository ${ctx.target.bucket} exists and is yours`);
  throw s3.notImplemented("creating a bucket (repository) through the gateway is not implemented: use tarn repo create");
}
