// `local://DIR`: objects as plain files under DIR (see local-layout.ts for the tree). Writes are atomic
// (temp file, fsync, rename), listing is sorted like S3's, and keys that could leave DIR are refused.
// Limits a directory tree imposes, each refused with a clear error: a key cannot be both an object and a
// "directory" of other objects ("a" and "a/b"), and keys must be valid path segments (local-layout.ts).
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import type { Readable } from "node:stream";
import { failedPrecondition, hasCode, invalidArgument } from "../errors";
import { BaseObjectStore } from "./base";
import { keyNotFound } from "./errors";
import { commitObject, isMissing, pruneEmptyDirs, readSidecar, statEtag, writeTemp } from "./local-files";
import { checkLocalKey, LocalLayout } from "./local-layout";
import { walkKeys } from "./local-list";
import { LocalMultipart } from "./local-multipart";
import { LocalPresignConfig, signLocalUrl } from "./local-presign";
import { emptyReadable, toReadable } from "./streams";
import type { CompletedPart, GetOptions, ListOptions, ListPage, MultipartUpload, ObjectInfo, PresignedRequest, PutOptions, UploadedPart } from "./types";
import { bareEtag, checkExpiry, checkKey, checkLimit, checkPartNumber, checkPrefix, checkPutOptions, checkRange, compareKeys, sortedParts } from "./validate";

export interface LocalStoreOptions {
  /** Enables presigned URLs, served by `createLocalPresignHandler` mounted at `baseUrl`. */
  presign?: LocalPresignConfig;
}

export class LocalObjectStore extends BaseObjectStore {
  readonly uri: string;
  private readonly layout: LocalLayout;
  private readonly multipart: LocalMultipart;

  constructor(
    readonly root: string,
    private readonly options: LocalStoreOptions = {},
  ) {
    super();
    this.uri = `local://${root}`;
    this.layout = new LocalLayout(root);
    this.multipart = new LocalMultipart(this.uri, this.layout);
  }

  private check(key: string): void {
    checkKey(this.uri, key);
    checkLocalKey(this.uri, key);
  }

  async put(key: string, body: Readable | Buffer, options?: PutOptions): Promise<{ etag: string; size: number }> {
    this.check(key);
    checkPutOptions(this.uri, key, options);
    const { tmp, size, md5, ino } = await writeTemp(this.layout, toReadable(body));
    if (options?.contentLength !== undefined && options.contentLength !== size) {
      await fsp.rm(tmp, { force: true });
      throw invalidArgument(`${this.uri}: key '${key}': body has ${size} bytes, not the declared ${options.contentLength}`);
    }
    const etag = md5.toString("hex");
    await commitObject(this.uri, this.layout, key, tmp, { ino, size, etag, contentType: options?.contentType, metadata: options?.metadata });
    return { etag, size };
  }

