// One interface over every object store Tarn keeps data in. Keys are relative to the adapter's root
// (the storage namespace): "data/abc", "_tarn/<range id>". Adapters never see Tarn semantics.
import type { Readable } from "node:stream";

export interface ObjectInfo {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
  contentType?: string;
  metadata?: Record<string, string>;
}

export interface PutOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  /** Known length of the body, when the caller has it (lets S3 skip buffering). */
  contentLength?: number;
}

export interface GetOptions {
  /**
   * Inclusive byte range, as in HTTP Range: bytes=start-end. `end` omitted = to the end of the object.
   * Every adapter clamps `end` to the last byte, and a `start` at or past the end gives an empty body
   * (like pread), never an error: the object exists, there are just no bytes there.
   */
  range?: { start: number; end?: number };
}

/**
 * Listings come in the store's own key order: UTF-8 bytes on local and S3, UTF-16 code units on Azure
 * (and Azurite). The two differ only between characters U+E000..U+FFFF and those above U+FFFF; `after`
 * is compared in the same order as the store lists.
 */
export interface ListOptions {
  prefix?: string;
  /** List keys strictly after this one (exclusive start). */
  after?: string;
  /** Page size; adapters may return fewer. */
  limit?: number;
  /** An opaque token from a previous page's `nextToken`. */
  token?: string;
}

export interface ListPage {
  objects: ObjectInfo[];
  /** Set when there may be more; pass it back as `token`. */
  nextToken?: string;
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

/** A part of an upload in progress, as listParts reports it. */
export interface UploadedPart extends CompletedPart {
  size: number;
}

export interface MultipartUpload {
  uploadId: string;
  key: string;
}

/** What a presigned request needs besides its URL: plain `fetch(url, { method, headers, body })` works. */
export interface PresignedRequest {
  url: string;
  method: "GET" | "PUT";
  /** Headers the holder must send (Azure wants `x-ms-blob-type: BlockBlob` on a PUT); often empty. */
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface ObjectStore {
  /** A URI naming the store and its root, e.g. "s3://bucket/prefix", used in every error message. */
  readonly uri: string;

  put(key: string, body: Readable | Buffer, options?: PutOptions): Promise<{ etag: string; size: number }>;
  get(key: string, options?: GetOptions): Promise<Readable>;
  /** Whole object into memory: for small objects (ranges, metaranges, snapshots' index) only. */
  getBuffer(key: string, options?: GetOptions): Promise<Buffer>;
  /** Throws a NOT_FOUND TarnError when the key does not exist. */
  head(key: string): Promise<ObjectInfo>;
  exists(key: string): Promise<boolean>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  list(options?: ListOptions): Promise<ListPage>;
  /** All keys under a prefix, page by page. */
  listAll(prefix: string): AsyncIterable<ObjectInfo>;
  copy(sourceKey: string, destinationKey: string): Promise<{ etag: string }>;

  createMultipartUpload(key: string, options?: PutOptions): Promise<MultipartUpload>;
  /**
   * Part numbers 1..10,000; every part but the last must be at least 5 MiB on S3. A stream without
   * `contentLength` is read into memory first (S3 needs the length, Azure the MD5): parts are meant small.
   */
  uploadPart(upload: MultipartUpload, partNumber: number, body: Readable | Buffer, contentLength?: number): Promise<CompletedPart>;
  /** `parts` is a set: any order, sorted by number here; a wrong etag or a duplicate is INVALID_ARGUMENT. */
  completeMultipartUpload(upload: MultipartUpload, parts: CompletedPart[]): Promise<{ etag: string }>;
  /**
   * Drops the upload's parts where the store can (local, S3: later calls with this upload say NOT_FOUND).
   * Azure keeps staged blocks until a commit on the blob or a week passes: there abort is a no-op.
   */
  abortMultipartUpload(upload: MultipartUpload): Promise<void>;
  /**
   * The parts uploaded so far, by part number (for a number uploaded again, the last upload). NOT_FOUND for
   * an upload id this store did not issue or one completed or aborted (Azure: aborted uploads still list).
   */
  listParts(upload: MultipartUpload): Promise<UploadedPart[]>;

  /** A URL that lets its holder GET or PUT the object without credentials, until `expiresInSeconds`. */
  presign(key: string, method: "GET" | "PUT", expiresInSeconds: number): Promise<string>;
  /** The same, with the headers the request must carry. Prefer it for PUT: Azure needs a header. */
  presignRequest(key: string, method: "GET" | "PUT", expiresInSeconds: number): Promise<PresignedRequest>;

  close(): Promise<void>;
}
