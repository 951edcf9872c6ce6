// A KvStore whose target arrives later. The metadata service (which owns the gRPC server) must exist before
// the Raft member that serves its peer API on that same server, and the member's replicated KV is what the
// service runs on: this breaks the cycle. Calls before `attach` are UNAVAILABLE (the member is starting).
import { unavailable } from "../errors";
import type { KvBatch, KvRecord, KvScanOptions, KvStore } from "../graveler";

export class LateKv implements KvStore {
  private target?: KvStore;

  attach(kv: KvStore): void {
    this.target = kv;
  }

  private kv(): KvStore {
    if (!this.target) throw unavailable("the metadata member is starting, retry");
    return this.target;
  }

  get(key: Buffer): Promise<KvRecord | undefined> {
    return this.kv().get(key);
  }

  scan(options: KvScanOptions): Promise<KvRecord[]> {
    return this.kv().scan(options);
  }

  write(batch: KvBatch): Promise<void> {
    return this.kv().write(batch);
  }

  /** The member closes its own store; nothing to do here. */
  async close(): Promise<void> {}
}
