// The checker must reject histories that no sequential order explains and accept tricky ones that some
// order does, including operations that timed out (maybe applied).
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkKvHistory } from "./linearizability";
import type { KvInput, KvOperation, KvOutput } from "./linearizability";

let nextId = 0;
function op(client: number, input: KvInput, output: KvOutput | undefined, call: number, ret: number, key = "k"): KvOperation {
  return { id: nextId++, client, key, input, output, call, ret };
}
const put = (c: number, v: string, call: number, ret: number, key?: string) => op(c, { kind: "put", value: v }, "ok", call, ret, key);
const get = (c: number, v: string | null, call: number, ret: number, key?: string) => op(c, { kind: "get" }, v, call, ret, key);
const cas = (c: number, e: string | null, v: string, ok: boolean | undefined, call: number, ret: number) =>
  op(c, { kind: "cas", expected: e, value: v }, ok, call, ret);
const timedOutPut = (c: number, v: string, call: number) => op(c, { kind: "put", value: v }, undefined, call, Infinity);

describe("raft linearizability checker (WGL, partitioned by key)", () => {
  describe("rejects", () => {
    it("a stale read after a completed write", () => {
      const h = [put(0, "a", 0, 1), put(0, "b", 2, 3), get(1, "a", 4, 5)];
      const v = checkKvHistory(h);
      assert.equal(v.ok, false);
      assert.equal(v.failedKey, "k");
      assert.match(v.report!, /get\(\) -> "a"/);
    });

    it("a lost write (a read after it returns the value before it)", () => {
      assert.equal(checkKvHistory([put(0, "a", 0, 1), get(1, null, 2, 3)]).ok, false);
    });

    it("a read of a value never written", () => {
      assert.equal(checkKvHistory([put(0, "a", 0, 5), get(1, "z", 1, 2)]).ok, false);
    });

    it("reads that see writes in an order contradicting real time", () => {
      // b is written after a completes, yet a reader sees b then a.
      const h = [put(0, "a", 0, 1), put(0, "b", 2, 3), get(1, "b", 4, 5), get(1, "a", 6, 7)];
      assert.equal(checkKvHistory(h).ok, false);
    });

    it("two readers that disagree on the order of two concurrent writes", () => {
      const h = [put(0, "a", 0, 10), put(1, "b", 0, 10), get(2, "a", 1, 2), get(2, "b", 3, 4), get(3, "b", 1, 2), get(3, "a", 3, 4)];
      assert.equal(checkKvHistory(h).ok, false);
    });

    it("two successful compare-and-sets from the same value", () => {
      const h = [put(0, "x", 0, 1), cas(1, "x", "y", true, 2, 5), cas(2, "x", "z", true, 2, 5)];
      assert.equal(checkKvHistory(h).ok, false);
    });

    it("a timed-out write seen, then unseen", () => {
      const h = [put(0, "a", 0, 1), timedOutPut(1, "b", 2), get(2, "b", 3, 4), get(2, "a", 5, 6)];
      assert.equal(checkKvHistory(h).ok, false);
    });

    it("a read that sees a write before the write was invoked", () => {
      assert.equal(checkKvHistory([get(1, "a", 0, 1), put(0, "a", 2, 3)]).ok, false);
    });
  });

  describe("accepts", () => {
    it("concurrent writes read in either order by sequential readers", () => {
      const h = [put(0, "a", 0, 10), put(1, "b", 0, 10), get(2, "a", 1, 2), get(2, "b", 3, 4)];
      assert.equal(checkKvHistory(h).ok, true);
    });

    it("a read concurrent with a write may see the old or the new value", () => {
      assert.equal(checkKvHistory([put(0, "a", 0, 1), put(0, "b", 2, 6), get(1, "a", 3, 4)]).ok, true);
      assert.equal(checkKvHistory([put(0, "a", 0, 1), put(0, "b", 2, 6), get(1, "b", 3, 4)]).ok, true);
    });

    it("a timed-out write that took effect long after its call", () => {
      const h = [timedOutPut(0, "late", 0), put(1, "a", 5, 6), get(1, "a", 7, 8), get(2, "late", 9, 10)];
      assert.equal(checkKvHistory(h).ok, true);
    });

    it("a timed-out write that never took effect", () => {
      assert.equal(checkKvHistory([put(0, "a", 0, 1), timedOutPut(1, "b", 2), get(2, "a", 3, 4)]).ok, true);
    });

    it("a timed-out compare-and-set whose outcome is unknown", () => {
      const cs = op(1, { kind: "cas", expected: "a", value: "c" }, undefined, 2, Infinity);
      assert.equal(checkKvHistory([put(0, "a", 0, 1), cs, get(2, "c", 3, 4)]).ok, true);
      assert.equal(checkKvHistory([put(0, "a", 0, 1), op(1, { kind: "cas", expected: "a", value: "c" }, undefined, 2, Infinity), get(2, "a", 3, 4)]).ok, true);
    });

    it("independent keys checked separately", () => {
      const h = [put(0, "a", 0, 1, "x"), put(1, "b", 0, 1, "y"), get(2, "a", 2, 3, "x"), get(2, "b", 2, 3, "y")];
      assert.equal(checkKvHistory(h).ok, true);
    });

    it("any history produced by a real sequential execution with overlapping timestamps (property)", () => {
      // Execute random operations atomically at distinct instants inside random [call, ret] windows.
      const opArb = fc.record({
        kind: fc.constantFrom("put", "get", "cas"),
        value: fc.constantFrom("a", "b", "c"),
        expected: fc.constantFrom("a", "b", null),
        client: fc.nat(3),
        before: fc.nat(5),
        after: fc.nat(5),
        timedOut: fc.boolean(),
      });
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 14 }), (specs) => {
          let state: string | null = null;
          const h: KvOperation[] = specs.map((s, i) => {
            const at = i * 10 + 5;
            let input: KvInput;
            let output: KvOutput;
            if (s.kind === "put") {
              input = { kind: "put", value: s.value };
              output = "ok";
              state = s.value;
            } else if (s.kind === "get") {
              input = { kind: "get" };
              output = state;
            } else {
              input = { kind: "cas", expected: s.expected, value: s.value };
              output = state === s.expected;
              if (output) state = s.value;
            }
            const timedOut = s.timedOut && s.kind !== "get";
            return {
              id: i,
              client: s.client,
              key: "k",
              input,
              output: timedOut ? undefined : output,
              call: at - s.before,
              ret: timedOut ? Infinity : at + s.after,
            };
          });
          assert.equal(checkKvHistory(h).ok, true);
        }),
        { numRuns: 300, seed: 42 },
      );
    });
  });
});
