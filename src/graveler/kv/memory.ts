// The key-value interface in memory: a sorted array. For tests and the property-based model runs, where a
// disk database would only add time; it passes the same conformance suite as the classic-level store.
import { failedPrecondition } from "../../errors";
import { printable } from "./level";
import type { KvBatch, KvRecord, KvScanOptions, KvStore } from "./types";
import { scanBounds } from "./types";

export class MemoryKv implements KvStore {
  private records: KvRecord[] = [];
  private sequence = 0;

  /** Index of the first record whose key is >= key. */
  private lowerBound(key: Buffer): number {
    let lo = 0;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Buffer.compare(this.records[mid].key, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private find(key: Buffer): KvRecord | undefined {
    const i = this.lowerBound(key);
    const r = this.records[i];
    return r && r.key.equals(key) ? r : undefined;
  }

  async get(key: Buffer): Promise<KvRecord | undefined> {
    const r = this.find(key);
    return r && { ...r };
  }

  async scan(options: KvScanOptions): Promise<KvRecord[]> {
    const { lower, lowerExclusive, upper } = scanBounds(options);
    let i = lower ? this.lowerBound(lower) : 0;
    if (lower && lowerExclusive && this.records[i]?.key.equals(lower)) i++;
    const out: KvRecord[] = [];
    const limit = options.limit ?? Infinity;
    for (; i < this.records.length && out.length < limit; i++) {
      const r = this.records[i];
      if (upper && Buffer.compare(r.key, upper) >= 0) break;
      out.push({ ...r });
    }
    return out;
  }

  async write(batch: KvBatch): Promise<void> {
    for (const pre of batch.preconditions ?? []) {
      const current = this.find(pre.key);
      if ("absent" in pre) {
        if (current) throw failedPrecondition(`key ${printable(pre.key)} already exists`);
      } else if ("equals" in pre) {
        if (!current || !current.value.equals(pre.equals)) throw failedPrecondition(`key ${printable(pre.key)} changed`);
      } else if (!current || current.version !== pre.version) {
        throw failedPrecondition(`key ${printable(pre.key)} is not at version ${pre.version}`);
      }
    }
    if (batch.mutations.length === 0) return;
    const version = ++this.sequence;
    for (const m of batch.mutations) {
      const i = this.lowerBound(m.key);
      const exists = this.records[i]?.key.equals(m.key);
      if (m.op === "put") {
        const record = { key: Buffer.from(m.key), value: Buffer.from(m.value), version };
        if (exists) this.records[i] = record;
        else this.records.splice(i, 0, record);
      } else if (exists) {
        this.records.splice(i, 1);
      }
    }
  }

  async close(): Promise<void> {}
}
