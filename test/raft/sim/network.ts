// The simulated network: every message is delayed by a random number of steps (so messages reorder), may be
// lost or duplicated, and is dropped on a cut link. Links are directed, so partitions can be asymmetric.
import type { Message, NodeId } from "../../../raft";
import type { Prng } from "./prng";

export interface NetworkOptions {
  loss: number;
  duplicate: number;
  maxDelay: number;
}

interface InFlight {
  at: number;
  seq: number;
  m: Message;
}

export class Network {
  private queue: InFlight[] = [];
  private seq = 0;
  private cut = new Set<string>();
  delivered = 0;
  dropped = 0;

  constructor(
    private readonly rng: Prng,
    readonly opts: NetworkOptions,
  ) {}

  /** Queues a message; returns false if it was dropped at once (cut link or loss). */
  send(m: Message, now: number): boolean {
    if (this.isCut(m.from, m.to) || this.rng.chance(this.opts.loss)) {
      this.dropped++;
      return false;
    }
    this.queue.push({ at: now + this.rng.int(0, this.opts.maxDelay), seq: this.seq++, m: copy(m) });
    if (this.rng.chance(this.opts.duplicate)) {
      this.queue.push({ at: now + this.rng.int(0, this.opts.maxDelay), seq: this.seq++, m: copy(m) });
    }
    return true;
  }

  /** The messages due at `now`, in delivery order. A link cut meanwhile drops them. */
  due(now: number): Message[] {
    const ready = this.queue.filter((f) => f.at <= now).sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.queue = this.queue.filter((f) => f.at > now);
    const out: Message[] = [];
    for (const f of ready) {
      if (this.isCut(f.m.from, f.m.to)) this.dropped++;
      else out.push(f.m);
    }
    this.delivered += out.length;
    return out;
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  /** Splits the nodes into two sides that cannot talk to each other. */
  partition(a: NodeId[], b: NodeId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.cutLink(x, y);
        this.cutLink(y, x);
      }
    }
  }

  heal(): void {
    this.cut.clear();
  }

  cutCount(): number {
    return this.cut.size;
  }

  pending(): number {
    return this.queue.length;
  }
}

function copy(m: Message): Message {
  return { ...m, entries: m.entries.map((e) => ({ ...e })) };
}
