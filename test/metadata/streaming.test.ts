// Long listings and diffs stream in batches: thousands of entries through ListObjects, Diff and
// DiffUncommitted, with `after`/`amount` paging that neither skips nor repeats a path.
import assert from "node:assert/strict";
import type { Entry } from "../../src/graveler";
import { collect, startService, TestService } from "./support";

const N = 4500;
const name = (i: number) => `part-${String(i).padStart(5, "0")}.parquet`;
const entry = (i: number, version = 1): Entry => ({ physicalAddress: `data/x${i}v${version}`, size: i + version, etag: `e${i}v${version}`, lastModified: new Date(1_800_000_000_000), addressType: "relative" });

describe("metadata service: streaming listings and diffs", () => {
  let t: TestService;
  before(async () => {
    t = await startService();
    await t.client.createRepository({ name: "big", storageNamespace: t.namespace("big") });
    // Staged straight through the engine: uploading 4,500 objects is not what this test is about.
    await t.svc.graveler.setObjects("big", "main", Array.from({ length: N }, (_v, i) => ({ path: `tables/t1/${name(i)}`, entry: entry(i) })));
  });
  after(async () => {
    await t?.close();
  });

  it("streams every uncommitted change, then every object, in batches", async () => {
    const c = t.client;
    const changes = await collect(c.diffUncommitted({ repository: "big", branch: "main" }));
    assert.ok(changes.length >= 5, `expected several batches, got ${changes.length}`);
    assert.equal(changes.flatMap((b) => b.results).length, N);
    assert.equal(changes.at(-1)!.pagination?.hasMore, false);
    await c.commit({ repository: "big", branch: "main", message: "4500 parts" });

    const batches = await collect(c.listObjects({ repository: "big", ref: "main" }));
    const paths = batches.flatMap((b) => b.results.map((o) => o.path));
    assert.equal(batches.length, 5);
    assert.deepEqual(paths, Array.from({ length: N }, (_v, i) => `tables/t1/${name(i)}`));
    assert.ok(batches.slice(0, -1).every((b) => b.pagination === null), "only the last batch carries pagination");
    assert.equal(batches.at(-1)!.pagination!.hasMore, false);

    // Page by page with amount and after.
    const seen: string[] = [];
    let after = "";
    for (;;) {
      const page = await collect(c.listObjects({ repository: "big", ref: "main", prefix: "tables/t1/", after, amount: 1000 }));
      seen.push(...page.flatMap((b) => b.results.map((o) => o.path)));
      const last = page.at(-1)!.pagination!;
      if (!last.hasMore) break;
      after = last.nextOffset;
    }
    assert.deepEqual(seen, paths);
  });

  it("streams a diff of thousands of changes between branches", async () => {
    const c = t.client;
    await c.createBranch({ repository: "big", name: "rewrite", source: "main" });
    const changed = Array.from({ length: 3000 }, (_v, i) => i * 1 + 1000);
    await t.svc.graveler.setObjects("big", "rewrite", changed.map((i) => ({ path: `tables/t1/${name(i)}`, entry: entry(i, 2) })));
    await c.commit({ repository: "big", branch: "rewrite", message: "rewrite 3000 parts" });
    const diff = await collect(c.differences({ repository: "big", leftRef: "main", rightRef: "rewrite" }));
    assert.equal(diff.length, 3000);
    assert.ok(diff.every((d) => d.type === "CHANGE_TYPE_CHANGED"));
    assert.deepEqual(diff.map((d) => d.path), changed.map((i) => `tables/t1/${name(i)}`));
    const firstPage = await collect(c.diff({ repository: "big", leftRef: "main", rightRef: "rewrite", amount: 10 }));
    assert.equal(firstPage.flatMap((b) => b.results).length, 10);
    assert.equal(firstPage.at(-1)!.pagination!.hasMore, true);
    const merged = await c.merge({ repository: "big", sourceRef: "rewrite", destinationBranch: "main" });
    assert.equal(merged.summary.changed, 3000);
  });
});
