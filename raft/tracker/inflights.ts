// The append messages in flight to one follower (etcd's tracker/inflights.go): a leader in the replicate
// state stops sending when `count` reaches the cap, and frees slots as acknowledgements come back.
import { RaftError } from "../errors";
import type { Index } from "../types";

export class Inflights {
  /** Ring buffer of the last index of each message in flight, oldest at `start`. */
  private buffer: Index[] = [];
  private start = 0;
  count = 0;
  readonly size: number;

  constructor(size: number) {
    this.size = size;
  }

  clone(): Inflights {
    const c = new Inflights(this.size);
    c.buffer = this.buffer.slice();
    c.start = this.start;
    c.count = this.count;
    return c;
  }

  /** Records a message whose last entry is `inflight`; indexes must be added in increasing order. */
  add(inflight: Index): void {
    if (this.full()) throw new RaftError("INVALID_STATE", "raft: cannot add into a full inflights");
    let next = this.start + this.count;
    if (next >= this.size) next -= this.size;
    if (next >= this.buffer.length) this.buffer.length = Math.min(Math.max(1, this.buffer.length * 2), this.size);
    this.buffer[next] = inflight;
    this.count++;
  }

  /** Frees every message whose last index is <= to. */
  freeLE(to: Index): void {
    if (this.count === 0 || to < this.buffer[this.start]) return;
    let idx = this.start;
    let i = 0;
    for (; i < this.count; i++) {
      if (to < this.buffer[idx]) break;
      idx++;
      if (idx >= this.size) idx -= this.size;
    }
    this.count -= i;
    this.start = idx;
    if (this.count === 0) this.start = 0; // keep the ring compact when it drains
  }

  freeFirstOne(): void {
    if (this.count > 0) this.freeLE(this.buffer[this.start]);
  }

  full(): boolean {
    return this.count === this.size;
  }

  reset(): void {
    this.count = 0;
    this.start = 0;
  }

  /** The in-flight indexes, oldest first (for tests and status output). */
  toArray(): Index[] {
    const out: Index[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.buffer[(this.start + i) % this.size]);
    return out;
  }
}
