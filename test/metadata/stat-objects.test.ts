// StatObjects: many lookups in one call, each answered as its own StatObject would be.
import assert from "node:assert/strict";
import { ApiError } from "../../src/client";
import { startService, TestService } from "./support";

describe("metadata: StatObjects", () => {
  let t: TestService;
  before(async () => {
    t = await startService();
    await t.client.createRepository({ name: "many", storageNamespace: t.namespace("many"), defaultBranch: "main" });
    await t.client.upload("many", "main", "a.txt", Buffer.from("aaa"));
    await t.client.upload("many", "main", "b.txt", Buffer.from("bbbbb"));
  });
  after(async () => t.close());

  it("answers in request order, entries and per-object errors side by side", async () => {
    const { results } = await t.client.statObjects({
      repository: "many",
      objects: [{ ref: "main", path: "b.txt" }, { ref: "main", path: "missing.txt" }, { ref: "main", path: "a.txt" }, { ref: "no-such-branch", path: "a.txt" }, { ref: "", path: "a.txt" }],
    });
    assert.equal(results.length, 5);
    assert.equal(results[0].stats?.path, "b.txt");
    assert.equal(Number(results[0].stats?.sizeBytes), 5);
    assert.equal(results[1].stats, null);
    assert.equal(results[1].errorCode, "NOT_FOUND");
    assert.match(results[1].errorMessage, /missing\.txt/);
    assert.equal(results[2].stats?.path, "a.txt");
    assert.equal(results[3].errorCode, "NOT_FOUND");
    assert.equal(results[4].errorCode, "INVALID_ARGUMENT");
    // The same entry as StatObject gives.
    assert.deepEqual(results[2].stats, await t.client.statObject({ repository: "many", ref: "main", path: "a.txt" }));
  });

  it("needs read permission on the repository, and refuses more than 1000 objects", async () => {
    await t.client.createUser({ id: "outsider", policy: { statements: [{ effect: "EFFECT_ALLOW", actions: ["repos:Read"], resources: ["tarn:repo:other"] }] } });
    const outsider = t.clientWith(await t.client.createAccessKey({ userId: "outsider" }));
    await assert.rejects(outsider.statObjects({ repository: "many", objects: [{ ref: "main", path: "a.txt" }] }), (err: unknown) => err instanceof ApiError && err.code === "PERMISSION_DENIED");
    const tooMany = Array.from({ length: 1001 }, (_v, i) => ({ ref: "main", path: `p${i}` }));
    await assert.rejects(t.client.statObjects({ repository: "many", objects: tooMany }), (err: unknown) => err instanceof ApiError && err.code === "INVALID_ARGUMENT");
  });
});
