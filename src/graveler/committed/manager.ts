// The committed manager: reads and writes trees of ranges for the versioning controller. Everything that
// touches the object store is async and happens around the synchronous diff/merge/apply cores: fetch the
// ranges a step needs, run the step, upload what it wrote.
import * as crypto from "node:crypto";
import * as path from "node:path";
import { failedPrecondition } from "../../errors";
import { openObjectStore } from "../../block";
import type { ObjectStore } from "../../block/types";
import type { MetaRangeId } from "../ids";
import { Applier, Change } from "./apply";
import { CommittedCursor } from "./cursor";
import { Difference, DiffIterator } from "./diff";
import { ArrayIterator, ValueIterator } from "./iterator";
import { mergeChanges, MergeStrategy } from "./merge";
import { substituteUnchangedRegions } from "./merge-ranges";
import { readMetaRange, writeMetaRange } from "./metarange";
import { MetaRangeIterator, sharedRanges } from "./metarange-iterator";
import { rangeHolds, rangeIndexFor, RangeRecord } from "./records";
import { DEFAULT_RANGE_SHAPE, RangeShape, RangeWriter } from "./range-writer";
import { RangeStore } from "./store";
import { BlockCache, newBlockCache, TableOptions } from "./table";

export interface CommittedOptions {
  /** Local directory that caches range and metarange files. */
  cacheDir: string;
  /** Opens the object store of a storage namespace; default: openObjectStore(namespace) from src/block. */
  openStore?: (storageNamespace: string) => ObjectStore;
  shape?: Partial<RangeShape>;
  table?: Partial<TableOptions>;
  blockCacheBytes?: number;
}

export interface Repo {
  name: string;
  storageNamespace: string;
}

export interface ApplyResult {
  metaRangeId: MetaRangeId;
  /** Changes that altered the tree. */
  effective: number;
  /** Range IDs written (not reused). */
  rangesWritten: string[];
}

const METARANGE_CACHE = 64;

export class CommittedManager {
  private readonly stores = new Map<string, RangeStore>();
  private readonly metaRanges = new Map<string, RangeRecord[]>();
  private readonly shape: RangeShape;
  private readonly tableOptions: TableOptions;
  private readonly blockCache: BlockCache;

  constructor(private readonly options: CommittedOptions) {
    this.shape = { ...DEFAULT_RANGE_SHAPE, ...options.shape };
    this.tableOptions = { compression: "snappy", blockSize: 32 * 1024, ...options.table };
    this.blockCache = newBlockCache(options.blockCacheBytes ?? 256 * 1024 * 1024);
  }

  store(repo: Repo): RangeStore {
    const key = `${repo.name}\0${repo.storageNamespace}`;
    let s = this.stores.get(key);
    if (!s) {
      const dir = path.join(this.options.cacheDir, crypto.createHash("sha256").update(repo.storageNamespace).digest("hex").slice(0, 24));
      const objectStore = (this.options.openStore ?? ((ns: string) => openObjectStore(ns)))(repo.storageNamespace);
      s = new RangeStore(repo.name, objectStore, dir, this.blockCache, this.tableOptions);
      this.stores.set(key, s);
    }
    return s;
  }

  async metaRange(repo: Repo, id: MetaRangeId): Promise<RangeRecord[]> {
    const cached = this.metaRanges.get(id);
    if (cached) return cached;
    const store = this.store(repo);
    await store.ensureLocal([id]);
    let records: RangeRecord[];
    try {
      records = readMetaRange(store.table(id).iterator(), store.describe(id));
    } catch (err) {
      throw store.corrupt(id, err);
    }
    if (this.metaRanges.size >= METARANGE_CACHE) this.metaRanges.delete(this.metaRanges.keys().next().value as string);
    this.metaRanges.set(id, records);
    return records;
  }

  /** Writes a metarange from records and puts every new table on the object store. */
  private async writeTree(store: RangeStore, records: RangeRecord[]): Promise<MetaRangeId> {
    const id = writeMetaRange(store, records);
    await store.uploadPending();
    this.metaRanges.set(id, records);
    return id;
  }

