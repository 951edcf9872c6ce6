// BlockCache: verified, decompressed blocks kept in memory, least recently used first out, bounded by bytes.
// One cache can serve many readers; each reader has its own id in the keys.
import { invalidArgument } from "../errors";
import type { Block } from "./block";

interface Entry {
  block: Block;
  size: number; // the handle's size, to tell blocks of the same offset apart if an index is corrupt
  charge: number;
}

/** Bytes charged per entry on top of the block's own bytes (key string, map entry, objects). */
const ENTRY_OVERHEAD = 160;

export class BlockCache {
  private readonly entries = new Map<string, Entry>();
  private used = 0;
  hits = 0;
  misses = 0;

  constructor(readonly capacityBytes: number) {
    if (!Number.isFinite(capacityBytes) || capacityBytes < 0) throw invalidArgument(`block cache capacity must be a non-negative number of bytes, not ${capacityBytes}`);
  }

  get usedBytes(): number {
    return this.used;
  }

  get(key: string, size: number): Block | undefined {
    const e = this.entries.get(key);
    if (e === undefined || e.size !== size) {
      this.misses++;
      return undefined;
    }
    // Map keeps insertion order: re-inserting makes this the most recently used.
    this.entries.delete(key);
    this.entries.set(key, e);
    this.hits++;
    return e.block;
  }

  set(key: string, size: number, block: Block): void {
    const charge = block.data.length + ENTRY_OVERHEAD;
    if (charge > this.capacityBytes) return;
    const old = this.entries.get(key);
    if (old) {
      this.used -= old.charge;
      this.entries.delete(key);
    }
    this.entries.set(key, { block, size, charge });
    this.used += charge;
    while (this.used > this.capacityBytes) {
      const oldest = this.entries.keys().next().value as string;
      this.used -= this.entries.get(oldest)!.charge;
      this.entries.delete(oldest);
    }
  }
}
