// Retry timing is pure: exponential ceilings with full jitter, capped.
import assert from "node:assert/strict";
import fc from "fast-check";
import { backoffDelay, DEFAULT_RETRY } from "../../src/client";

describe("client: backoff", () => {
  it("doubles the ceiling per retry up to the cap, with jitter inside it", () => {
    const policy = { attempts: 10, baseMs: 50, maxMs: 2000 };
    assert.equal(backoffDelay(1, policy, () => 0.999999), 49);
    assert.equal(backoffDelay(2, policy, () => 0.999999), 99);
    assert.equal(backoffDelay(5, policy, () => 0.999999), 799);
    assert.equal(backoffDelay(12, policy, () => 0.999999), 1999);
    assert.equal(backoffDelay(3, policy, () => 0), 0);
  });

  it("never waits less than zero or more than the cap", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retry, r) => {
        const d = backoffDelay(retry, DEFAULT_RETRY, () => r);
        return d >= 0 && d < DEFAULT_RETRY.maxMs && Number.isInteger(d);
      }),
    );
  });
});
