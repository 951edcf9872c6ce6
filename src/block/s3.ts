// `s3://BUCKET/PREFIX` on AWS S3 or any S3-compatible server (endpoint override, path-style addressing).
// Streams of unknown length go up through @aws-sdk/lib-storage in 5 MiB parts, at most 2 in flight, so
// memory stays bounded whatever the object's size. Connection attempts time out after a few seconds and
// retries are bounded, so an unreachable endpoint fails fast instead of hanging. `copy` is one CopyObject,
// so it is limited to S3's 5 GiB for a single copy.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { Readable } from "node:stream";
import { pipeline } from "node:stream";
import { invalidArgument } from "../errors";
import { BaseObjectStore } from "./base";
import { mapS3Error, S3ErrorContext, S3Subject } from "./s3-errors";
import { S3Presigner } from "./s3-presign";
import { emptyReadable, mapStreamErrors, Meter, readAll } from "./streams";
import type { CompletedPart, GetOptions, ListOptions, ListPage, MultipartUpload, ObjectInfo, PresignedRequest, PutOptions, UploadedPart } from "./types";
import { bareEtag, checkExpiry, checkKey, checkLimit, checkPartNumber, checkPrefix, checkPutOptions, checkRange, sortedParts } from "./validate";

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix under the bucket: "" or ending in "/". */
  prefix: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  /** Static credentials; without them the SDK's default chain (env, profile, IMDS...) is used. */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** How long a TCP connect may take (default 2000 ms). */
  connectTimeoutMs?: number;
  /** Attempts per request, first one included (default 3). */
  maxAttempts?: number;
}

// Memory per streamed upload is about (QUEUE_SIZE + 2) parts: the parts in flight, the one being gathered
// and lib-storage's copy of it. 5 MiB is S3's minimum part size; with at most 10,000 parts, a stream of
// unknown length can be up to ~48 GiB (a declared length picks a larger part size when it must).
const PART_SIZE = 5 * 1024 * 1024;
const QUEUE_SIZE = 2;
const MAX_PARTS = 10_000;

export class S3ObjectStore extends BaseObjectStore {
  readonly uri: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly errors: S3ErrorContext;
  private bucketSeen = false;
  /** With static credentials: presigned URLs without the SDK (s3-presign.ts). */
  private readonly presigner?: S3Presigner;

  constructor(options: S3StoreOptions) {
    super();
    this.bucket = options.bucket;
    this.prefix = options.prefix;
    this.uri = `s3://${options.bucket}/${options.prefix}`;
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
    const credentials =
      options.accessKeyId !== undefined && options.secretAccessKey !== undefined
        ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey, sessionToken: options.sessionToken }
        : undefined;
    const forcePathStyle = options.forcePathStyle ?? options.endpoint !== undefined;
    this.client = new S3Client({
      region,
      endpoint: options.endpoint,
      forcePathStyle,
      credentials,
      maxAttempts: options.maxAttempts ?? 3,
      requestHandler: { connectionTimeout: options.connectTimeoutMs ?? 2000, socketTimeout: 120_000 },
      // Checksums only where S3 requires them: S3-compatible servers vary, and a presigned PUT must not
      // carry a checksum of an empty body.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
    if (credentials) this.presigner = new S3Presigner({ bucket: options.bucket, endpoint: options.endpoint, region, forcePathStyle, ...credentials });
    this.errors = { storeUri: this.uri, bucket: this.bucket, endpoint: options.endpoint ?? `https://s3.${region}.amazonaws.com` };
  }

  private full(key: string): string {
    return this.prefix + key;
  }

  private fail(err: unknown, subject: S3Subject = {}): Error {
    return mapS3Error(this.errors, err, subject);
  }

  private async run<T>(subject: S3Subject, call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      this.bucketSeen = true;
      return result;
    } catch (err) {
      throw this.fail(err, subject);
    }
  }

