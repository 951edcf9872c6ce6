// Range boundaries hang on fnv1a64Mod: it must equal FNV-1a 64 (as lakeFS computes it) modulo the raggedness.
import assert from "node:assert/strict";
import fc from "fast-check";
import { fnv1a64Mod, SortedKeysFnv } from "../../src/graveler/committed/fnv";

/** FNV-1a 64 with BigInt, straight from its definition. */
function reference(key: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of key) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h;
}

describe("graveler: fnv1a64Mod", () => {
  it("matches the published FNV-1a 64 test vectors", () => {
    // From the FNV reference test suite: fnv1a64("") and fnv1a64("a"), reduced by a modulus of 2^32 - 5.
    const m = 2 ** 32 - 5;
    assert.equal(fnv1a64Mod(Buffer.from(""), m), Number(0xcbf29ce484222325n % BigInt(m)));
    assert.equal(fnv1a64Mod(Buffer.from("a"), m), Number(0xaf63dc4c8601ec8cn % BigInt(m)));
  });

  it("equals the BigInt definition modulo any raggedness", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 2 ** 32 - 1 }), (key, m) => {
        assert.equal(fnv1a64Mod(key, m), Number(reference(key) % BigInt(m)));
      }),
      { numRuns: 2000 },
    );
  });

  it("gives the same answers over sequences of keys with shared prefixes, in any order and of any length", () => {
    const key = fc.oneof(
      fc.uint8Array({ maxLength: 40 }).map((tail) => Buffer.concat([Buffer.from("tables/events/part-"), tail])),
      fc.uint8Array({ minLength: 250, maxLength: 700 }),
    );
    fc.assert(
      fc.property(fc.array(key, { maxLength: 40 }), fc.boolean(), fc.integer({ min: 1, max: 100_000 }), (keys, sorted, m) => {
        if (sorted) keys.sort(Buffer.compare);
        const fnv = new SortedKeysFnv(m);
        for (const k of keys) assert.equal(fnv.mod(k), fnv1a64Mod(k, m));
        // A length shorter than the buffer hashes only the prefix.
        if (keys.length > 0 && keys[0].length > 3) assert.equal(fnv.mod(keys[0], 3), fnv1a64Mod(keys[0].subarray(0, 3), m));
      }),
      { numRuns: 500 },
    );
  });
});
