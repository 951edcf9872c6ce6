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
import { Difference, DiffIterator, takeDifferences } from "./diff";
import { ArrayIterator } from "./iterator";
import { Conflicts, mergeBatch, MergeStrategy } from "./merge";
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

/** Counts kept by streams, for tests and monitoring: the most items held in memory at once. */
export interface StreamStats {
  maxBuffered: number;
}

const METARANGE_CACHE = 64;
/** Differences read at a time by merges and unpaged diffs. */
const DIFF_BATCH = 10_000;

/** IDs of the ranges that hold the keys of sorted differences (the ranges a merge step reads). */
function rangesHolding(records: readonly RangeRecord[], diffs: readonly Difference[]): Set<string> {
  const ids = new Set<string>();
  let i = 0;
  for (const d of diffs) {
    i = rangeIndexFor(records, d.key, i);
    if (i < records.length && rangeHolds(records[i], d.key)) ids.add(records[i].id);
  }
  return ids;
}

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

  /**
   * Feeds chunks of changes to an applier range by range (memory holds one chunk and the range being written).
   * `beforeWrite` may refuse the result after the last chunk, before the metarange is written or anything uploaded.
   */
  private async applyToRecords(repo: Repo, records: readonly RangeRecord[], chunks: AsyncIterable<Change[]> | Iterable<Change[]>, beforeWrite?: () => void): Promise<ApplyResult> {
    const store = this.store(repo);
    const writer = new RangeWriter(store, this.shape);
    const applier = new Applier(store, records, writer);
    try {
      for await (const chunk of chunks) {
        await store.ensureLocal(applier.rangesTouched(chunk).map((r) => r.id));
        applier.feed(chunk);
      }
      beforeWrite?.();
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

  /**
   * A diff iterator over two lists of ranges that leaves out the ranges both share (never read nor fetched) and
   * those in `skip`; the ranges it can reach are fetched first.
   */
  private async diffIterator(repo: Repo, a: readonly RangeRecord[], b: readonly RangeRecord[], skip?: ReadonlySet<string>): Promise<DiffIterator> {
    const store = this.store(repo);
    const shared = sharedRanges(a, b);
    for (const id of skip ?? []) shared.add(id);
    await store.ensureLocal([...a, ...b].filter((r) => !shared.has(r.id)).map((r) => r.id));
    return new DiffIterator(new MetaRangeIterator(store, a, shared), new MetaRangeIterator(store, b, shared));
  }

  /**
   * The differences from `left` to `right` in key order, strictly after `after` when given, as a stream of
   * batches of at most `batch` differences: memory holds one batch whatever the size of the diff.
   * `stats.maxBuffered` records the most differences held at once.
   */
  async *diffBatches(repo: Repo, left: MetaRangeId, right: MetaRangeId, options: { after?: Buffer; batch: number; stats?: StreamStats }): AsyncGenerator<Difference[]> {
    if (left === right) return;
    let [a, b] = [await this.metaRange(repo, left), await this.metaRange(repo, right)];
    const from = options.after && Buffer.concat([options.after, Buffer.from([0])]);
    if (from) {
      // Ranges wholly at or before `after` are not read (nor fetched).
      [a, b] = [a.slice(rangeIndexFor(a, from)), b.slice(rangeIndexFor(b, from))];
    }
    const it = await this.diffIterator(repo, a, b);
    try {
      if (from) it.seekGE(from);
      for (;;) {
        const batch = takeDifferences(it, options.batch);
        if (options.stats) options.stats.maxBuffered = Math.max(options.stats.maxBuffered, batch.length);
        if (batch.length > 0) yield batch;
        if (batch.length < options.batch) return;
      }
    } finally {
      it.close();
    }
  }

  /** The differences from `left` to `right` in key order: all, or a page of keys strictly after `after`. */
  async diff(repo: Repo, left: MetaRangeId, right: MetaRangeId, page: { after?: Buffer; limit?: number } = {}): Promise<Difference[]> {
    const limit = page.limit ?? Infinity;
    const out: Difference[] = [];
    for await (const batch of this.diffBatches(repo, left, right, { after: page.after, batch: Math.min(limit, DIFF_BATCH) })) {
      for (const d of batch) out.push(d);
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * Three-way merge of source into dest with `base` as the merge base. Throws FAILED_PRECONDITION listing the
   * conflicting paths when the strategy is "none" and both sides changed a path differently. Streams: the
   * base→source differences are read a batch at a time and the result is written range by range.
   */
  async merge(repo: Repo, base: MetaRangeId, source: MetaRangeId, dest: MetaRangeId, strategy: MergeStrategy): Promise<ApplyResult> {
    // Whole-tree fast paths: a side that did not change since the base contributes nothing.
    if (source === base || source === dest) return { metaRangeId: dest, effective: 0, rangesWritten: [] };
    if (dest === base) return { metaRangeId: source, effective: 0, rangesWritten: [] };
    const store = this.store(repo);
    const [baseRecords, sourceRecords] = [await this.metaRange(repo, base), await this.metaRange(repo, source)];
    const fast = substituteUnchangedRegions(baseRecords, sourceRecords, await this.metaRange(repo, dest));
    const destRecords = fast.dest;
    const diff = await this.diffIterator(repo, baseRecords, sourceRecords, fast.handled);
    const destIt = new MetaRangeIterator(store, destRecords);
    const conflicts = new Conflicts();
    async function* changes(): AsyncGenerator<Change[]> {
      for (;;) {
        const batch = takeDifferences(diff, DIFF_BATCH);
        if (batch.length === 0) return;
        await store.ensureLocal(rangesHolding(destRecords, batch));
        const merged = mergeBatch(batch, destIt, strategy, conflicts);
        // After the first conflict nothing will be written: keep reading only to count the conflicts.
        if (conflicts.count === 0 && merged.length > 0) yield merged;
      }
    }
    try {
      return await this.applyToRecords(repo, destRecords, changes(), () => {
        if (conflicts.count === 0) return;
        const shown = conflicts.shown.map((k) => JSON.stringify(k.toString("utf8")));
        const more = conflicts.count > shown.length ? ` and ${conflicts.count - shown.length} more` : "";
        throw failedPrecondition(`merge conflict in repository ${repo.name}: ${conflicts.count} path(s) changed on both sides: ${shown.join(", ")}${more}`);
      });
    } finally {
      diff.close();
      destIt.close();
    }
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
