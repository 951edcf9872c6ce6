// The operations every adapter derives the same way from its primitives, written once.
import type { Readable } from "node:stream";
import { hasCode } from "../errors";
import { MissingStoreError } from "./errors";
import { readAll } from "./streams";
import type {
  CompletedPart,
  GetOptions,
  ListOptions,
  ListPage,
  MultipartUpload,
  ObjectInfo,
  ObjectStore,
  PresignedRequest,
  PutOptions,
  UploadedPart,
} from "./types";

export abstract class BaseObjectStore implements ObjectStore {
  abstract readonly uri: string;

  abstract put(key: string, body: Readable | Buffer, options?: PutOptions): Promise<{ etag: string; size: number }>;
  abstract get(key: string, options?: GetOptions): Promise<Readable>;
  abstract head(key: string): Promise<ObjectInfo>;
  abstract delete(key: string): Promise<void>;
  abstract list(options?: ListOptions): Promise<ListPage>;
  abstract copy(sourceKey: string, destinationKey: string): Promise<{ etag: string }>;
  abstract createMultipartUpload(key: string, options?: PutOptions): Promise<MultipartUpload>;
  abstract uploadPart(upload: MultipartUpload, partNumber: number, body: Readable | Buffer, contentLength?: number): Promise<CompletedPart>;
  abstract completeMultipartUpload(upload: MultipartUpload, parts: CompletedPart[]): Promise<{ etag: string }>;
  abstract abortMultipartUpload(upload: MultipartUpload): Promise<void>;
  abstract listParts(upload: MultipartUpload): Promise<UploadedPart[]>;
  abstract presignRequest(key: string, method: "GET" | "PUT", expiresInSeconds: number): Promise<PresignedRequest>;
  abstract close(): Promise<void>;

  async getBuffer(key: string, options?: GetOptions): Promise<Buffer> {
    return readAll(await this.get(key, options));
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.head(key);
      return true;
    } catch (err) {
      // A missing bucket is NOT_FOUND too, but `exists` answers only for keys: that one propagates.
      if (hasCode(err, "NOT_FOUND") && !(err instanceof MissingStoreError)) return false;
      throw err;
    }
  }

  async *listAll(prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      const page = await this.list({ prefix, token });
      yield* page.objects;
      token = page.nextToken;
    } while (token !== undefined);
  }

  async presign(key: string, method: "GET" | "PUT", expiresInSeconds: number): Promise<string> {
    return (await this.presignRequest(key, method, expiresInSeconds)).url;
  }
}
