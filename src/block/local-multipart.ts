// Multipart uploads on local disk. Each upload is a directory under .tarn-local/uploads/<id>/ holding
// upload.json (key, content type, metadata) and one file per part named "<part number>-<md5 hex>", so a
// part and its etag appear together in one rename. Completing concatenates the named parts in order into
// a temp file and commits it like a put; the etag is S3's: md5(concatenated part md5s) + "-" + count.
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { invalidArgument } from "../errors";
import { uploadNotFound } from "./errors";
import { commitObject, isMissing, tempName, writeTemp } from "./local-files";
import type { LocalLayout } from "./local-layout";
import type { CompletedPart, MultipartUpload, PutOptions, UploadedPart } from "./types";

const UPLOAD_ID = /^[0-9a-f]{32}$/;
const MD5_HEX = /^[0-9a-f]{32}$/; // checked before an etag becomes part of a file name
const partFileName = (partNumber: number, etag: string) => `${String(partNumber).padStart(5, "0")}-${etag}`;

interface UploadRecord {
  key: string;
  contentType?: string;
  metadata?: Record<string, string>;
}

export class LocalMultipart {
  constructor(
    private readonly storeUri: string,
    private readonly layout: LocalLayout,
  ) {}

  async create(key: string, options: PutOptions | undefined): Promise<MultipartUpload> {
    const uploadId = randomBytes(16).toString("hex");
    const dir = this.layout.uploadDir(uploadId);
    await fsp.mkdir(dir, { recursive: true });
    const record: UploadRecord = { key, contentType: options?.contentType, metadata: options?.metadata };
    await fsp.writeFile(path.join(dir, "upload.json"), JSON.stringify(record));
    return { uploadId, key };
  }

  async uploadPart(upload: MultipartUpload, partNumber: number, body: Readable, contentLength?: number): Promise<CompletedPart> {
    const dir = await this.openUpload(upload);
    const { tmp, size, md5 } = await writeTemp(this.layout, body);
    if (contentLength !== undefined && contentLength !== size) {
      await fsp.rm(tmp, { force: true });
      throw invalidArgument(`${this.storeUri}: key '${upload.key}': part ${partNumber} has ${size} bytes, not the declared ${contentLength}`);
    }
    const etag = md5.toString("hex");
    const prefix = partFileName(partNumber, "");
    try {
      await fsp.rename(tmp, path.join(dir, partFileName(partNumber, etag)));
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      if (isMissing(err)) throw uploadNotFound(this.storeUri, upload.key, upload.uploadId, err); // aborted meanwhile
      throw err;
    }
    // A part uploaded again replaces the earlier one: drop other files of the same number.
    for (const name of await fsp.readdir(dir)) {
      if (name.startsWith(prefix) && name !== partFileName(partNumber, etag)) await fsp.rm(path.join(dir, name), { force: true });
    }
    return { partNumber, etag };
  }

  /** `parts` are already validated and sorted by the caller. */
  async complete(upload: MultipartUpload, parts: CompletedPart[]): Promise<{ etag: string }> {
    const dir = await this.openUpload(upload);
    const record = JSON.parse(await fsp.readFile(path.join(dir, "upload.json"), "utf8")) as UploadRecord;
    const present = new Set(await fsp.readdir(dir));
    const files = parts.map(({ partNumber, etag }) => {
      const name = partFileName(partNumber, etag);
      if (!MD5_HEX.test(etag) || !present.has(name)) {
        throw invalidArgument(`${this.storeUri}: key '${upload.key}': part ${partNumber} with etag '${etag}' was not uploaded (missing part or wrong etag)`);
      }
      return path.join(dir, name);
    });
    await fsp.mkdir(this.layout.tmpDir, { recursive: true });
    const tmp = path.join(this.layout.tmpDir, tempName());
    const out = fs.createWriteStream(tmp, { flags: "wx", flush: true });
    await pipeline(async function* () {
      for (const file of files) yield* fs.createReadStream(file);
    }, out);
    const stat = await fsp.stat(tmp, { bigint: true });
    const md5s = Buffer.concat(parts.map((p) => Buffer.from(p.etag, "hex")));
    const etag = `${createHash("md5").update(md5s).digest("hex")}-${parts.length}`;
    await commitObject(this.storeUri, this.layout, upload.key, tmp, {
      ino: stat.ino.toString(),
      size: Number(stat.size),
      etag,
      contentType: record.contentType,
      metadata: record.metadata,
    });
    await fsp.rm(dir, { recursive: true, force: true });
    return { etag };
  }

  /** One file per part number ("<number>-<md5>"): its size is the part's. */
  async list(upload: MultipartUpload): Promise<UploadedPart[]> {
    const dir = await this.openUpload(upload);
    const parts: UploadedPart[] = [];
    for (const name of (await fsp.readdir(dir)).sort()) {
      const m = /^(\d{5})-([0-9a-f]{32})$/.exec(name);
      if (!m) continue;
      const stat = await fsp.stat(path.join(dir, name)).catch((err: unknown) => (isMissing(err) ? undefined : Promise.reject(err)));
      if (stat) parts.push({ partNumber: Number(m[1]), etag: m[2], size: stat.size });
    }
    return parts;
  }

  async abort(upload: MultipartUpload): Promise<void> {
    const dir = await this.openUpload(upload);
    await fsp.rm(dir, { recursive: true, force: true });
  }

  /** The upload's directory, after checking the id's shape (it becomes a path) and that it is this key's. */
  private async openUpload(upload: MultipartUpload): Promise<string> {
    const { uploadId, key } = upload;
    if (typeof uploadId !== "string" || !UPLOAD_ID.test(uploadId)) throw uploadNotFound(this.storeUri, key, String(uploadId));
    const dir = this.layout.uploadDir(uploadId);
    try {
      const record = JSON.parse(await fsp.readFile(path.join(dir, "upload.json"), "utf8")) as UploadRecord;
      if (record.key !== key) throw uploadNotFound(this.storeUri, key, uploadId);
    } catch (err) {
      if (isMissing(err)) throw uploadNotFound(this.storeUri, key, uploadId, err);
      throw err;
    }
    return dir;
  }
}
