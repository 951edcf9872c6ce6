// Range boundaries hang on fnv1a64Mod: it must equal FNV-1a 64 (as lakeFS computes it) modulo the raggedness.
import assert from "node:assert/strict";
import fc from "fast-check";
import { fnv1a64Mod } from "../../src/graveler/committed/fnv";

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
});
