// Range and metarange files of one repository: on its object store under `_tarn/<id>`, cached on local disk
// (files are immutable and content-addressed, so a cached copy never goes stale). Reading is synchronous over
// the cache; `ensureLocal` fetches what is missing first. Newly written files wait in the cache until
// `uploadPending` puts them on the object store, before any ref points at them.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { CorruptionError, isCorruption, TarnError } from "../../errors";
import type { ObjectStore } from "../../block/types";
import { BlockCache, openTableFile, OpenTable, TableOptions } from "./table";
import type { TableSink } from "./table-builder";

const MAX_OPEN_TABLES = 512;

export class RangeStore implements TableSink {
  private readonly open = new Map<string, OpenTable>();
  private readonly pending = new Set<string>();
  private readonly local = new Set<string>();

  constructor(
    readonly repository: string,
    readonly objectStore: ObjectStore,
    private readonly cacheDir: string,
    private readonly blockCache: BlockCache,
    readonly options: TableOptions,
  ) {
    fs.mkdirSync(path.join(cacheDir, "tmp"), { recursive: true });
  }

  /** The name of a table in error messages: the object's URI and the repository it belongs to. */
  describe(id: string): string {
    return `${this.objectStore.uri.replace(/\/$/, "")}/_tarn/${id} (repository ${this.repository})`;
  }

  temporaryFile(): string {
    return path.join(this.cacheDir, "tmp", randomBytes(12).toString("hex"));
  }

  adopt(temporaryFile: string, id: string): void {
    const final = path.join(this.cacheDir, id);
    if (this.local.has(id) || fs.existsSync(final)) fs.rmSync(temporaryFile, { force: true });
    else fs.renameSync(temporaryFile, final);
    this.local.add(id);
    this.pending.add(id);
  }

  /** Puts every table written since the last call on the object store (skipping those already there). */
  async uploadPending(): Promise<string[]> {
    const uploaded: string[] = [];
    const ids = [...this.pending];
    await runLimited(ids, 8, async (id) => {
      const key = `_tarn/${id}`;
      if (!(await this.objectStore.exists(key))) {
        await this.objectStore.put(key, await fs.promises.readFile(path.join(this.cacheDir, id)));
        uploaded.push(id);
      }
      this.pending.delete(id);
    });
    return uploaded;
  }

  /** Drops tables written by a failed operation from the upload queue. */
  forgetPending(): void {
    this.pending.clear();
  }

  isLocal(id: string): boolean {
    if (this.local.has(id)) return true;
    if (fs.existsSync(path.join(this.cacheDir, id))) {
      this.local.add(id);
      return true;
    }
    return false;
  }

  async ensureLocal(ids: Iterable<string>): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.isLocal(id));
    await runLimited(missing, 8, async (id) => {
      let bytes: Buffer;
      try {
        bytes = await this.objectStore.getBuffer(`_tarn/${id}`);
      } catch (err) {
        if (err instanceof TarnError && err.code === "NOT_FOUND") throw new CorruptionError(this.describe(id), "file is missing from the object store", { cause: err });
        throw err;
      }
      const tmp = this.temporaryFile();
      await fs.promises.writeFile(tmp, bytes);
      await fs.promises.rename(tmp, path.join(this.cacheDir, id));
      this.local.add(id);
    });
  }

  /** An open table from the local cache; `ensureLocal` must have fetched it. */
  table(id: string): OpenTable {
    const cached = this.open.get(id);
    if (cached) return cached;
    if (!this.isLocal(id)) throw new TarnError("INTERNAL", `${this.describe(id)} read before it was fetched`);
    let table: OpenTable;
    try {
      table = openTableFile(path.join(this.cacheDir, id), this.describe(id), this.blockCache);
    } catch (err) {
      throw this.corrupt(id, err);
    }
    if (this.open.size >= MAX_OPEN_TABLES) {
      const oldest = this.open.keys().next().value as string;
      this.open.get(oldest)?.close();
      this.open.delete(oldest);
    }
    this.open.set(id, table);
    return table;
  }

  /**
   * Turns an error met while reading table `id` into one that names the file and the repository, and drops the
   * cached copy so that the next attempt fetches it again.
   */
  corrupt(id: string, err: unknown): Error {
    if (!isCorruption(err) && !(err instanceof Error && /corrupt|checksum|magic|truncat/i.test(err.message))) return err as Error;
    this.open.get(id)?.close();
    this.open.delete(id);
    this.local.delete(id);
    fs.rmSync(path.join(this.cacheDir, id), { force: true });
    if (isCorruption(err) && err.file.includes(id)) return err;
    return new CorruptionError(this.describe(id), (err as Error).message, { cause: err });
  }

  close(): void {
    for (const t of this.open.values()) t.close();
    this.open.clear();
  }
}

async function runLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}
