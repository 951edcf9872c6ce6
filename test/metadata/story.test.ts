// The user story of DESIGN.md through the SDK against a real service: create a repository, upload files,
// commit, branch, change a file, diff, merge, and read the merged bytes back, with the bytes going
// straight to the local store (never through the service).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Readable } from "node:stream";
import { collect, startService, TestService } from "./support";

describe("metadata service: the user story through TarnClient", () => {
  let t: TestService;
  before(async () => {
    t = await startService();
  });
  after(async () => {
    await t?.close();
  });

  it("creates a repository, uploads, commits, branches, diffs, merges and reads the merged bytes back", async () => {
    const c = t.client;
    const ns = t.namespace("story");
    const repo = await c.createRepository({ name: "story", storageNamespace: ns });
    assert.equal(repo.defaultBranch, "main");
    assert.deepEqual((await c.listRepositories()).results.map((r) => r.id), ["story"]);

    const a = await c.upload("story", "main", "data/a.csv", Buffer.from("id,name\n1,alpha\n"), { contentType: "text/csv", metadata: { owner: "ops" } });
    assert.match(a.physicalAddress, /^data\/[0-9a-f]+$/);
    // The bytes were written by the client into the store, where the entry points.
    assert.equal(fs.readFileSync(path.join(ns.slice("local://".length), a.physicalAddress), "utf8"), "id,name\n1,alpha\n");
    await c.upload("story", "main", "data/b.txt", Readable.from([Buffer.from("bee "), Buffer.from("text")]));
    await c.upload("story", "main", "README", Buffer.from("readme v1"));

    const uncommitted = await collect(c.differences({ repository: "story", branch: "main" }));
    assert.deepEqual(uncommitted.map((d) => [d.type, d.path]), [["CHANGE_TYPE_ADDED", "README"], ["CHANGE_TYPE_ADDED", "data/a.csv"], ["CHANGE_TYPE_ADDED", "data/b.txt"]]);
    const first = await c.commit({ repository: "story", branch: "main", message: "first data", metadata: { source: "test" } });
    assert.equal(first.committer, "admin");
    assert.equal(first.parents.length, 1);
    assert.deepEqual(first.metadata, { source: "test" });

    await c.createBranch({ repository: "story", name: "feature", source: "main" });
    await c.upload("story", "feature", "data/a.csv", Buffer.from("id,name\n1,alpha\n2,beta\n"), { contentType: "text/csv" });
    await c.deleteObject({ repository: "story", branch: "feature", path: "data/b.txt" });
    await c.upload("story", "feature", "data/c.json", Buffer.from('{"c":3}'));
    await c.commit({ repository: "story", branch: "feature", message: "change a, drop b, add c" });

    const diff = await collect(c.differences({ repository: "story", leftRef: "main", rightRef: "feature" }));
    assert.deepEqual(diff.map((d) => [d.type, d.path]), [["CHANGE_TYPE_CHANGED", "data/a.csv"], ["CHANGE_TYPE_REMOVED", "data/b.txt"], ["CHANGE_TYPE_ADDED", "data/c.json"]]);
    const grouped = await collect(c.differences({ repository: "story", leftRef: "main", rightRef: "feature", delimiter: "/" }));
    assert.deepEqual(grouped.map((d) => [d.path, d.pathType]), [["data/", "PATH_TYPE_COMMON_PREFIX"]]);

    const merged = await c.merge({ repository: "story", sourceRef: "feature", destinationBranch: "main" });
    assert.deepEqual(merged.summary, { added: 1, removed: 1, changed: 1, conflict: 0 });
    assert.equal((await c.getBranch({ repository: "story", branch: "main" })).commitId, merged.reference);
    const mergeCommit = await c.getCommit({ repository: "story", ref: "main" });
    assert.equal(mergeCommit.parents.length, 2);

    assert.equal((await c.downloadBuffer("story", "main", "data/a.csv")).toString(), "id,name\n1,alpha\n2,beta\n");
    const stat = await c.statObject({ repository: "story", ref: "main", path: "data/a.csv" });
    assert.equal(stat.contentType, "text/csv");
    assert.equal(stat.sizeBytes, 23);
    assert.equal((await c.downloadBuffer("story", "main~1", "data/a.csv")).toString(), "id,name\n1,alpha\n");
    const listing = await collect(c.objects({ repository: "story", ref: "main" }));
    assert.deepEqual(listing.map((o) => o.path), ["README", "data/a.csv", "data/c.json"]);
    const top = await collect(c.objects({ repository: "story", ref: "main", delimiter: "/" }));
    assert.deepEqual(top.map((o) => [o.path, o.pathType]), [["README", "PATH_TYPE_OBJECT"], ["data/", "PATH_TYPE_COMMON_PREFIX"]]);

    const log = await c.log({ repository: "story", ref: "main" });
    assert.deepEqual(log.results.map((x) => x.message), [mergeCommit.message, "change a, drop b, add c", "first data", "Repository created"]);
    assert.equal(log.pagination.hasMore, false);
    const page = await c.log({ repository: "story", ref: "main", amount: 2 });
    assert.equal(page.pagination.hasMore, true);
    const rest = await c.log({ repository: "story", ref: "main", after: page.pagination.nextOffset, amount: 10 });
    assert.deepEqual(rest.results.map((x) => x.message), ["first data", "Repository created"]);
  });

  it("tags, reverts, cherry-picks and resets", async () => {
    const c = t.client;
    await c.createRepository({ name: "ops", storageNamespace: t.namespace("ops"), defaultBranch: "trunk" });
    await c.upload("ops", "trunk", "x", Buffer.from("x1"));
    const one = await c.commit({ repository: "ops", branch: "trunk", message: "x1" });
    await c.createTag({ repository: "ops", id: "v1", ref: "trunk" });
    assert.equal((await c.getTag({ repository: "ops", tag: "v1" })).commitId, one.id);
    assert.deepEqual((await c.listTags({ repository: "ops" })).results.map((r) => r.id), ["v1"]);

    await c.upload("ops", "trunk", "x", Buffer.from("x2"));
    const two = await c.commit({ repository: "ops", branch: "trunk", message: "x2" });
    const reverted = await c.revertCommit({ repository: "ops", branch: "trunk", ref: two.id });
    assert.equal(reverted.message, `Revert ${two.id}`);
    assert.equal((await c.downloadBuffer("ops", "trunk", "x")).toString(), "x1");

    await c.createBranch({ repository: "ops", name: "side", source: "v1" });
    const picked = await c.cherryPick({ repository: "ops", branch: "side", ref: two.id });
    assert.equal(picked.metadata.cherry_picked_from, two.id);
    assert.equal((await c.downloadBuffer("ops", "side", "x")).toString(), "x2");

    // Reset one object, then a prefix, then everything.
    await c.upload("ops", "side", "keep/a", Buffer.from("a"));
    await c.upload("ops", "side", "drop/b", Buffer.from("b"));
    await c.upload("ops", "side", "x", Buffer.from("x3"));
    await c.resetBranch({ repository: "ops", branch: "side", type: "RESET_TYPE_OBJECT", path: "x" });
    assert.equal((await c.downloadBuffer("ops", "side", "x")).toString(), "x2");
    await c.resetBranch({ repository: "ops", branch: "side", type: "RESET_TYPE_PREFIX", path: "drop/" });
    assert.deepEqual((await collect(c.objects({ repository: "ops", ref: "side" }))).map((o) => o.path), ["keep/a", "x"]);
    await assert.rejects(c.hardResetBranch({ repository: "ops", branch: "side", ref: "v1" }), { code: "FAILED_PRECONDITION" });
    const hard = await c.hardResetBranch({ repository: "ops", branch: "side", ref: "v1", force: true });
    assert.equal(hard.commitId, one.id);
    assert.deepEqual((await collect(c.objects({ repository: "ops", ref: "side" }))).map((o) => o.path), ["x"]);

    const del = await c.deleteObjects({ repository: "ops", branch: "trunk", paths: ["x", "missing"] });
    assert.deepEqual(del.errors.map((e) => [e.path, e.code]), [["missing", "NOT_FOUND"]]);
    await assert.rejects(c.statObject({ repository: "ops", ref: "trunk", path: "x" }), { code: "NOT_FOUND" });
    await c.resetBranch({ repository: "ops", branch: "trunk", type: "RESET_TYPE_ALL" });
    assert.equal((await c.statObject({ repository: "ops", ref: "trunk", path: "x" })).sizeBytes, 2);

    await c.deleteBranch({ repository: "ops", branch: "side" });
    assert.deepEqual((await c.listBranches({ repository: "ops" })).results.map((b) => b.id), ["trunk"]);
    await c.deleteTag({ repository: "ops", tag: "v1" });
    await c.deleteRepository({ repository: "ops" });
    await assert.rejects(c.getRepository({ repository: "ops" }), { code: "NOT_FOUND" });
  });

  it("puts a repository created without a namespace under the default prefix, when the server has one", async () => {
    const withDefault = await startService({ defaultNamespacePrefix: `local://${t.dir}/default-lakes/` });
    try {
      const repo = await withDefault.client.createRepository({ name: "nons" });
      assert.equal(repo.storageNamespace, `local://${t.dir}/default-lakes/nons`);
      await withDefault.client.upload("nons", "main", "f", Buffer.from("x"));
      assert.equal((await withDefault.client.downloadBuffer("nons", "main", "f")).toString(), "x");
    } finally {
      await withDefault.close();
    }
    await assert.rejects(t.client.createRepository({ name: "nons" }), { code: "INVALID_ARGUMENT", message: /object store URI is empty/ });
  });

  it("manages users and access keys, and reports cluster status", async () => {
    const c = t.client;
    assert.equal((await c.whoAmI()).user.id, "admin");
    const user = await c.createUser({ id: "carol", policy: { statements: [{ effect: "EFFECT_ALLOW", actions: ["repos:Read"], resources: ["tarn:repo:*"] }] } });
    assert.equal(user.policy?.statements[0].effect, "EFFECT_ALLOW");
    const key = await c.createAccessKey({ userId: "carol" });
    const carol = t.clientWith(key);
    const me = await carol.whoAmI();
    assert.equal(me.user.id, "carol");
    assert.equal(me.accessKeyId, key.accessKeyId);
    assert.deepEqual((await carol.listAccessKeys()).results.map((k) => k.accessKeyId), [key.accessKeyId]);
    assert.deepEqual((await c.listUsers()).results.map((u) => u.id), ["admin", "carol"]);
    await c.putUserPolicy({ userId: "carol", policy: { statements: [] } });
    assert.deepEqual((await c.getUser({ userId: "carol" })).policy?.statements, []);
    await c.deleteAccessKey({ userId: "carol", accessKeyId: key.accessKeyId });
    await assert.rejects(carol.whoAmI(), { code: "UNAUTHENTICATED" });
    await c.deleteUser({ userId: "carol" });
    await assert.rejects(c.getUser({ userId: "carol" }), { code: "NOT_FOUND" });
    await assert.rejects(c.deleteUser({ userId: "admin" }), { code: "FAILED_PRECONDITION" });

    const status = await c.getClusterStatus();
    assert.equal(status.leaderId, "local");
    assert.deepEqual(status.members.map((m) => [m.address, m.role]), [[t.address, "MEMBER_ROLE_LEADER"]]);
    await assert.rejects(c.addMember({ id: "n2", address: "127.0.0.1:1" }), { code: "FAILED_PRECONDITION" });
    await assert.rejects(c.addMember({ id: "n2", address: "nowhere" }), { code: "INVALID_ARGUMENT" });
    await assert.rejects(c.removeMember({ id: "n9" }), { code: "NOT_FOUND" });
  });
});
