// A linearizability checker for client histories: Wing–Gong/Lowe search, partitioned by key (a history is
// linearizable iff each key's sub-history is, for a store whose operations each touch one key).
// Used by the Raft simulator and, later, by the metadata service's tests.
import { kvModel } from "./kv-model";
import type { KvOperation } from "./kv-model";
import type { Model, Operation } from "./model";
import { checkOperations } from "./wgl";

export { checkOperations } from "./wgl";
export type { CheckResult } from "./wgl";
export { kvModel } from "./kv-model";
export type { KvInput, KvOperation, KvOutput } from "./kv-model";
export type { Model, Operation } from "./model";

export interface HistoryVerdict {
  ok: boolean;
  /** The first key whose history is not linearizable (or could not be decided), with a printable history. */
  failedKey?: string;
  unknown?: boolean;
  report?: string;
  steps: number;
}

export function checkHistory<S, I, O>(model: Model<S, I, O>, ops: Operation<I, O>[], maxStepsPerKey?: number): HistoryVerdict {
  const byKey = new Map<string, Operation<I, O>[]>();
  for (const op of ops) {
    let list = byKey.get(op.key);
    if (!list) byKey.set(op.key, (list = []));
    list.push(op);
  }
  let steps = 0;
  for (const key of [...byKey.keys()].sort()) {
    const keyOps = byKey.get(key)!;
    const r = checkOperations(model, keyOps, maxStepsPerKey);
    steps += r.steps;
    if (!r.ok) return { ok: false, failedKey: key, unknown: r.unknown, report: describeHistory(model, key, keyOps), steps };
  }
  return { ok: true, steps };
}

export const checkKvHistory = (ops: KvOperation[], maxStepsPerKey?: number): HistoryVerdict => checkHistory(kvModel, ops, maxStepsPerKey);

export function describeHistory<S, I, O>(model: Model<S, I, O>, key: string, ops: Operation<I, O>[], limit = 60): string {
  const lines = [...ops]
    .sort((a, b) => a.call - b.call)
    .slice(-limit)
    .map((op) => {
      const what = model.describe ? model.describe(op.input, op.output) : `${JSON.stringify(op.input)} -> ${JSON.stringify(op.output)}`;
      const ret = op.ret === Infinity ? "timed out" : String(op.ret);
      return `  [${op.call}, ${ret}] client ${op.client} op ${op.id}: ${what}`;
    });
  return `history of key ${JSON.stringify(key)} (${ops.length} operations, last ${lines.length} shown):\n${lines.join("\n")}`;
}