  async put(key: string, body: Readable | Buffer, options?: PutOptions): Promise<{ etag: string; size: number }> {
    checkKey(this.uri, key);
    checkPutOptions(this.uri, key, options);
    const params = { Bucket: this.bucket, Key: this.full(key), ContentType: options?.contentType, Metadata: options?.metadata };
    if (Buffer.isBuffer(body)) {
      if (options?.contentLength !== undefined && options.contentLength !== body.length) throw lengthMismatch(this.uri, key, body.length, options.contentLength);
      const out = await this.run({ key }, () => this.client.send(new PutObjectCommand({ ...params, Body: body, ContentLength: body.length })));
      return { etag: bareEtag(out.ETag), size: body.length };
    }
    const declared = options?.contentLength;
    const meter = new Meter(undefined, declared, (actual) => lengthMismatch(this.uri, key, actual, declared ?? 0));
    let streamError: unknown;
    pipeline(body, meter, (err) => (streamError = err)); // a failing body fails the upload through `meter`
    const upload = new Upload({ client: this.client, params: { ...params, Body: meter }, partSize: Math.max(PART_SIZE, Math.ceil((declared ?? 0) / MAX_PARTS)), queueSize: QUEUE_SIZE, leavePartsOnError: false });
    const out = await this.run({ key }, () => upload.done().catch((err) => Promise.reject(streamError ?? err)));
    return { etag: bareEtag("ETag" in out ? out.ETag : undefined), size: meter.bytes };
  }

