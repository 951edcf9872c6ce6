// BlockCache: verified, decompressed blocks kept in memory, least recently used first out, bounded by bytes.
// One cache serves many readers: each reader gets its own shard (a Map keyed by block offset, so lookups
// hash a small integer rather than build a string), and one linked list orders all entries by use.
import { invalidArgument } from "../errors";
import type { Block } from "./block";

interface Entry {
  block: Block;
  size: number; // the handle's size, to tell blocks apart if an index is corrupt
  charge: number;
  offset: number;
  shard: Map<number, Entry>;
  prev: Entry | null; // towards the least recently used end
  next: Entry | null;
}

/** Bytes charged per entry on top of the block's own bytes (map slot, entry and block objects). */
const ENTRY_OVERHEAD = 160;

export class BlockCache {
  private used = 0;
  /** Most recently used entry, and the least recently used one (evicted first). */
  private head: Entry | null = null;
  private tail: Entry | null = null;
  hits = 0;
  misses = 0;

  constructor(readonly capacityBytes: number) {
    if (!Number.isFinite(capacityBytes) || capacityBytes < 0) throw invalidArgument(`block cache capacity must be a non-negative number of bytes, not ${capacityBytes}`);
  }

  get usedBytes(): number {
    return this.used;
  }

  /** A key space for one reader's blocks. */
  newShard(): CacheShard {
    return new CacheShard(this);
  }

  /** @internal */
  lookup(shard: Map<number, Entry>, offset: number, size: number): Block | undefined {
    const e = shard.get(offset);
    if (e === undefined || e.size !== size) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    if (e !== this.head) {
      this.unlink(e);
      this.pushFront(e);
    }
    return e.block;
  }

  /** @internal */
  insert(shard: Map<number, Entry>, offset: number, size: number, block: Block): void {
    const charge = block.data.length + ENTRY_OVERHEAD;
    if (charge > this.capacityBytes) return;
    const old = shard.get(offset);
    if (old) this.remove(old);
    const e: Entry = { block, size, charge, offset, shard, prev: null, next: null };
    shard.set(offset, e);
    this.pushFront(e);
    this.used += charge;
    while (this.used > this.capacityBytes && this.tail) this.remove(this.tail);
  }

  /** @internal */
  dropShard(shard: Map<number, Entry>): void {
    for (const e of shard.values()) this.remove(e);
  }

  private remove(e: Entry): void {
    this.unlink(e);
    e.shard.delete(e.offset);
    this.used -= e.charge;
  }

  private pushFront(e: Entry): void {
    e.prev = null;
    e.next = this.head;
    if (this.head) this.head.prev = e;
    this.head = e;
    if (!this.tail) this.tail = e;
  }

  private unlink(e: Entry): void {
    if (e.prev) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = e.next = null;
  }
}

/** One reader's view of a BlockCache. */
export class CacheShard {
  private readonly entries = new Map<number, Entry>();

  constructor(private readonly cache: BlockCache) {}

  get(offset: number, size: number): Block | undefined {
    return this.cache.lookup(this.entries, offset, size);
  }

  set(offset: number, size: number, block: Block): void {
    this.cache.insert(this.entries, offset, size, block);
  }

  /** Releases this reader's blocks (when it closes). */
  clear(): void {
    this.cache.dropShard(this.entries);
  }
}