  async get(key: string, options?: GetOptions): Promise<Readable> {
    this.check(key);
    const range = checkRange(this.uri, key, options);
    const handle = await this.openObject(key);
    const size = Number((await handle.stat()).size);
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? size - 1, size - 1);
    if (start >= size) {
      await handle.close();
      return emptyReadable();
    }
    return handle.createReadStream({ start, end, autoClose: true });
  }

  async head(key: string): Promise<ObjectInfo> {
    this.check(key);
    const stat = await this.statObject(key);
    return this.describe(key, stat);
  }

  async delete(key: string): Promise<void> {
    this.check(key);
    const file = this.layout.objectPath(key);
    try {
      if ((await fsp.lstat(file)).isFile()) await fsp.unlink(file);
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    const sidecar = this.layout.sidecarPath(key);
    await fsp.rm(sidecar, { force: true });
    await Promise.all([pruneEmptyDirs(path.dirname(file), this.root), pruneEmptyDirs(path.dirname(sidecar), this.layout.metaDir)]);
  }

  async list(options: ListOptions = {}): Promise<ListPage> {
    const prefix = options.prefix ?? "";
    checkPrefix(this.uri, prefix);
    const limit = checkLimit(this.uri, options.limit);
    let after = options.after;
    if (options.token !== undefined) {
      const resumeAt = decodeToken(this.uri, options.token);
      if (after === undefined || compareKeys(resumeAt, after) > 0) after = resumeAt;
    }
    const keys: string[] = [];
    for await (const key of walkKeys(this.root, { prefix, after })) {
      keys.push(key);
      if (keys.length > limit) break; // one more than a page: then there is a next page
    }
    const more = keys.length > limit;
    if (more) keys.pop();
    const objects = (await Promise.all(keys.map((key) => this.describeIfPresent(key)))).filter((o): o is ObjectInfo => o !== undefined);
    return { objects, nextToken: more ? encodeToken(keys[keys.length - 1]) : undefined };
  }

  async copy(sourceKey: string, destinationKey: string): Promise<{ etag: string }> {
    this.check(sourceKey);
    this.check(destinationKey);
    const source = await this.head(sourceKey);
    // Copy through a stream (not copyFile) so the bytes are fsynced in the temp file before the rename.
    const handle = await this.openObject(sourceKey);
    const { tmp, ino, size } = await writeTemp(this.layout, handle.createReadStream({ autoClose: true }));
    await commitObject(this.uri, this.layout, destinationKey, tmp, {
      ino,
      size,
      etag: source.etag,
      contentType: source.contentType,
      metadata: source.metadata,
    });
    return { etag: source.etag };
  }

  async createMultipartUpload(key: string, options?: PutOptions): Promise<MultipartUpload> {
    this.check(key);
    checkPutOptions(this.uri, key, options);
    return this.multipart.create(key, options);
  }

  async uploadPart(upload: MultipartUpload, partNumber: number, body: Readable | Buffer, contentLength?: number): Promise<CompletedPart> {
    this.check(upload.key);
    checkPartNumber(this.uri, upload.key, partNumber);
    return this.multipart.uploadPart(upload, partNumber, toReadable(body), contentLength);
  }

  async completeMultipartUpload(upload: MultipartUpload, parts: CompletedPart[]): Promise<{ etag: string }> {
    this.check(upload.key);
    const sorted = sortedParts(this.uri, upload.key, parts).map((p) => ({ ...p, etag: bareEtag(p.etag) }));
    return this.multipart.complete(upload, sorted);
  }

  async abortMultipartUpload(upload: MultipartUpload): Promise<void> {
    this.check(upload.key);
    await this.multipart.abort(upload);
  }

  async listParts(upload: MultipartUpload): Promise<UploadedPart[]> {
    this.check(upload.key);
    return this.multipart.list(upload);
  }

  async presignRequest(key: string, method: "GET" | "PUT", expiresInSeconds: number): Promise<PresignedRequest> {
    this.check(key);
    checkExpiry(this.uri, key, expiresInSeconds);
    const config = this.options.presign;
    if (!config) {
      throw failedPrecondition(
        `${this.uri}: key '${key}': a local store has no HTTP server of its own, so it cannot presign URLs ` +
          `unless it is configured with local.presign (a base URL where createLocalPresignHandler is mounted, and a secret)`,
      );
    }
    const expiresAt = new Date(Date.now() + expiresInSeconds * 1000);
    return { url: signLocalUrl(config, key, method, expiresAt), method, headers: {}, expiresAt };
  }

  async close(): Promise<void> {
    // Nothing is held open between calls.
  }

  private async openObject(key: string): Promise<fsp.FileHandle> {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(this.layout.objectPath(key), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch (err) {
      if (isMissing(err) || (err as NodeJS.ErrnoException).code === "ELOOP") throw keyNotFound(this.uri, key, err);
      throw err;
    }
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw keyNotFound(this.uri, key); // a directory of other keys is not an object
    }
    return handle;
  }

  private async statObject(key: string): Promise<fs.BigIntStats> {
    try {
      const stat = await fsp.lstat(this.layout.objectPath(key), { bigint: true });
      if (stat.isFile()) return stat;
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    throw keyNotFound(this.uri, key);
  }

  private async describe(key: string, stat: fs.BigIntStats): Promise<ObjectInfo> {
    const sidecar = await readSidecar(this.layout, key, stat.ino);
    return {
      key,
      size: Number(stat.size),
      etag: sidecar?.etag ?? statEtag(stat),
      lastModified: stat.mtime,
      contentType: sidecar?.contentType,
      metadata: sidecar?.metadata ?? {},
    };
  }

  /** For listing: a key deleted between the walk and the stat is simply left out. */
  private async describeIfPresent(key: string): Promise<ObjectInfo | undefined> {
    try {
      return await this.describe(key, await this.statObject(key));
    } catch (err) {
      if (hasCode(err, "NOT_FOUND")) return undefined;
      throw err;
    }
  }
}

const encodeToken = (lastKey: string): string => Buffer.from(lastKey, "utf8").toString("base64url");

function decodeToken(storeUri: string, token: string): string {
  const key = Buffer.from(token, "base64url").toString("utf8");
  if (token === "" || encodeToken(key) !== token) throw invalidArgument(`${storeUri}: list token '${token}' is not one this store returned`);
  return key;
}
