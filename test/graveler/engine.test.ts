import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Graveler } from "../../src/graveler/graveler";
import { MemoryKv } from "../../src/graveler/kv/memory";
import { hasCode } from "../../src/errors";
import { makeEnv, TestEnv, entry } from "./support/env";

describe("graveler: repositories, branches, objects, commits", () => {
  let env: TestEnv;
  beforeEach(async () => {
    env = await makeEnv({ level: true, shape: { raggedness: 5 } });
  });
  afterEach(() => env.close());

  it("creates a repository with a default branch and an initial empty commit", async () => {
    const repo = await env.g.createRepository("repo1", "local://ns1");
    assert.equal(repo.defaultBranch, "main");
    const main = await env.g.getBranch("repo1", "main");
    const log = await env.g.log("repo1", "main");
    assert.equal(log.length, 1);
    assert.equal(log[0].id, main.commitId);
    assert.deepEqual((await env.g.listObjects("repo1", "main")).results, []);
  });

  it("stages, reads through staging, commits, lists and diffs", async () => {
    await env.g.createRepository("repo1", "local://ns1");
    for (let i = 0; i < 30; i++) await env.g.setObject("repo1", "main", `dir${i % 3}/file${i}`, entry(`v${i}`));
    assert.equal((await env.g.getObject("repo1", "main", "dir1/file1")).etag, "etag-v1");
    await assert.rejects(env.g.getObject("repo1", "main@", "dir1/file1"), (e) => hasCode(e, "NOT_FOUND"));
    const c1 = await env.g.commit("repo1", "main", { message: "first", committer: "me" });
    assert.equal((await env.g.getObject("repo1", "main@", "dir1/file1")).etag, "etag-v1");
    assert.equal((await env.g.getObject("repo1", c1.id.slice(0, 8), "dir1/file1")).etag, "etag-v1");
    const listed = await env.g.listObjects("repo1", "main", { delimiter: "/" });
    assert.deepEqual(listed.results, [{ commonPrefix: "dir0/" }, { commonPrefix: "dir1/" }, { commonPrefix: "dir2/" }]);
    const page1 = await env.g.listObjects("repo1", "main", { prefix: "dir0/", amount: 4 });
    assert.equal(page1.results.length, 4);
    assert.equal(page1.hasMore, true);
    const after = (page1.results[3] as { path: string }).path;
    const page2 = await env.g.listObjects("repo1", "main", { prefix: "dir0/", after, amount: 100 });
    assert.equal(page2.results.length, 6);
    assert.equal(page2.hasMore, false);

    await env.g.createBranch("repo1", "feature", "main");
    await env.g.setObject("repo1", "feature", "dir1/file1", entry("changed"));
    await env.g.deleteObject("repo1", "feature", "dir2/file2");
    await env.g.setObject("repo1", "feature", "new", entry("new"));
    const uncommitted = await env.g.diffUncommitted("repo1", "feature");
    assert.deepEqual(uncommitted.map((d) => [d.type, d.path]), [["changed", "dir1/file1"], ["removed", "dir2/file2"], ["added", "new"]]);
    await env.g.commit("repo1", "feature", { message: "change" });
    const d = await env.g.diff("repo1", "main", "feature");
    assert.deepEqual(d.map((x) => [x.type, x.path]), [["changed", "dir1/file1"], ["removed", "dir2/file2"], ["added", "new"]]);

    await env.g.merge("repo1", "feature", "main");
    assert.equal((await env.g.getObject("repo1", "main", "dir1/file1")).etag, "etag-changed");
    await assert.rejects(env.g.getObject("repo1", "main", "dir2/file2"), (e) => hasCode(e, "NOT_FOUND"));
    assert.deepEqual(await env.g.diff("repo1", "main", "feature"), []);
    const log = await env.g.log("repo1", "main");
    assert.equal(log[0].parents.length, 2);
    assert.equal((await env.g.log("repo1", "main", { firstParent: true })).length, 3);
    assert.equal((await env.g.getCommit("repo1", "main~1")).id, c1.id);
  });
});

describe("graveler: storage namespaces opened by URI", () => {
  it("keeps ranges in a local:// namespace opened with the block module, and refuses an unknown scheme", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-ns-"));
    const kv = new MemoryKv();
    const g = new Graveler({ kv, committed: { cacheDir: path.join(root, "cache") } });
    try {
      const ns = `local://${path.join(root, "lake")}`;
      fs.mkdirSync(path.join(root, "lake"));
      await g.createRepository("lake", ns);
      await g.setObject("lake", "main", "x/y", entry("y"));
      const c = await g.commit("lake", "main", { message: "y" });
      assert.ok(fs.existsSync(path.join(root, "lake", "_tarn", c.metaRangeId)));
      await g.settled();
      const before = (await kv.scan({})).length;
      await assert.rejects(g.createRepository("other", "bogus://nowhere"), (e) => hasCode(e, "INVALID_ARGUMENT"));
      assert.equal((await kv.scan({})).length, before);
    } finally {
      await g.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
