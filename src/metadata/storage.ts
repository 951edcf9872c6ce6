// The object stores behind repositories, as the upload and download RPCs need them: a fresh physical
// address for new bytes, direct access for a local store the client shares, presigned URLs otherwise.
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { LocalObjectStore, ObjectStore, ObjectStoreConfig, parseStoreUri, StoreLocation } from "../block";
import { failedPrecondition } from "../errors";
import type { StoreAccess } from "./messages";
import { presignS3Parts } from "./s3-parts";

export interface StorageOptions {
  /** Opens the store of a storage namespace (the same function graveler's committed manager uses). */
  openStore: (storageNamespace: string) => ObjectStore;
  /** The configuration the stores were opened with: presigning multipart parts on S3 needs it. */
  config?: ObjectStoreConfig;
  /** How long presigned URLs work; default 15 minutes. */
  presignExpirySeconds?: number;
}

export class Storage {
  private readonly stores = new Map<string, ObjectStore>();
  readonly expirySeconds: number;

  constructor(private readonly options: StorageOptions) {
    this.expirySeconds = options.presignExpirySeconds ?? 900;
  }

  store(namespace: string): ObjectStore {
    let s = this.stores.get(namespace);
    if (!s) {
      s = this.options.openStore(namespace);
      this.stores.set(namespace, s);
    }
    return s;
  }

  location(namespace: string): StoreLocation {
    return parseStoreUri(namespace);
  }

  /** data/<time><random>: unique without coordination, and roughly ordered by creation for listing. */
  newAddress(now = Date.now()): string {
    return `data/${now.toString(16).padStart(12, "0")}${randomBytes(12).toString("hex")}`;
  }

  expiresAt(): number {
    return Math.floor(Date.now() / 1000) + this.expirySeconds;
  }

  /** Direct access for a local store (the client shares this machine's file system); undefined otherwise. */
  direct(namespace: string, key: string): StoreAccess | undefined {
    const s = this.store(namespace);
    if (s instanceof LocalObjectStore) return { local: { path: path.join(s.root, ...key.split("/")) } };
    return undefined;
  }

  async presign(namespace: string, key: string, method: "GET" | "PUT"): Promise<string> {
    return (await this.store(namespace).presignRequest(key, method, this.expirySeconds)).url;
  }

  /** Presigned UploadPart URLs; only S3 stores can hand these out. */
  async presignParts(namespace: string, key: string, uploadId: string, partNumbers: number[]): Promise<string[]> {
    const location = this.location(namespace);
    if (location.kind !== "s3") {
      throw failedPrecondition(`storage namespace ${namespace}: presigned multipart parts need an S3 store; upload with one presigned PUT or direct access instead`);
    }
    return presignS3Parts({ ...location, ...(this.options.config?.s3 ?? {}) }, key, uploadId, partNumbers, this.expirySeconds);
  }

  async close(): Promise<void> {
    for (const s of this.stores.values()) await s.close().catch(() => undefined);
    this.stores.clear();
  }
}
