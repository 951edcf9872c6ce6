// Wing & Gong's linearizability search with Lowe's memoization (as in Porcupine and Knossos's "wgl"):
// walk the history's call/return events in time order; at a call, try to linearize that operation now
// (if the model accepts it and the resulting (set of linearized operations, state) was not tried before);
// at a return of an operation not yet linearized, backtrack. Operations that timed out have no return
// event: they may be linearized after their call, or left out (equivalent to linearizing them last, where
// nothing observes them).
import type { Model, Operation } from "./model";

interface Node<I, O> {
  op: Operation<I, O>;
  isCall: boolean;
  match: Node<I, O> | null; // a call's return event (null if it timed out)
  prev: Node<I, O> | null;
  next: Node<I, O> | null;
}

export interface CheckResult {
  ok: boolean;
  /** The search gave up after maxSteps: neither proven nor refuted. */
  unknown?: boolean;
  steps: number;
}

export function checkOperations<S, I, O>(model: Model<S, I, O>, ops: Operation<I, O>[], maxSteps = 5_000_000): CheckResult {
  const head = buildList(ops);
  const bits = new Uint32Array(Math.ceil(ops.length / 32) + 1);
  const index = new Map<number, number>();
  ops.forEach((op, i) => index.set(op.id, i));
  const cache = new Set<string>();
  const stack: { node: Node<I, O>; state: S }[] = [];
  let state = model.init();
  let finiteLeft = ops.filter((op) => op.ret !== Infinity).length;
  let entry = head.next;
  let steps = 0;
  while (finiteLeft > 0) {
    if (++steps > maxSteps) return { ok: false, unknown: true, steps };
    if (entry !== null && entry.isCall) {
      const res = model.step(state, entry.op.input, entry.op.output);
      if (res.ok) {
        const bit = index.get(entry.op.id)!;
        bits[bit >>> 5] |= 1 << (bit & 31);
        const key = `${bitsKey(bits)}|${model.hash(res.state)}`;
        if (!cache.has(key)) {
          cache.add(key);
          stack.push({ node: entry, state });
          state = res.state;
          lift(entry);
          if (entry.op.ret !== Infinity) finiteLeft--;
          entry = head.next;
          continue;
        }
        bits[bit >>> 5] &= ~(1 << (bit & 31));
      }
      entry = entry.next;
      continue;
    }
    // A return event (or the end): something before it must be linearized differently.
    const top = stack.pop();
    if (!top) return { ok: false, steps };
    const bit = index.get(top.node.op.id)!;
    bits[bit >>> 5] &= ~(1 << (bit & 31));
    state = top.state;
    unlift(top.node);
    if (top.node.op.ret !== Infinity) finiteLeft++;
    entry = top.node.next;
  }
  return { ok: true, steps };
}

function buildList<I, O>(ops: Operation<I, O>[]): Node<I, O> {
  const events: { time: number; node: Node<I, O> }[] = [];
  for (const op of ops) {
    if (!(op.ret >= op.call)) throw new Error(`operation ${op.id} returns (${op.ret}) before its call (${op.call})`);
    const call: Node<I, O> = { op, isCall: true, match: null, prev: null, next: null };
    events.push({ time: op.call, node: call });
    if (op.ret !== Infinity) {
      const ret: Node<I, O> = { op, isCall: false, match: null, prev: null, next: null };
      call.match = ret;
      events.push({ time: op.ret, node: ret });
    }
  }
  // Calls before returns at equal times: concurrent operations stay concurrent.
  events.sort((a, b) => a.time - b.time || Number(b.node.isCall) - Number(a.node.isCall));
  const head: Node<I, O> = { op: undefined as unknown as Operation<I, O>, isCall: false, match: null, prev: null, next: null };
  let last = head;
  for (const { node } of events) {
    last.next = node;
    node.prev = last;
    last = node;
  }
  return head;
}

function lift<I, O>(call: Node<I, O>): void {
  call.prev!.next = call.next;
  if (call.next) call.next.prev = call.prev;
  const ret = call.match;
  if (ret) {
    ret.prev!.next = ret.next;
    if (ret.next) ret.next.prev = ret.prev;
  }
}

function unlift<I, O>(call: Node<I, O>): void {
  const ret = call.match;
  if (ret) {
    ret.prev!.next = ret;
    if (ret.next) ret.next.prev = ret;
  }
  call.prev!.next = call;
  if (call.next) call.next.prev = call;
}

function bitsKey(bits: Uint32Array): string {
  let s = "";
  for (let i = 0; i < bits.length; i++) s += bits[i].toString(36) + ".";
  return s;
}
