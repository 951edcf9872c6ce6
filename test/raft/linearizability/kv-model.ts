// The sequential specification of one key of a key-value store with put, get and compare-and-set.
import type { Model, Operation } from "./model";

export type KvInput = { kind: "put"; value: string } | { kind: "get" } | { kind: "cas"; expected: string | null; value: string };
/** put: "ok"; get: the value read (null if absent); cas: whether it swapped. */
export type KvOutput = string | null | boolean;
export type KvOperation = Operation<KvInput, KvOutput>;

export const kvModel: Model<string | null, KvInput, KvOutput> = {
  init: () => null,
  step(state, input, output) {
    switch (input.kind) {
      case "put":
        return { ok: output === undefined || output === "ok", state: input.value };
      case "get":
        return { ok: output === undefined || output === state, state };
      case "cas": {
        const swaps = state === input.expected;
        if (output !== undefined && output !== swaps) return { ok: false, state };
        return { ok: true, state: swaps ? input.value : state };
      }
    }
  },
  hash: (state) => (state === null ? "\u0000" : `=${state}`),
  describe(input, output) {
    const out = output === undefined ? "?" : JSON.stringify(output);
    if (input.kind === "put") return `put(${JSON.stringify(input.value)}) -> ${out}`;
    if (input.kind === "get") return `get() -> ${out}`;
    return `cas(${JSON.stringify(input.expected)}, ${JSON.stringify(input.value)}) -> ${out}`;
  },
};
