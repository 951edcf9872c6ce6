// `azure://ACCOUNT/CONTAINER/PREFIX` on Azure Blob Storage (or Azurite, through an endpoint override).
// Streams go up with uploadStream in 4 MiB blocks, at most 2 in flight (so about 16 MiB of buffers per
// upload); multipart uploads are staged blocks committed as a block list (see azure-encoding.ts for the
// ids); presigned URLs are SAS URLs.
// Azure keeps no state for an upload, so aborting cannot discard staged blocks (Azure drops uncommitted
// blocks after a week, or when any block list is committed on the blob): abort is a no-op, and two
// multipart uploads to one key at once cannot both complete (the first commit drops the other's blocks).
import {
  AnonymousCredential,
  BlobSASPermissions,
  BlobServiceClient,
  ContainerClient,
  StoragePipelineOptions,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import type { Agent } from "node:http";
import { Readable, pipeline } from "node:stream";
import { invalidArgument } from "../errors";
import { azureErrorCode, mapAzureError, AzureErrorContext } from "./azure-errors";
import { blockId, decodeMetadata, encodeMetadata, md5Hex, newUploadId, parseUploadId } from "./azure-encoding";
import { BaseObjectStore } from "./base";
import { uploadNotFound } from "./errors";
import { connectTimeoutAgent } from "./http-agents";
import { emptyReadable, mapStreamErrors, Meter, readAll } from "./streams";
import type { CompletedPart, GetOptions, ListOptions, ListPage, MultipartUpload, ObjectInfo, PresignedRequest, PutOptions, UploadedPart } from "./types";
import { bareEtag, checkExpiry, checkKey, checkLimit, checkPartNumber, checkPrefix, checkPutOptions, checkRange, sortedParts } from "./validate";

export interface AzureStoreOptions {
  account: string;
  container: string;
  /** Blob name prefix: "" or ending in "/". */
  prefix: string;
  connectionString?: string;
  accountKey?: string;
  /** Blob service URL including the account for Azurite, e.g. "http://127.0.0.1:10000/devstoreaccount1". */
  endpoint?: string;
  connectTimeoutMs?: number;
  /** Attempts per request, first one included (default 3). */
  maxAttempts?: number;
}

const BLOCK_SIZE = 4 * 1024 * 1024;
const CONCURRENCY = 2;

export class AzureObjectStore extends BaseObjectStore {
  readonly uri: string;
  private readonly container: ContainerClient;
  private readonly prefix: string;
  private readonly errors: AzureErrorContext;
  private readonly agent: Agent;

  constructor(options: AzureStoreOptions) {
    super();
    this.uri = `azure://${options.account}/${options.container}/${options.prefix}`;
    this.prefix = options.prefix;
    const endpoint = options.endpoint ?? `https://${options.account}.blob.core.windows.net`;
    const url = options.connectionString ? connectionStringEndpoint(options.connectionString) ?? endpoint : endpoint;
    this.agent = connectTimeoutAgent(url, options.connectTimeoutMs ?? 2000);
    const pipelineOptions = {
      retryOptions: { maxTries: options.maxAttempts ?? 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
      // Not in StoragePipelineOptions' type, but passed through to core-rest-pipeline, which uses it.
      agent: this.agent,
    } as StoragePipelineOptions;
    let service: BlobServiceClient;
    if (options.connectionString) {
      try {
        service = BlobServiceClient.fromConnectionString(options.connectionString, pipelineOptions);
      } catch (err) {
        throw invalidArgument(`${this.uri}: the Azure connection string is not valid: ${(err as Error).message}`, err);
      }
      if (service.accountName !== options.account) {
        throw invalidArgument(`${this.uri}: the connection string is for account '${service.accountName}', not '${options.account}'`);
      }
    } else if (options.accountKey) {
      service = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(options.account, options.accountKey), pipelineOptions);
    } else {
      // Anonymous access works for public containers only; every failure then says credentials are missing.
      service = new BlobServiceClient(endpoint, new AnonymousCredential(), pipelineOptions);
    }
    this.container = service.getContainerClient(options.container);
    this.errors = { storeUri: this.uri, container: options.container, endpoint: service.url.replace(/\/$/, "") };
  }

  private blob(key: string) {
    return this.container.getBlockBlobClient(this.prefix + key);
  }

  private async run<T>(key: string | undefined, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw mapAzureError(this.errors, err, key);
    }
  }

  async put(key: string, body: Readable | Buffer, options?: PutOptions): Promise<{ etag: string; size: number }> {
    checkKey(this.uri, key);
    checkPutOptions(this.uri, key, options);
    const declared = options?.contentLength;
    const uploadOptions = { blobHTTPHeaders: { blobContentType: options?.contentType }, metadata: encodeMetadata(options?.metadata) };
    if (Buffer.isBuffer(body)) {
      if (declared !== undefined && declared !== body.length) throw lengthMismatch(this.uri, key, body.length, declared);
      const out = await this.run(key, () => this.blob(key).upload(body, body.length, uploadOptions));
      return { etag: bareEtag(out.etag), size: body.length };
    }
    const meter = new Meter(undefined, declared, (actual) => lengthMismatch(this.uri, key, actual, declared ?? 0));
    let streamError: unknown;
    pipeline(body, meter, (err) => (streamError = err));
    const out = await this.run(key, () =>
      this.blob(key)
        .uploadStream(meter, BLOCK_SIZE, CONCURRENCY, uploadOptions)
        .catch((err) => Promise.reject(streamError ?? err)),
    );
    if (streamError) throw mapAzureError(this.errors, streamError, key);
    return { etag: bareEtag(out.etag), size: meter.bytes };
  }

  async get(key: string, options?: GetOptions): Promise<Readable> {
    checkKey(this.uri, key);
    const range = checkRange(this.uri, key, options);
    const offset = range?.start ?? 0;
    const count = range?.end !== undefined ? range.end - offset + 1 : undefined;
    try {
      const out = await this.blob(key).download(offset, count);
      if (!out.readableStreamBody) return emptyReadable();
      return mapStreamErrors(out.readableStreamBody as Readable, (err) => mapAzureError(this.errors, err, key));
    } catch (err) {
      // 416: the blob exists but has no byte at `start`: an empty body, as the interface promises.
      if (azureErrorCode(err).status === 416) return emptyReadable();
      throw mapAzureError(this.errors, err, key);
    }
  }

  async head(key: string): Promise<ObjectInfo> {
    checkKey(this.uri, key);
    const p = await this.run(key, () => this.blob(key).getProperties());
    return {
      key,
      size: p.contentLength ?? 0,
      etag: bareEtag(p.etag),
      lastModified: p.lastModified ?? new Date(0),
      contentType: p.contentType,
      metadata: decodeMetadata(p.metadata),
    };
  }

  async delete(key: string): Promise<void> {
    checkKey(this.uri, key);
    await this.run(key, () => this.blob(key).deleteIfExists());
  }

  async list(options: ListOptions = {}): Promise<ListPage> {
    const prefix = options.prefix ?? "";
    checkPrefix(this.uri, prefix);
    const limit = checkLimit(this.uri, options.limit);
    // Azure has no "start after": pages are read from the token (or the start) and earlier keys skipped.
    const after = options.after;
    let token = options.token;
    const objects: ObjectInfo[] = [];
    do {
      const pages = this.container.listBlobsFlat({ prefix: this.prefix + prefix }).byPage({ maxPageSize: limit, continuationToken: token });
      const page = (await this.run(undefined, () => pages.next())).value;
      for (const item of page?.segment.blobItems ?? []) {
        const key = item.name.slice(this.prefix.length);
        if (after !== undefined && key <= after) continue; // Azure lists in UTF-16 order, as JS compares
        objects.push({ key, size: item.properties.contentLength ?? 0, etag: bareEtag(item.properties.etag), lastModified: item.properties.lastModified });
      }
      token = page?.continuationToken || undefined;
    } while (objects.length === 0 && token !== undefined);
    return { objects, nextToken: token };
  }

  async copy(sourceKey: string, destinationKey: string): Promise<{ etag: string }> {
    checkKey(this.uri, sourceKey);
    checkKey(this.uri, destinationKey);
    const source = this.blob(sourceKey);
    await this.run(sourceKey, () => source.getProperties()); // a clear NOT_FOUND for a missing source
    const poller = await this.run(destinationKey, () => this.blob(destinationKey).beginCopyFromURL(source.url));
    const out = await this.run(destinationKey, () => poller.pollUntilDone());
    if (out.copyStatus !== "success") {
      throw mapAzureError(this.errors, new Error(`copy from '${sourceKey}' ended with status ${out.copyStatus}`), destinationKey);
    }
    return { etag: bareEtag(out.etag) };
  }

  async createMultipartUpload(key: string, options?: PutOptions): Promise<MultipartUpload> {
    checkKey(this.uri, key);
    checkPutOptions(this.uri, key, options);
    return { uploadId: newUploadId(options?.contentType, options?.metadata), key };
  }

  async uploadPart(upload: MultipartUpload, partNumber: number, body: Readable | Buffer, contentLength?: number): Promise<CompletedPart> {
    const { key } = upload;
    checkKey(this.uri, key);
    checkPartNumber(this.uri, key, partNumber);
    const state = this.uploadState(upload);
    // The block id carries the part's MD5, so the part is read whole before it is staged.
    const data = Buffer.isBuffer(body) ? body : await readAll(body);
    if (contentLength !== undefined && contentLength !== data.length) throw lengthMismatch(this.uri, key, data.length, contentLength);
    const etag = md5Hex(data);
    await this.run(key, () => this.blob(key).stageBlock(blockId(state.token, partNumber, etag), data, data.length));
    return { partNumber, etag };
  }

  async completeMultipartUpload(upload: MultipartUpload, parts: CompletedPart[]): Promise<{ etag: string }> {
    const { key } = upload;
    checkKey(this.uri, key);
    const state = this.uploadState(upload);
    const ids = sortedParts(this.uri, key, parts).map((p) => {
      const etag = bareEtag(p.etag);
      if (!/^[0-9a-f]{32}$/.test(etag)) throw invalidArgument(`${this.uri}: key '${key}': part ${p.partNumber} etag '${p.etag}' is not one this store returned`);
      return blockId(state.token, p.partNumber, etag);
    });
    const out = await this.run(key, () =>
      this.blob(key).commitBlockList(ids, { blobHTTPHeaders: { blobContentType: state.contentType }, metadata: encodeMetadata(state.metadata) }),
    );
    return { etag: bareEtag(out.etag) };
  }

  async abortMultipartUpload(upload: MultipartUpload): Promise<void> {
    checkKey(this.uri, upload.key);
    this.uploadState(upload); // staged blocks cannot be dropped on their own: see the comment at the top
  }

  /** The upload's staged blocks (their ids name token, part number and MD5); for a number staged twice, the later. */
  async listParts(upload: MultipartUpload): Promise<UploadedPart[]> {
    const { key } = upload;
    checkKey(this.uri, key);
    const state = this.uploadState(upload);
    let blocks: Array<{ name: string; size: number }>;
    try {
      blocks = (await this.blob(key).getBlockList("uncommitted")).uncommittedBlocks ?? [];
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return []; // nothing staged yet
      throw mapAzureError(this.errors, err, key);
    }
    const byNumber = new Map<number, UploadedPart>();
    for (const b of blocks) {
      const m = /^t([0-9a-f]{10})(\d{5})([0-9a-f]{32})$/.exec(Buffer.from(b.name, "base64").toString("utf8"));
      if (m && m[1] === state.token) byNumber.set(Number(m[2]), { partNumber: Number(m[2]), etag: m[3], size: b.size });
    }
    return [...byNumber.values()].sort((a, b) => a.partNumber - b.partNumber);
  }

  async presignRequest(key: string, method: "GET" | "PUT", expiresInSeconds: number): Promise<PresignedRequest> {
    checkKey(this.uri, key);
    checkExpiry(this.uri, key, expiresInSeconds);
    const expiresAt = new Date(Date.now() + expiresInSeconds * 1000);
    // A PUT URL may also read its own blob: a writer staging blocks through it (the gateway's multipart
    // uploads) lists them with Get Block List, which needs read permission. It covers this one address only.
    const permissions = BlobSASPermissions.parse(method === "GET" ? "r" : "rcw");
    let url: string;
    try {
      url = await this.blob(key).generateSasUrl({ permissions, expiresOn: expiresAt });
    } catch (err) {
      throw invalidArgument(`${this.uri}: key '${key}': SAS URLs need a shared key (azure.accountKey or a connection string with AccountKey)`, err);
    }
    return { url, method, headers: method === "PUT" ? { "x-ms-blob-type": "BlockBlob" } : {}, expiresAt };
  }

  async close(): Promise<void> {
    this.agent.destroy(); // pooled keep-alive sockets
  }

  private uploadState(upload: MultipartUpload) {
    const state = typeof upload.uploadId === "string" ? parseUploadId(upload.uploadId) : undefined;
    if (!state) throw uploadNotFound(this.uri, upload.key, String(upload.uploadId));
    return state;
  }
}

/** The blob endpoint a connection string names, to pick an http or https agent for it. */
function connectionStringEndpoint(connectionString: string): string | undefined {
  const fields = new Map(connectionString.split(";").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  return fields.get("BlobEndpoint") ?? (fields.get("DefaultEndpointsProtocol") === "http" ? "http://" : undefined);
}

const lengthMismatch = (storeUri: string, key: string, actual: number, declared: number) =>
  invalidArgument(`${storeUri}: key '${key}': body has ${actual} bytes, not the declared ${declared}`);
