// Diff and DiffUncommitted stream the engine's pages straight to the call: a diff of 20,000+ changes arrives
// whole, each change exactly once and in path order, in batches of at most 1,000.
import assert from "node:assert/strict";
import type { Entry } from "../../src/graveler";
import type { ApiError } from "../../src/client";
import { collect, startService, TestService } from "./support";

const N = 20_500;
const path = (i: number) => `events/day=${String(i % 7)}/part-${String(i).padStart(6, "0")}.json`;
const entry = (i: number): Entry => ({ physicalAddress: `data/e${i}`, size: i + 1, etag: `e${i}`, lastModified: new Date(1_800_000_000_000), addressType: "relative" });
const expected = Array.from({ length: N }, (_v, i) => path(i)).sort();

describe("metadata service: diffs stream page by page", () => {
  let t: TestService;
  before(async () => {
    t = await startService();
    await t.client.createRepository({ name: "wide", storageNamespace: t.namespace("wide") });
    await t.client.createBranch({ repository: "wide", name: "load", source: "main" });
    await t.svc.graveler.setObjects("wide", "load", Array.from({ length: N }, (_v, i) => ({ path: path(i), entry: entry(i) })));
  });
  after(async () => {
    await t?.close();
  });

  it("streams 20,500 uncommitted changes, each once and in order", async () => {
    const batches = await collect(t.client.diffUncommitted({ repository: "wide", branch: "load" }));
    assert.ok(batches.every((b) => b.results.length <= 1000), "no batch over 1,000 changes");
    assert.ok(batches.slice(0, -1).every((b) => b.pagination === null), "only the last batch carries pagination");
    assert.deepEqual(batches.flatMap((b) => b.results.map((d) => d.path)), expected);
    assert.ok(batches.flatMap((b) => b.results).every((d) => d.type === "CHANGE_TYPE_ADDED"));
    assert.deepEqual(batches.at(-1)!.pagination, { hasMore: false, nextOffset: "", results: N, maxPerPage: 0 });
  });

  it("streams 20,500 committed changes between branches, each once and in order, and pages with after", async () => {
    await t.client.commit({ repository: "wide", branch: "load", message: "20,500 events" });
    const batches = await collect(t.client.diff({ repository: "wide", leftRef: "main", rightRef: "load" }));
    assert.equal(batches.length, Math.ceil(N / 1000));
    assert.deepEqual(batches.flatMap((b) => b.results.map((d) => d.path)), expected);

    // A window in the middle: after one path, under one prefix, a limited amount.
    const under = expected.filter((p) => p.startsWith("events/day=3/"));
    const page = await collect(t.client.diff({ repository: "wide", leftRef: "main", rightRef: "load", prefix: "events/day=3/", after: under[99], amount: 1500 }));
    assert.deepEqual(page.flatMap((b) => b.results.map((d) => d.path)), under.slice(100, 1600));
    assert.deepEqual(page.at(-1)!.pagination, { hasMore: true, nextOffset: under[1599], results: 1500, maxPerPage: 1500 });

    // Grouped by a delimiter: one common prefix per day, in order.
    const days = await collect(t.client.diff({ repository: "wide", leftRef: "main", rightRef: "load", prefix: "events/", delimiter: "/" }));
    assert.deepEqual(days.flatMap((b) => b.results.map((d) => d.path)), Array.from({ length: 7 }, (_v, d) => `events/day=${d}/`));

    const merged = await t.client.merge({ repository: "wide", sourceRef: "load", destinationBranch: "main" });
    assert.deepEqual(merged.summary, { added: N, removed: 0, changed: 0, conflict: 0 });
  });

  it("lists the first 1,000 of 1,200 merge conflicts in order, marked truncated, and none that agree", async () => {
    const c = t.client;
    await c.createBranch({ repository: "wide", name: "theirs", source: "main" });
    const on = (branch: string, ids: number[], version: string) =>
      t.svc.graveler.setObjects("wide", branch, ids.map((i) => ({ path: path(i), entry: { ...entry(i), etag: `e${i}${version}` } })));
    const clash = Array.from({ length: 1200 }, (_v, i) => i * 17);
    const agree = Array.from({ length: 300 }, (_v, i) => i * 17 + 5);
    await on("theirs", [...clash, ...agree], "theirs");
    await c.commit({ repository: "wide", branch: "theirs", message: "theirs" });
    await on("main", clash, "ours");
    await on("main", agree, "theirs"); // the same change on both sides is no conflict
    await c.commit({ repository: "wide", branch: "main", message: "ours" });
    await assert.rejects(c.merge({ repository: "wide", sourceRef: "theirs", destinationBranch: "main" }), (err: unknown) => {
      const conflicts = (err as ApiError).conflicts;
      assert.equal(conflicts?.truncated, true);
      assert.deepEqual(conflicts?.paths, clash.map(path).sort().slice(0, 1000));
      return true;
    });
  });
});