  emptyMetaRange(repo: Repo): Promise<MetaRangeId> {
    return this.writeTree(this.store(repo), []);
  }

  async get(repo: Repo, id: MetaRangeId, key: Buffer): Promise<Buffer | undefined> {
    const records = await this.metaRange(repo, id);
    const i = rangeIndexFor(records, key);
    if (i >= records.length || !rangeHolds(records[i], key)) return undefined;
    const store = this.store(repo);
    await store.ensureLocal([records[i].id]);
    try {
      const v = store.table(records[i].id).get(key);
      return v && Buffer.from(v);
    } catch (err) {
      throw store.corrupt(records[i].id, err);
    }
  }

  async cursor(repo: Repo, id: MetaRangeId): Promise<CommittedCursor> {
    return new CommittedCursor(this.store(repo), await this.metaRange(repo, id));
  }

  /** Applies sorted changes (in chunks) to a tree; writes only the ranges the changes land in. */
  async apply(repo: Repo, base: MetaRangeId, chunks: AsyncIterable<Change[]> | Iterable<Change[]>): Promise<ApplyResult> {
    return this.applyToRecords(repo, await this.metaRange(repo, base), chunks);
  }

  private async applyToRecords(repo: Repo, records: readonly RangeRecord[], chunks: AsyncIterable<Change[]> | Iterable<Change[]>): Promise<ApplyResult> {
    const store = this.store(repo);
    const writer = new RangeWriter(store, this.shape);
    const applier = new Applier(store, records, writer);
    try {
      for await (const chunk of chunks) {
        await store.ensureLocal(applier.rangesTouched(chunk).map((r) => r.id));
        applier.feed(chunk);
      }
      const result = applier.finish();
      const metaRangeId = await this.writeTree(store, result);
      return { metaRangeId, effective: applier.effective, rangesWritten: writer.written };
    } catch (err) {
      writer.abort();
      throw err;
    }
  }

  /** Writes a tree straight from sorted entries (bulk import; no staging). */
  async importSorted(repo: Repo, entries: Iterable<[Buffer, Buffer]>): Promise<MetaRangeId> {
    const store = this.store(repo);
    const writer = new RangeWriter(store, this.shape);
    let last: Buffer | undefined;
    try {
      for (const [key, value] of entries) {
        if (last && Buffer.compare(key, last) <= 0) throw failedPrecondition(`import: keys must be strictly increasing (${key.toString()} after ${last.toString()})`);
        last = key;
        writer.add(key, value);
      }
      return await this.writeTree(store, writer.finish());
    } catch (err) {
      writer.abort();
      throw err;
    }
  }

  /** Fetches the ranges a diff of a and b reads, and returns the iterators that leave shared ranges out. */
  private async diffIterators(repo: Repo, a: RangeRecord[], b: RangeRecord[]): Promise<[ValueIterator, ValueIterator]> {
    const store = this.store(repo);
    const shared = sharedRanges(a, b);
    await store.ensureLocal([...a, ...b].filter((r) => !shared.has(r.id)).map((r) => r.id));
    return [new MetaRangeIterator(store, a, shared), new MetaRangeIterator(store, b, shared)];
  }

  /** The differences from `left` to `right` in key order: all, or a page of keys strictly after `after`. */
  async diff(repo: Repo, left: MetaRangeId, right: MetaRangeId, page: { after?: Buffer; limit?: number } = {}): Promise<Difference[]> {
    if (left === right) return [];
    let [a, b] = [await this.metaRange(repo, left), await this.metaRange(repo, right)];
    if (page.after) {
      // Ranges wholly at or before `after` are not read (nor fetched).
      const from = (records: RangeRecord[]) => records.slice(rangeIndexFor(records, Buffer.concat([page.after!, Buffer.from([0])])));
      [a, b] = [from(a), from(b)];
    }
    const [l, r] = await this.diffIterators(repo, a, b);
    const it = new DiffIterator(l, r);
    const out: Difference[] = [];
    const limit = page.limit ?? Infinity;
    try {
      if (page.after) it.seekGE(Buffer.concat([page.after, Buffer.from([0])]));
      while (out.length < limit && it.next()) out.push(it.value());
    } finally {
      it.close();
    }
    return out;
  }

