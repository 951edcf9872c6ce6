// Simulated clients: each has at most one operation outstanding (put, get or compare-and-set on a few keys),
// sends it to the node it believes leads, and records the history for the linearizability checker. Writes go
// through the log; reads use ReadIndex (on the leader, or on a follower that forwards it). An operation
// without an answer before its deadline is recorded as timed out (maybe applied); a proposal the node
// refused at once had no effect and is left out.
import { ProposalDroppedError } from "../../../raft";
import type { KvInput, KvOperation, KvOutput } from "../linearizability";
import { encodeCommand } from "./kv";
import type { SimNode } from "./node";
import type { Prng } from "./prng";

const KEYS = ["a", "b", "c"];

interface Pending {
  op: KvOperation;
  deadline: number;
}

export class Clients {
  readonly history: KvOperation[] = [];
  private pending = new Map<number, Pending>();
  private busy = new Set<number>();
  private clock = 0;
  private nextOp = 1;
  private guess: string[];
  private lastSeen = new Map<string, string | null>();
  completed = 0;
  timedOut = 0;
  refused = 0;

  constructor(
    private readonly rng: Prng,
    readonly count: number,
    private readonly timeout: number,
  ) {
    this.guess = new Array(count).fill("");
  }

  step(now: number, nodes: SimNode[], rate: number): void {
    for (const [id, p] of this.pending) {
      if (now < p.deadline) continue;
      this.pending.delete(id);
      this.busy.delete(p.op.client);
      this.timedOut++;
      if (p.op.input.kind === "get") {
        this.history.splice(this.history.indexOf(p.op), 1); // an unanswered read has no effect
      } else {
        p.op.ret = Infinity;
        p.op.output = undefined;
      }
    }
    const live = nodes.filter((n) => n.up);
    if (live.length === 0) return;
    for (let c = 0; c < this.count; c++) {
      if (this.busy.has(c) || !this.rng.chance(rate)) continue;
      let target = live.find((n) => n.id === this.guess[c]);
      if (!target || this.rng.chance(0.1)) target = this.rng.pick(live);
      this.issue(c, target, now);
    }
  }

  private issue(client: number, node: SimNode, now: number): void {
    const key = this.rng.pick(KEYS);
    const value = `c${client}v${this.nextOp}`;
    const r = this.rng.next();
    let input: KvInput;
    if (r < 0.4) input = { kind: "get" };
    else if (r < 0.75) input = { kind: "put", value };
    else input = { kind: "cas", expected: this.lastSeen.get(`${client}/${key}`) ?? null, value };
    const op: KvOperation = { id: this.nextOp++, client, key, input, output: undefined, call: ++this.clock, ret: Infinity };
    const rn = node.rn!;
    try {
      if (input.kind === "get") {
        const ctx = new TextEncoder().encode(`read-${op.id}`);
        node.acceptRead(op.id, key, ctx);
        rn.readIndex(ctx);
      } else {
        const cmd =
          input.kind === "put"
            ? { op: op.id, kind: "put" as const, key, value: input.value }
            : { op: op.id, kind: "cas" as const, key, expected: input.expected, value: input.value };
        rn.propose(encodeCommand(cmd));
        node.acceptWrite(op.id);
      }
    } catch (err) {
      if (!(err instanceof ProposalDroppedError)) throw err;
      this.refused++;
      this.guess[client] = rn.raft.lead;
      return;
    }
    this.guess[client] = node.id;
    this.history.push(op);
    this.busy.add(client);
    this.pending.set(op.id, { op, deadline: now + this.timeout });
  }

  complete(opId: number, output: KvOutput): void {
    const p = this.pending.get(opId);
    if (!p) return; // already timed out: it stays "maybe applied"
    this.pending.delete(opId);
    this.busy.delete(p.op.client);
    p.op.output = output;
    p.op.ret = ++this.clock;
    this.completed++;
    if (p.op.input.kind === "get") this.lastSeen.set(`${p.op.client}/${p.op.key}`, output as string | null);
    else if (p.op.input.kind === "put") this.lastSeen.set(`${p.op.client}/${p.op.key}`, p.op.input.value);
  }

  outstanding(): number {
    return this.pending.size;
  }
}
