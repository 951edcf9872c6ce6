// A minimal local-disk ObjectStore for the graveler tests, used until (and independently of) the block
// module's local adapter: the engine relies only on put, getBuffer, exists and head.
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type { ListPage, ObjectInfo, ObjectStore } from "../../../src/block/types";
import { notFound, TarnError } from "../../../src/errors";

export class TestLocalStore implements ObjectStore {
  readonly uri: string;
  constructor(readonly root: string) {
    this.uri = `local://${root}`;
    fs.mkdirSync(root, { recursive: true });
  }

  private file(key: string): string {
    if (key.split("/").includes("..") || path.isAbsolute(key)) throw new TarnError("INVALID_ARGUMENT", `${this.uri}: key ${key} escapes the root`);
    return path.join(this.root, key);
  }

  async put(key: string, body: Readable | Buffer): Promise<{ etag: string; size: number }> {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.concat(await (body as Readable).toArray());
    const f = this.file(key);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f + ".tmp", bytes);
    fs.renameSync(f + ".tmp", f);
    return { etag: createHash("md5").update(bytes).digest("hex"), size: bytes.length };
  }

  async get(): Promise<Readable> {
    throw new Error("not used by graveler");
  }

  async getBuffer(key: string): Promise<Buffer> {
    try {
      return fs.readFileSync(this.file(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw notFound(`${this.uri}/${key}: no such object`);
      throw err;
    }
  }

  async head(key: string): Promise<ObjectInfo> {
    try {
      const st = fs.statSync(this.file(key));
      return { key, size: st.size, etag: "", lastModified: st.mtime };
    } catch {
      throw notFound(`${this.uri}/${key}: no such object`);
    }
  }

  async exists(key: string): Promise<boolean> {
    return fs.existsSync(this.file(key));
  }

  async delete(key: string): Promise<void> {
    fs.rmSync(this.file(key), { force: true });
  }

  /** Keys under a prefix (directory), sorted. */
  keys(prefix: string): string[] {
    const dir = this.file(prefix);
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => !f.endsWith(".tmp")).sort().map((f) => `${prefix}/${f}`) : [];
  }

  async list(): Promise<ListPage> {
    throw new Error("not used by graveler");
  }
  async *listAll(): AsyncIterable<ObjectInfo> {
    throw new Error("not used by graveler");
  }
  copy(): Promise<{ etag: string }> {
    throw new Error("not used by graveler");
  }
  createMultipartUpload(): never {
    throw new Error("not used by graveler");
  }
  uploadPart(): never {
    throw new Error("not used by graveler");
  }
  completeMultipartUpload(): never {
    throw new Error("not used by graveler");
  }
  abortMultipartUpload(): never {
    throw new Error("not used by graveler");
  }
  presign(): never {
    throw new Error("not used by graveler");
  }
  async close(): Promise<void> {}
}
