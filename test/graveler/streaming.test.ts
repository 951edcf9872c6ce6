// Diffs and merges stream: a diff of hundreds of thousands of changes is consumed page by page with a bounded
// number of changes held at once, a merge of many changes writes range by range and counts every conflict, and a
// reset under a prefix while a commit reads its staged entries makes that commit fail rather than record half of it.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { openObjectStore } from "../../src/block";
import { hasCode } from "../../src/errors";
import { encodeEntry } from "../../src/graveler/entry";
import { Graveler } from "../../src/graveler/graveler";
import { MemoryKv } from "../../src/graveler/kv/memory";
import type { KvStore } from "../../src/graveler/kv/types";
import { entry, makeEnv, TestEnv } from "./support/env";

const N = 200_000;
const key = (i: number) => `events/part-${String(i).padStart(7, "0")}.parquet`;
function* tree(n: number, value: Buffer): Iterable<[Buffer, Buffer]> {
  for (let i = 0; i < n; i++) yield [Buffer.from(key(i)), value];
}

describe("graveler: streaming diff and merge", function () {
  this.timeout(240_000);
  let env: TestEnv;
  beforeEach(async () => {
    env = await makeEnv({ shape: { raggedness: 5000 } });
    await env.g.createRepository("stream", "local://stream");
  });
  afterEach(() => env.close());

  it(`consumes a diff of ${N.toLocaleString("en")} changes page by page, holding at most one page`, async () => {
    await env.g.importCommit("stream", "main", tree(N, encodeEntry(entry("old"))), { message: "old" });
    await env.g.createBranch("stream", "next", "main");
    await env.g.importCommit("stream", "next", tree(N, encodeEntry(entry("new"))), { message: "new" });
    const stats = { maxBuffered: 0 };
    let pages = 0;
    let seen = 0;
    let last = "";
    for await (const page of env.g.diffPages("stream", "main", "next", { amount: 1000, stats })) {
      pages++;
      assert.ok(page.length <= 1000, `page of ${page.length}`);
      for (const d of page) {
        assert.equal(d.type, "changed");
        assert.ok(d.path > last, `${d.path} after ${last}`);
        last = d.path;
      }
      seen += page.length;
    }
    assert.equal(seen, N);
    assert.equal(pages, N / 1000);
    assert.ok(stats.maxBuffered > 0 && stats.maxBuffered <= 1000, `held ${stats.maxBuffered} changes at once`);
    // A page after a path starts right after it.
    const page = await env.g.diff("stream", "main", "next", { after: key(12_344), amount: 2 });
    assert.deepEqual(page.map((d) => d.path), [key(12_345), key(12_346)]);
  });

  it(`consumes an uncommitted diff of ${N.toLocaleString("en")} staged changes page by page`, async () => {
    await env.g.importCommit("stream", "main", tree(N / 2, encodeEntry(entry("old"))), { message: "half" });
    for (let i = 0; i < N; i += 20_000) {
      await env.g.setObjects("stream", "main", Array.from({ length: 20_000 }, (_, j) => ({ path: key(i + j), entry: entry(`s${i + j}`) })));
    }
    const stats = { maxBuffered: 0 };
    const counts = { added: 0, changed: 0, removed: 0 };
    let pages = 0;
    for await (const page of env.g.diffUncommittedPages("stream", "main", { amount: 500, stats })) {
      pages++;
      assert.ok(page.length <= 500);
      for (const d of page) counts[d.type]++;
    }
    assert.deepEqual(counts, { added: N / 2, changed: N / 2, removed: 0 });
    assert.equal(pages, N / 500);
    // One page being filled plus one chunk of staged entries read from the store.
    assert.ok(stats.maxBuffered > 0 && stats.maxBuffered <= 500 + 5000, `held ${stats.maxBuffered} changes at once`);
    const page = await env.g.diffUncommitted("stream", "main", { after: key(99_999), amount: 3 });
    assert.deepEqual(page.map((d) => [d.type, d.path]), [["added", key(100_000)], ["added", key(100_001)], ["added", key(100_002)]]);
  });

  it("merges tens of thousands of changes on both sides, and counts every conflict", async () => {
    await env.g.importCommit("stream", "main", tree(60_000, encodeEntry(entry("base"))), { message: "base" });
    await env.g.createBranch("stream", "left", "main");
    await env.g.createBranch("stream", "right", "main");
    const change = (branch: string, from: number, count: number, tag: string) =>
      env.g.setObjects("stream", branch, Array.from({ length: count }, (_, j) => ({ path: key(from + j), entry: entry(`${tag}${from + j}`) })));
    await change("left", 0, 25_000, "l");
    await change("right", 30_000, 25_000, "r");
    await env.g.commit("stream", "left", { message: "left" });
    await env.g.commit("stream", "right", { message: "right" });
    await env.g.merge("stream", "left", "right");
    const merged = await env.g.diff("stream", "main", "right", {});
    assert.equal(merged.length, 50_000);
    // Now both sides change the same 21,000 paths differently: a conflict for each, none written.
    await env.g.createBranch("stream", "other", "right");
    await change("other", 1000, 21_000, "o");
    await change("right", 1000, 21_000, "x");
    await env.g.commit("stream", "other", { message: "other" });
    const head = await env.g.commit("stream", "right", { message: "x" });
    await assert.rejects(env.g.merge("stream", "other", "right"), (err: Error) => hasCode(err, "FAILED_PRECONDITION") && /21000 path\(s\) changed on both sides/.test(err.message) && /and 20980 more/.test(err.message));
    assert.equal((await env.g.getBranch("stream", "right")).commitId, head.id);
  });

  it("never commits half of a prefix reset that runs while the commit reads its staged entries", async () => {
    // A key-value store that holds the commit after it read its first page of staged entries, until released.
    const inner = new MemoryKv();
    let reached!: () => void;
    const atGate = new Promise<void>((r) => (reached = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const kv: KvStore = {
      get: (k) => inner.get(k),
      write: (batch) => inner.write(batch),
      close: () => inner.close(),
      scan: async (options) => {
        if (options.limit === 10_000 && options.after && options.prefix?.toString().startsWith("stage/")) {
          reached();
          await gate;
        }
        return inner.scan(options);
      },
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-graveler-reset-"));
    const g = new Graveler({ kv, committed: { cacheDir: path.join(dir, "cache"), openStore: (ns) => openObjectStore(`local://${path.join(dir, ns.replace(/\W/g, "_"))}`) } });
    try {
      await g.createRepository("race", "local://race");
      await g.setObjects("race", "main", Array.from({ length: 12_000 }, (_, j) => ({ path: `a/${String(j).padStart(5, "0")}`, entry: entry(`a${j}`) })));
      await g.setObjects("race", "main", Array.from({ length: 10 }, (_, j) => ({ path: `b/${j}`, entry: entry(`b${j}`) })));
      const before = (await g.getBranch("race", "main")).commitId;
      const commit = g.commit("race", "main", { message: "race" }).then((c) => c, (err: Error) => err);
      await atGate; // the commit has read 10,000 of the 12,000 paths under a/
      await g.resetBranch("race", "main", { prefix: "a/" });
      release();
      const outcome = await commit;
      const count = async (ref: string, prefix: string) => (await g.listObjects("race", ref, { prefix, amount: 100_000 })).results.length;
      if (!(outcome instanceof Error)) assert.fail(`the commit went through with ${await count(outcome.id, "a/")} of the 12000 paths the reset dropped`);
      assert.ok(hasCode(outcome, "FAILED_PRECONDITION"), outcome.message);
      assert.equal((await g.getBranch("race", "main")).commitId, before);
      // The refused commit lost nothing: the next one holds what the reset left.
      const next = await g.commit("race", "main", { message: "after the reset" });
      assert.equal(await count(next.id, "a/"), 0);
      assert.equal(await count(next.id, "b/"), 10);
      assert.deepEqual(await g.diffUncommitted("race", "main"), []);
    } finally {
      await g.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
