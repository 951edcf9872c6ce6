// Refs, tags, history operations: ref expressions, tags, revert (with parent numbers), cherry-pick, resets,
// repository listing and deletion.
import assert from "node:assert/strict";
import { hasCode } from "../../src/errors";
import { parseRef } from "../../src/graveler/refs/expression";
import { entry, makeEnv, TestEnv } from "./support/env";

const etag = async (env: TestEnv, ref: string, p: string) =>
  env.g.getObject("rep1", ref, p).then((e) => e.etag, (e) => (hasCode(e, "NOT_FOUND") ? undefined : Promise.reject(e)));

describe("graveler: refs and history", () => {
  let env: TestEnv;
  beforeEach(async () => {
    let t = 1_700_000_000_000;
    env = await makeEnv({ shape: { raggedness: 3 }, now: () => new Date((t += 1000)) });
    await env.g.createRepository("rep1", "local://r1");
  });
  afterEach(() => env.close());

  it("parses ref expressions", () => {
    assert.deepEqual(parseRef("main@~2^2"), { base: "main", committedOnly: true, modifiers: [{ kind: "ancestor", n: 2 }, { kind: "parent", n: 2 }] });
    assert.deepEqual(parseRef("v1.0^"), { base: "v1.0", committedOnly: false, modifiers: [{ kind: "parent", n: 1 }] });
    assert.throws(() => parseRef("a@b"), (e) => hasCode(e, "INVALID_ARGUMENT"));
    assert.throws(() => parseRef("~1"), (e) => hasCode(e, "INVALID_ARGUMENT"));
  });

  it("resolves branches, tags, IDs, unique prefixes, ~N, ^N and @", async () => {
    await env.g.setObject("rep1", "main", "a", entry("1"));
    const c1 = await env.g.commit("rep1", "main", { message: "one" });
    await env.g.setObject("rep1", "main", "a", entry("2"));
    const c2 = await env.g.commit("rep1", "main", { message: "two" });
    await env.g.setObject("rep1", "main", "a", entry("staged"));
    await env.g.createTag("rep1", "v1", c1.id);
    assert.equal(await env.g.getTag("rep1", "v1"), c1.id);
    await assert.rejects(env.g.createTag("rep1", "v1", "main"), (e) => hasCode(e, "ALREADY_EXISTS"));
    assert.equal(await etag(env, "main", "a"), "etag-staged");
    assert.equal(await etag(env, "main@", "a"), "etag-2");
    assert.equal(await etag(env, "main~1", "a"), "etag-1");
    assert.equal(await etag(env, "main^", "a"), "etag-1");
    assert.equal(await etag(env, "main~2", "a"), undefined);
    assert.equal(await etag(env, "v1", "a"), "etag-1");
    assert.equal(await etag(env, c2.id, "a"), "etag-2");
    assert.equal(await etag(env, c2.id.slice(0, 6), "a"), "etag-2");
    assert.deepEqual((await env.g.listTags("rep1")).map((t) => t.id), ["v1"]);
    await env.g.deleteTag("rep1", "v1");
    await assert.rejects(env.g.getTag("rep1", "v1"), (e) => hasCode(e, "NOT_FOUND"));
    const log = await env.g.log("rep1", "main", { amount: 2 });
    assert.deepEqual(log.map((c) => c.id), [c2.id, c1.id]);
    assert.deepEqual((await env.g.log("rep1", "main", { after: c2.id, amount: 1 })).map((c) => c.id), [c1.id]);
  });

  it("reverts a commit, and a merge commit by parent number", async () => {
    await env.g.setObject("rep1", "main", "a", entry("1"));
    await env.g.commit("rep1", "main", { message: "a" });
    await env.g.createBranch("rep1", "side", "main");
    await env.g.setObject("rep1", "side", "b", entry("b"));
    await env.g.commit("rep1", "side", { message: "b" });
    await env.g.setObject("rep1", "main", "c", entry("c"));
    await env.g.commit("rep1", "main", { message: "c" });
    const merge = await env.g.merge("rep1", "side", "main");
    await assert.rejects(env.g.revert("rep1", "main", merge.id), (e) => hasCode(e, "INVALID_ARGUMENT") && /parent number/.test((e as Error).message));
    await env.g.revert("rep1", "main", merge.id, { parentNumber: 1 });
    assert.equal(await etag(env, "main", "b"), undefined);
    assert.equal(await etag(env, "main", "c"), "etag-c");
    await env.g.revert("rep1", "main", "main");
    assert.equal(await etag(env, "main", "b"), "etag-b");
  });

  it("cherry-picks a commit onto another branch", async () => {
    await env.g.setObject("rep1", "main", "a", entry("1"));
    await env.g.commit("rep1", "main", { message: "a" });
    await env.g.createBranch("rep1", "dev", "main");
    await env.g.setObject("rep1", "dev", "x", entry("x"));
    await env.g.commit("rep1", "dev", { message: "x" });
    await env.g.setObject("rep1", "dev", "y", entry("y"));
    const picked = await env.g.commit("rep1", "dev", { message: "y" });
    const c = await env.g.cherryPick("rep1", picked.id, "main");
    assert.equal(c.message, "y");
    assert.equal(await etag(env, "main", "y"), "etag-y");
    assert.equal(await etag(env, "main", "x"), undefined);
  });

  it("resets a branch, under a prefix or all, and hard-resets it to a ref", async () => {
    await env.g.setObject("rep1", "main", "keep/a", entry("1"));
    const c1 = await env.g.commit("rep1", "main", { message: "a" });
    await env.g.setObject("rep1", "main", "keep/b", entry("b"));
    await env.g.setObject("rep1", "main", "drop/c", entry("c"));
    await env.g.resetBranch("rep1", "main", { prefix: "drop/" });
    assert.deepEqual((await env.g.diffUncommitted("rep1", "main")).map((d) => d.path), ["keep/b"]);
    await env.g.resetBranch("rep1", "main");
    assert.deepEqual(await env.g.diffUncommitted("rep1", "main"), []);
    await env.g.setObject("rep1", "main", "keep/b", entry("b"));
    await env.g.commit("rep1", "main", { message: "b" });
    await env.g.hardResetBranch("rep1", "main", c1.id);
    assert.equal((await env.g.getBranch("rep1", "main")).commitId, c1.id);
    assert.equal(await etag(env, "main", "keep/b"), undefined);
  });

  it("lists and deletes repositories and branches", async () => {
    await env.g.createRepository("rep2", "local://r2");
    await env.g.createRepository("rep3", "local://r3");
    assert.deepEqual((await env.g.listRepositories({ after: "rep1", amount: 1 })).map((r) => r.id), ["rep2"]);
    await env.g.createBranch("rep1", "b1", "main");
    await env.g.setObject("rep1", "b1", "f", entry("f"));
    assert.deepEqual((await env.g.listBranches("rep1")).map((b) => b.id), ["b1", "main"]);
    await env.g.deleteBranch("rep1", "b1");
    await assert.rejects(env.g.getBranch("rep1", "b1"), (e) => hasCode(e, "NOT_FOUND"));
    await env.g.deleteRepository("rep2");
    await assert.rejects(env.g.getRepository("rep2"), (e) => hasCode(e, "NOT_FOUND"));
    await env.g.settled();
    // its namespace is free again
    await env.g.createRepository("rep4", "local://r2");
  });
});
