// The in-flight window of append messages to one follower.
import assert from "node:assert/strict";
import fc from "fast-check";
import { Inflights } from "../../raft/tracker";

describe("raft inflights", () => {
  it("fills up to its size and refuses more", () => {
    const in10 = new Inflights(10);
    for (let i = 0; i < 10; i++) in10.add(i);
    assert.equal(in10.full(), true);
    assert.equal(in10.count, 10);
    assert.throws(() => in10.add(10), /full inflights/);
  });

  it("frees everything up to an index, across the ring's wrap-around", () => {
    const in10 = new Inflights(10);
    for (let i = 0; i < 10; i++) in10.add(i);
    in10.freeLE(4);
    assert.deepEqual(in10.toArray(), [5, 6, 7, 8, 9]);
    for (let i = 10; i < 15; i++) in10.add(i); // wraps around
    assert.equal(in10.full(), true);
    in10.freeLE(12);
    assert.deepEqual(in10.toArray(), [13, 14]);
    in10.freeLE(100);
    assert.equal(in10.count, 0);
    in10.freeLE(3); // nothing left to free
    assert.equal(in10.count, 0);
  });

  it("frees the first one only, and ignores stale acknowledgements", () => {
    const w = new Inflights(4);
    [3, 5, 9].forEach((i) => w.add(i));
    w.freeLE(2);
    assert.deepEqual(w.toArray(), [3, 5, 9]);
    w.freeFirstOne();
    assert.deepEqual(w.toArray(), [5, 9]);
    w.reset();
    assert.equal(w.count, 0);
    assert.equal(w.full(), false);
  });

  it("behaves like a simple queue (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.oneof(fc.constant(-1), fc.nat(40)), { maxLength: 60 }), (size, ops) => {
        const w = new Inflights(size);
        const model: number[] = [];
        let next = 0;
        for (const op of ops) {
          if (op === -1) {
            if (model.length < size) {
              next += 1 + (next % 3);
              w.add(next);
              model.push(next);
            } else {
              assert.throws(() => w.add(next + 1));
            }
          } else {
            w.freeLE(op);
            while (model.length > 0 && model[0] <= op) model.shift();
          }
          assert.deepEqual(w.toArray(), model);
          assert.equal(w.full(), model.length === size);
        }
      }),
      { numRuns: 500, seed: 4 },
    );
  });
});
