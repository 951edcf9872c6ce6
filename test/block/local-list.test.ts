// Property test of the local listing walk, the trickiest logic of the local store: for random key sets
// (characters chosen to sort around '/', and multi-byte ones), listing with any prefix, start key and
// page size must return exactly the sorted keys that a naive filter over all keys returns.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { openObjectStore } from "../../src/block";
import { compareKeys } from "../../src/block/validate";

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-block-list-"));
after(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

// '-' (0x2d) and '.' sort just before '/', '0' just after; 'é' and '😀' are multi-byte in UTF-8.
const segment = fc.string({ unit: fc.constantFrom("a", "b", "-", ".", "0", "é", "😀"), minLength: 1, maxLength: 3 }).filter((s) => s !== "." && s !== "..");
const key = fc.array(segment, { minLength: 1, maxLength: 3 }).map((segments) => segments.join("/"));

/** A local tree cannot hold "a" and "a/b" together: keep the keys that no other key extends. */
function storable(keys: string[]): string[] {
  const unique = [...new Set(keys)];
  return unique.filter((k) => !unique.some((other) => other.startsWith(k + "/")));
}

describe("local store listing (property)", () => {
  it("matches a naive sort and filter for any prefix, start key and page size", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(key, { minLength: 1, maxLength: 25 }), fc.nat(), fc.option(key), fc.integer({ min: 1, max: 7 }), async (raw, prefixPick, afterKey, limit) => {
        const keys = storable(raw);
        const store = openObjectStore(`local://${path.join(tmpRoot, `run-${++run}`)}`);
        await Promise.all(keys.map((k) => store.put(k, Buffer.from(k))));
        // The prefix: the start of one of the keys (often a partial segment), or nothing.
        const source = Array.from(keys[prefixPick % keys.length]); // code points: never half a surrogate pair
        const prefix = prefixPick % 4 === 0 ? "" : source.slice(0, prefixPick % (source.length + 1)).join("");
        const after = afterKey ?? undefined;
        const expected = keys.filter((k) => k.startsWith(prefix) && (after === undefined || compareKeys(k, after) > 0)).sort(compareKeys);

        const got: string[] = [];
        let token: string | undefined;
        do {
          const page = await store.list({ prefix, after, limit, token });
          assert.ok(page.objects.length <= limit);
          got.push(...page.objects.map((o) => o.key));
          token = page.nextToken;
        } while (token !== undefined);
        assert.deepEqual(got, expected);
      }),
      { numRuns: 40 },
    );
  });
});
