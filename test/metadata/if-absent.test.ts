// StageObject with if_absent (S3 If-None-Match: *) is one atomic check-and-write: of concurrent writers of a
// new path exactly one wins, and a path deleted on the branch counts as absent.
import assert from "node:assert/strict";
import { ApiError } from "../../src/client";
import { startService, TestService } from "./support";

describe("metadata service: if_absent staging", () => {
  let t: TestService;
  before(async () => {
    t = await startService();
    await t.client.createRepository({ name: "cond", storageNamespace: t.namespace("cond") });
  });
  after(async () => {
    await t?.close();
  });

  const put = (path: string, body: string) => t.client.upload("cond", "main", path, Buffer.from(body), { ifAbsent: true });
  const preconditionFailed = (reason: unknown) => reason instanceof ApiError && reason.statusName === "FAILED_PRECONDITION" && /already exists/.test(reason.message);

  it("lets exactly one of 16 concurrent writers of a new path win", async () => {
    for (const round of [1, 2, 3]) {
      const path = `race/${round}`;
      const outcomes = await Promise.allSettled(Array.from({ length: 16 }, (_, i) => put(path, `writer ${i}`)));
      const won = outcomes.flatMap((o, i) => (o.status === "fulfilled" ? [i] : []));
      assert.equal(won.length, 1, `round ${round}: ${won.length} writers won`);
      for (const o of outcomes) if (o.status === "rejected") assert.ok(preconditionFailed(o.reason), String(o.reason));
      assert.equal((await t.client.downloadBuffer("cond", "main", path)).toString(), `writer ${won[0]}`);
    }
  });

  it("treats a committed path deleted on the branch as absent, once", async () => {
    await put("gone", "first");
    await t.client.commit({ repository: "cond", branch: "main", message: "first" });
    await t.client.deleteObject({ repository: "cond", branch: "main", path: "gone" });
    const outcomes = await Promise.allSettled([put("gone", "a"), put("gone", "b"), put("gone", "c")]);
    assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 1);
    await assert.rejects(put("gone", "again"), preconditionFailed);
  });
});