  /**
   * Three-way merge of source into dest with `base` as the merge base. Throws FAILED_PRECONDITION listing the
   * conflicting paths when the strategy is "none" and both sides changed a path differently.
   */
  async merge(repo: Repo, base: MetaRangeId, source: MetaRangeId, dest: MetaRangeId, strategy: MergeStrategy): Promise<ApplyResult> {
    // Whole-tree fast paths: a side that did not change since the base contributes nothing.
    if (source === base || source === dest) return { metaRangeId: dest, effective: 0, rangesWritten: [] };
    if (dest === base) return { metaRangeId: source, effective: 0, rangesWritten: [] };
    const store = this.store(repo);
    const [baseRecords, sourceRecords] = [await this.metaRange(repo, base), await this.metaRange(repo, source)];
    const fast = substituteUnchangedRegions(baseRecords, sourceRecords, await this.metaRange(repo, dest));
    const destRecords = fast.dest;
    const changes = await this.diffRecords(repo, baseRecords, sourceRecords, fast.handled);
    const touched = new Set<string>();
    let i = 0;
    for (const d of changes) {
      i = rangeIndexFor(destRecords, d.key, i);
      if (i < destRecords.length && rangeHolds(destRecords[i], d.key)) touched.add(destRecords[i].id);
    }
    await store.ensureLocal(touched);
    const merged = mergeChanges(changes, new MetaRangeIterator(store, destRecords), strategy);
    if (merged.conflicts.length > 0) {
      const shown = merged.conflicts.slice(0, 20).map((k) => JSON.stringify(k.toString("utf8")));
      const more = merged.conflicts.length > 20 ? ` and ${merged.conflicts.length - 20} more` : "";
      throw failedPrecondition(`merge conflict in repository ${repo.name}: ${merged.conflicts.length} path(s) changed on both sides: ${shown.join(", ")}${more}`);
    }
    return this.applyToRecords(repo, destRecords, [merged.changes]);
  }

  /** Every difference between two lists of ranges, leaving out shared ranges and those in `skip`. */
  private async diffRecords(repo: Repo, a: RangeRecord[], b: RangeRecord[], skip: ReadonlySet<string>): Promise<Difference[]> {
    const [l, r] = await this.diffIterators(repo, a.filter((x) => !skip.has(x.id)), b.filter((x) => !skip.has(x.id)));
    const it = new DiffIterator(l, r);
    const out: Difference[] = [];
    try {
      while (it.next()) out.push(it.value());
    } finally {
      it.close();
    }
    return out;
  }

  /** The values of `keys` (sorted) in a tree, for callers that compare staged entries with committed ones. */
  async getMany(repo: Repo, id: MetaRangeId, keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    const store = this.store(repo);
    const records = await this.metaRange(repo, id);
    const touched = new Set<string>();
    for (const k of keys) {
      const i = rangeIndexFor(records, k);
      if (i < records.length && rangeHolds(records[i], k)) touched.add(records[i].id);
    }
    await store.ensureLocal(touched);
    const it = new MetaRangeIterator(store, records);
    try {
      return keys.map((k) => (it.seekGE(k) && it.key().equals(k) ? Buffer.from(it.value()) : undefined));
    } finally {
      it.close();
    }
  }

  /** Closes open tables and the object stores this manager opened. */
  async close(): Promise<void> {
    for (const s of this.stores.values()) s.close();
    await Promise.all([...this.stores.values()].map((s) => s.objectStore.close().catch(() => undefined)));
    this.stores.clear();
  }
}

export { ArrayIterator };