  async get(key: string, options?: GetOptions): Promise<Readable> {
    checkKey(this.uri, key);
    const range = checkRange(this.uri, key, options);
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.full(key), Range: range ? `bytes=${range.start}-${range.end ?? ""}` : undefined }),
      );
      this.bucketSeen = true;
      return mapStreamErrors(out.Body as Readable, (err) => this.fail(err, { key }));
    } catch (err) {
      // 416: the object exists but has no byte at `start`: an empty body, as the interface promises.
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416) return emptyReadable();
      throw this.fail(err, { key });
    }
  }

  async head(key: string): Promise<ObjectInfo> {
    checkKey(this.uri, key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
      this.bucketSeen = true;
      return { key, size: out.ContentLength ?? 0, etag: bareEtag(out.ETag), lastModified: out.LastModified ?? new Date(0), contentType: out.ContentType, metadata: out.Metadata ?? {} };
    } catch (err) {
      // A HEAD 404 has no body to say whether the key or the bucket is missing: ask about the bucket.
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) await this.checkBucket();
      throw this.fail(err, { key });
    }
  }

  /** Tells a missing key from a missing bucket (or a rejected key) after a body-less HEAD 404. */
  private async checkBucket(): Promise<void> {
    if (this.bucketSeen) return;
    // A one-key listing has an XML error body (NoSuchBucket, InvalidAccessKeyId...) where HeadBucket has none.
    await this.run({}, () => this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, MaxKeys: 1 })));
  }

  async delete(key: string): Promise<void> {
    checkKey(this.uri, key);
    await this.run({ key }, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.full(key) })));
  }

  async list(options: ListOptions = {}): Promise<ListPage> {
    const prefix = options.prefix ?? "";
    checkPrefix(this.uri, prefix);
    const limit = checkLimit(this.uri, options.limit);
    const out = await this.run({}, () =>
      this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.full(prefix),
          StartAfter: options.after !== undefined ? this.full(options.after) : undefined,
          ContinuationToken: options.token,
          MaxKeys: limit,
        }),
      ),
    );
    const objects: ObjectInfo[] = (out.Contents ?? []).map((o) => ({
      key: (o.Key ?? "").slice(this.prefix.length),
      size: o.Size ?? 0,
      etag: bareEtag(o.ETag),
      lastModified: o.LastModified ?? new Date(0),
    }));
    return { objects, nextToken: out.IsTruncated ? out.NextContinuationToken : undefined };
  }

  async copy(sourceKey: string, destinationKey: string): Promise<{ etag: string }> {
    checkKey(this.uri, sourceKey);
    checkKey(this.uri, destinationKey);
    const source = `${this.bucket}/${this.full(sourceKey).split("/").map(encodeURIComponent).join("/")}`;
    const out = await this.run({ key: sourceKey }, () =>
      this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: this.full(destinationKey), CopySource: source, MetadataDirective: "COPY" })),
    );
    return { etag: bareEtag(out.CopyObjectResult?.ETag) };
  }

  async createMultipartUpload(key: string, options?: PutOptions): Promise<MultipartUpload> {
    checkKey(this.uri, key);
    checkPutOptions(this.uri, key, options);
    const out = await this.run({ key }, () =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.full(key), ContentType: options?.contentType, Metadata: options?.metadata })),
    );
    if (!out.UploadId) throw this.fail(new Error("the server returned no upload id"), { key });
    return { uploadId: out.UploadId, key };
  }

  async uploadPart(upload: MultipartUpload, partNumber: number, body: Readable | Buffer, contentLength?: number): Promise<CompletedPart> {
    const { key, uploadId } = upload;
    checkKey(this.uri, key);
    checkPartNumber(this.uri, key, partNumber);
    // S3 needs a part's length up front: a stream of unknown length is gathered first (parts are small).
    const data = Buffer.isBuffer(body) || contentLength !== undefined ? body : await readAll(body);
    const length = Buffer.isBuffer(data) ? data.length : contentLength;
    if (Buffer.isBuffer(data) && contentLength !== undefined && contentLength !== data.length) throw lengthMismatch(this.uri, key, data.length, contentLength);
    const out = await this.run({ key, uploadId }, () =>
      this.client.send(new UploadPartCommand({ Bucket: this.bucket, Key: this.full(key), UploadId: uploadId, PartNumber: partNumber, Body: data, ContentLength: length })),
    );
    return { partNumber, etag: bareEtag(out.ETag) };
  }

  async completeMultipartUpload(upload: MultipartUpload, parts: CompletedPart[]): Promise<{ etag: string }> {
    const { key, uploadId } = upload;
    checkKey(this.uri, key);
    const sorted = sortedParts(this.uri, key, parts);
    const out = await this.run({ key, uploadId }, () =>
      this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.full(key),
          UploadId: uploadId,
          MultipartUpload: { Parts: sorted.map((p) => ({ PartNumber: p.partNumber, ETag: `"${bareEtag(p.etag)}"` })) },
        }),
      ),
    );
    return { etag: bareEtag(out.ETag) };
  }

  async abortMultipartUpload(upload: MultipartUpload): Promise<void> {
    const { key, uploadId } = upload;
    checkKey(this.uri, key);
    await this.run({ key, uploadId }, () => this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.full(key), UploadId: uploadId })));
  }

  async listParts(upload: MultipartUpload): Promise<UploadedPart[]> {
    const { key, uploadId } = upload;
    checkKey(this.uri, key);
    const parts: UploadedPart[] = [];
    let marker: string | undefined;
    for (;;) {
      const out = await this.run({ key, uploadId }, () =>
        this.client.send(new ListPartsCommand({ Bucket: this.bucket, Key: this.full(key), UploadId: uploadId, PartNumberMarker: marker })),
      );
      for (const p of out.Parts ?? []) parts.push({ partNumber: p.PartNumber ?? 0, etag: bareEtag(p.ETag), size: p.Size ?? 0 });
      if (!out.IsTruncated || !out.NextPartNumberMarker) return parts;
      marker = String(out.NextPartNumberMarker);
    }
  }

  async presignRequest(key: string, method: "GET" | "PUT", expiresInSeconds: number): Promise<PresignedRequest> {
    checkKey(this.uri, key);
    checkExpiry(this.uri, key, expiresInSeconds);
    const params = { Bucket: this.bucket, Key: this.full(key) };
    const url = this.presigner
      ? this.presigner.presign(method, this.full(key), expiresInSeconds)
      : await this.run({ key }, () => getSignedUrl(this.client, method === "GET" ? new GetObjectCommand(params) : new PutObjectCommand(params), { expiresIn: expiresInSeconds }));
    return { url, method, headers: {}, expiresAt: new Date(Date.now() + expiresInSeconds * 1000) };
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

const lengthMismatch = (storeUri: string, key: string, actual: number, declared: number) =>
  invalidArgument(`${storeUri}: key '${key}': body has ${actual} bytes, not the declared ${declared}`);
