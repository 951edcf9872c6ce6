// Linearizable reads (etcd's read_only.go). In the safe mode a leader records the commit index when a read
// arrives, and answers once a quorum has acknowledged a heartbeat carrying the read's context: it then knows
// it was still the leader when the read arrived. In the lease-based mode it answers at once, relying on
// check-quorum and bounded clock drift.
import type { Index, Message, NodeId } from "./types";

export type ReadOnlyOption = "safe" | "lease-based";

export interface ReadIndexStatus {
  req: Message;
  index: Index;
  acks: Set<NodeId>;
}

export const contextKey = (ctx: Uint8Array | undefined): string => (ctx ? Buffer.from(ctx).toString("hex") : "");

export class ReadOnly {
  readonly option: ReadOnlyOption;
  private pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  constructor(option: ReadOnlyOption) {
    this.option = option;
  }

  /** Records a read that arrived when the commit index was `index`. */
  addRequest(index: Index, m: Message): void {
    const key = contextKey(m.context);
    if (this.pending.has(key)) return;
    this.pending.set(key, { req: m, index, acks: new Set() });
    this.queue.push(key);
  }

  /** A heartbeat acknowledgement for `ctx`; returns who has acknowledged it so far. */
  recvAck(id: NodeId, ctx: Uint8Array | undefined): ReadonlyMap<NodeId, boolean> | undefined {
    const rs = this.pending.get(contextKey(ctx));
    if (!rs) return undefined;
    rs.acks.add(id);
    return new Map([...rs.acks].map((a) => [a, true]));
  }

  /** Dequeues the read for `ctx` and every read queued before it: all may now be answered. */
  advance(ctx: Uint8Array | undefined): ReadIndexStatus[] {
    const key = contextKey(ctx);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const keys = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of keys) {
      out.push(this.pending.get(k)!);
      this.pending.delete(k);
    }
    return out;
  }

  /** The context of the newest pending read, carried by heartbeats so that they double as read acks. */
  lastPendingRequestCtx(): Uint8Array | undefined {
    if (this.queue.length === 0) return undefined;
    return this.pending.get(this.queue[this.queue.length - 1])!.req.context;
  }

  pendingCount(): number {
    return this.queue.length;
  }
}
