// The staging manager: uncommitted entries, one key space per staging token, kept in the key-value store.
// A staged value is 0x01 followed by the encoded entry, or 0x00 alone: a tombstone (the path is deleted).
import type { KvMutation, KvPrecondition, KvStore } from "../kv/types";
import { prefixEnd, scanAll } from "../kv/types";
import type { StagingToken } from "../ids";
import { keys } from "../keys";

export const TOMBSTONE = Buffer.from([0]);

export const stagedValue = (value: Buffer | undefined): Buffer => (value === undefined ? TOMBSTONE : Buffer.concat([Buffer.from([1]), value]));

/** The encoded entry of a staged value, or undefined for a tombstone. */
export const unstage = (staged: Buffer): Buffer | undefined => (staged[0] === 0 ? undefined : staged.subarray(1));

export interface StagedEntry {
  path: Buffer;
  /** Encoded entry, or undefined for a tombstone. */
  value: Buffer | undefined;
}

/** When dropped staging entries are compacted away (see KvStore.compact). */
export interface CompactionPolicy {
  /** A drop that deletes this many keys compacts its own key range right away. */
  drop: number;
  /** Smaller drops add up; past this many deletes the whole staging key space is compacted once. */
  accumulated: number;
}

const DEFAULT_COMPACTION: CompactionPolicy = { drop: 1000, accumulated: 50_000 };

export class StagingManager {
  /** Keys deleted by small drops since the staging key space was last compacted. */
  private uncompacted = 0;

  constructor(
    private readonly kv: KvStore,
    private readonly compaction: CompactionPolicy = DEFAULT_COMPACTION,
  ) {}

  setMutation(token: StagingToken, path: string, value: Buffer | undefined): KvMutation {
    return { op: "put", key: keys.staged(token, path), value: stagedValue(value) };
  }

  /** The staged value of a path: undefined when not staged, {value: undefined} for a tombstone. */
  async get(token: StagingToken, path: Buffer): Promise<{ value: Buffer | undefined } | undefined> {
    const r = await this.kv.get(Buffer.concat([keys.staging(token), path]));
    return r && { value: unstage(r.value) };
  }

  /** One page of staged entries in path order, under `prefix`, strictly after `after` or from `from`. */
  async scan(token: StagingToken, options: { prefix?: Buffer; after?: Buffer; from?: Buffer; limit: number }): Promise<StagedEntry[]> {
    const base = keys.staging(token);
    const records = await this.kv.scan({
      prefix: Buffer.concat([base, options.prefix ?? Buffer.alloc(0)]),
      after: options.after && Buffer.concat([base, options.after]),
      start: options.from && Buffer.concat([base, options.from]),
      limit: options.limit,
    });
    return records.map((r) => ({ path: r.key.subarray(base.length), value: unstage(r.value) }));
  }

  async isEmpty(token: StagingToken): Promise<boolean> {
    return (await this.kv.scan({ prefix: keys.staging(token), limit: 1 })).length === 0;
  }

  /**
   * Deletes the staged entries of a token (under a path prefix when given), in batches. Each batch is written
   * only if every precondition holds (a caller passes its branch record, so that the deletes stop with
   * FAILED_PRECONDITION as soon as the branch moves).
   */
  async drop(token: StagingToken, prefix = "", preconditions: KvPrecondition[] = []): Promise<void> {
    const under = keys.staged(token, prefix);
    let batch: KvMutation[] = [];
    let deleted = 0;
    for await (const r of scanAll(this.kv, { prefix: under })) {
      batch.push({ op: "delete", key: r.key });
      if (batch.length >= 5000) {
        await this.kv.write({ preconditions, mutations: batch });
        deleted += batch.length;
        batch = [];
      }
    }
    if (batch.length) await this.kv.write({ preconditions, mutations: batch });
    await this.compactAfter(under, deleted + batch.length);
  }

  /**
   * Lets the store forget the keys a drop deleted (see KvStore.compact: otherwise every scan of a staging token
   * sorting just before them walks their tombstones): a big drop at once, small ones once they add up.
   */
  private async compactAfter(prefix: Buffer, deleted: number): Promise<void> {
    if (!this.kv.compact || deleted === 0) return;
    if (deleted >= this.compaction.drop) {
      await this.kv.compact(prefix, prefixEnd(prefix) ?? prefix);
      return;
    }
    this.uncompacted += deleted;
    if (this.uncompacted < this.compaction.accumulated) return;
    this.uncompacted = 0;
    const all = keys.stagingSpace();
    await this.kv.compact(all, prefixEnd(all) ?? all);
  }
}
