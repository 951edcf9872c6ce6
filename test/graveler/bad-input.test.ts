// Bad input: each is refused with one clear error, and none changes any state (key-value store and files).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { hasCode, isCorruption } from "../../src/errors";
import { entry, makeEnv, TestEnv } from "./support/env";

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).sort();
}

describe("graveler: bad input changes nothing", () => {
  let env: TestEnv;
  beforeEach(async () => {
    env = await makeEnv({ shape: { raggedness: 4 } });
    await env.g.createRepository("repo1", "local://ns1");
    for (let i = 0; i < 40; i++) await env.g.setObject("repo1", "main", `a/${String(i).padStart(3, "0")}`, entry(`v${i}`));
    await env.g.commit("repo1", "main", { message: "data" });
    await env.g.setObject("repo1", "main", "staged", entry("s"));
  });
  afterEach(() => env.close());

  async function refused(what: () => Promise<unknown>, code: string, message: RegExp): Promise<void> {
    await env.g.settled();
    const kvBefore = await env.dump();
    const filesBefore = filesUnder(path.join(env.root, "stores"));
    await assert.rejects(what(), (err: Error) => {
      assert.ok(hasCode(err, code as never), `expected ${code}, got ${err}`);
      assert.match(err.message, message);
      return true;
    });
    assert.equal(await env.dump(), kvBefore, "the key-value store changed");
    assert.deepEqual(filesUnder(path.join(env.root, "stores")), filesBefore, "files changed");
  }

  it("refuses invalid repository, branch and tag names", async () => {
    for (const name of ["Repo", "ab", "-abc", "a_b_c", "x".repeat(64), "a/b"]) await refused(() => env.g.createRepository(name, `local://other-${name.length}`), "INVALID_ARGUMENT", /invalid repository name/);
    for (const name of ["-x", ".x", "a/b", "a b", "x~1", "", "é".repeat(200)]) await refused(() => env.g.createBranch("repo1", name, "main"), "INVALID_ARGUMENT", /invalid branch name/);
    for (const name of ["-x", "a:b", "x^"]) await refused(() => env.g.createTag("repo1", name, "main"), "INVALID_ARGUMENT", /invalid tag name/);
  });

  it("refuses paths with NUL or over 1024 bytes", async () => {
    await refused(() => env.g.setObject("repo1", "main", "a\0b", entry("x")), "INVALID_ARGUMENT", /contains NUL/);
    await refused(() => env.g.setObject("repo1", "main", "é".repeat(513), entry("x")), "INVALID_ARGUMENT", /1026 bytes, at most 1024/);
    await refused(() => env.g.setObjects("repo1", "main", [{ path: "ok", entry: entry("x") }, { path: "bad\0", entry: entry("x") }]), "INVALID_ARGUMENT", /NUL/);
    await refused(() => env.g.getObject("repo1", "main", "x".repeat(1025)), "INVALID_ARGUMENT", /at most 1024/);
  });

  it("refuses page sizes out of range", async () => {
    for (const amount of [0, -1, 1.5, 100_001]) {
      await refused(() => env.g.listObjects("repo1", "main", { amount }), "INVALID_ARGUMENT", /invalid amount/);
      await refused(() => env.g.log("repo1", "main", { amount }), "INVALID_ARGUMENT", /invalid amount/);
      await refused(() => env.g.diff("repo1", "main", "main", { amount }), "INVALID_ARGUMENT", /invalid amount/);
    }
  });

  it("refuses unknown refs and repositories", async () => {
    await refused(() => env.g.getObject("repo1", "nope", "a/001"), "NOT_FOUND", /ref "nope" not found in repository repo1/);
    await refused(() => env.g.createBranch("repo1", "b2", "deadbeef"), "NOT_FOUND", /ref "deadbeef" not found/);
    await refused(() => env.g.createTag("repo1", "t1", "main~5"), "NOT_FOUND", /has no parent 1/);
    await refused(() => env.g.merge("repo1", "ghost", "main"), "NOT_FOUND", /ghost/);
    await refused(() => env.g.listObjects("repo2", "main"), "NOT_FOUND", /repository repo2 not found/);
  });

  it("refuses a namespace used by another repository", async () => {
    await refused(() => env.g.createRepository("repo2", "local://ns1"), "ALREADY_EXISTS", /storage namespace local:\/\/ns1 is already used by repository repo1/);
    await refused(() => env.g.createRepository("repo1", "local://ns9"), "ALREADY_EXISTS", /repository repo1 already exists/);
  });

  it("refuses to delete the default branch", async () => {
    await refused(() => env.g.deleteBranch("repo1", "main"), "FAILED_PRECONDITION", /default branch of repository repo1/);
  });

  it("refuses to merge into a branch with uncommitted changes", async () => {
    await env.g.createBranch("repo1", "feature", "main@");
    await env.g.setObject("repo1", "feature", "f", entry("f"));
    await env.g.commit("repo1", "feature", { message: "f" });
    await refused(() => env.g.merge("repo1", "feature", "main"), "FAILED_PRECONDITION", /uncommitted changes/);
  });

  it("reports a missing range file by file and repository, with no partial result", async () => {
    await env.g.commit("repo1", "main", { message: "all" });
    const head = await env.g.getCommit("repo1", "main");
    const ranges = await env.g.committed.metaRange({ name: "repo1", storageNamespace: "local://ns1" }, head.metaRangeId);
    assert.ok(ranges.length > 2);
    const victim = ranges[1].id;
    fs.rmSync(path.join(env.dir("local://ns1"), "_tarn", victim));
    const g2 = env.fresh();
    await env.g.settled();
    const kvBefore = await env.dump();
    await assert.rejects(g2.listObjects("repo1", "main"), (err: Error) => isCorruption(err) && err.message.includes(victim) && /repository repo1/.test(err.message) && /missing/.test(err.message));
    await assert.rejects(g2.createBranch("repo1", "x", "main").then(() => g2.setObject("repo1", "x", ranges[1].maxKey.toString(), entry("y"))).then(() => g2.commit("repo1", "x", { message: "m" })), (err: Error) => isCorruption(err) && err.message.includes(victim));
    await g2.deleteBranch("repo1", "x");
    await g2.settled();
    assert.equal(await env.dump().then((d) => d.split("\n").length), kvBefore.split("\n").length);
    assert.equal((await g2.getBranch("repo1", "main")).commitId, head.id);
  });

  it("reports a corrupt range file by file and repository", async () => {
    await env.g.commit("repo1", "main", { message: "all" });
    const head = await env.g.getCommit("repo1", "main");
    const ranges = await env.g.committed.metaRange({ name: "repo1", storageNamespace: "local://ns1" }, head.metaRangeId);
    const victim = ranges[0].id;
    const file = path.join(env.dir("local://ns1"), "_tarn", victim);
    const bytes = fs.readFileSync(file);
    bytes[10] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const g2 = env.fresh();
    await assert.rejects(g2.getObject("repo1", "main", ranges[0].minKey.toString()), (err: Error) => isCorruption(err) && err.message.includes(victim) && /repository repo1/.test(err.message));
    await assert.rejects(g2.listObjects("repo1", "main"), (err: Error) => isCorruption(err) && err.message.includes(victim));
    // main~1 shares the damaged range with main, so their diff never reads it; against the empty tree it must.
    assert.equal((await g2.diff("repo1", "main~1", "main")).length, 1);
    await assert.rejects(g2.diff("repo1", "main~2", "main"), (err: Error) => isCorruption(err) && err.message.includes(victim));
  });
});
