// Acceptance 3: writes during a commit land in exactly one commit; concurrent commits have one winner and the
// other is refused clearly; a merge into a branch with uncommitted changes is refused.
import assert from "node:assert/strict";
import { hasCode } from "../../src/errors";
import { entry, makeEnv, TestEnv } from "./support/env";

describe("graveler: concurrency", function () {
  this.timeout(120_000);
  let env: TestEnv;
  beforeEach(async () => {
    env = await makeEnv({ level: true, shape: { raggedness: 100 } });
    await env.g.createRepository("repo1", "local://ns1");
    await env.g.setObjects("repo1", "main", Array.from({ length: 20_000 }, (_, i) => ({ path: `base/${i}`, entry: entry("b") })));
  });
  afterEach(() => env.close());

  it("puts writes that arrive during a commit in that commit or the next, never lost, never in both", async () => {
    const written: string[] = [];
    let committing = true;
    const writer = (async () => {
      for (let i = 0; committing || i < 20; i++) {
        await env.g.setObject("repo1", "main", `during/${String(i).padStart(5, "0")}`, entry(`w${i}`));
        written.push(`during/${String(i).padStart(5, "0")}`);
      }
    })();
    const first = await env.g.commit("repo1", "main", { message: "first" });
    committing = false;
    await writer;
    // Nothing still staged may already be in the first commit.
    const branch = await env.g.refs.getBranch("repo1" as never, "main" as never);
    const staged = new Set((await env.g.staging.scan(branch.record.stagingToken, { limit: 1_000_000 })).map((e) => e.path.toString()));
    const inFirst = new Set<string>();
    for (const p of written) {
      const there = await env.g.getObject("repo1", first.id, p).then(() => true, (e) => (hasCode(e, "NOT_FOUND") ? false : Promise.reject(e)));
      if (there) inFirst.add(p);
      assert.ok(there !== staged.has(p), `${p} is ${there ? "in the first commit and still staged" : "neither committed nor staged"}`);
    }
    assert.ok(staged.size > 0, "some writes arrived after the seal");
    const second = await env.g.commit("repo1", "main", { message: "second" });
    const secondDiff = await env.g.diff("repo1", first.id, second.id);
    assert.deepEqual(secondDiff.map((d) => d.path).sort(), written.filter((p) => !inFirst.has(p)).sort());
    for (const p of written) assert.equal((await env.g.getObject("repo1", "main@", p)).etag.startsWith("etag-w"), true);
  });

  it("lets one of two concurrent commits win and refuses the other clearly, losing nothing", async () => {
    const results = await Promise.allSettled([env.g.commit("repo1", "main", { message: "a" }), env.g.commit("repo1", "main", { message: "b" })]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    assert.equal(won.length, 1, JSON.stringify(results.map((r) => r.status)));
    assert.ok(hasCode(lost[0].reason, "FAILED_PRECONDITION"));
    assert.match(lost[0].reason.message, /refused|no changes/);
    const head = await env.g.getCommit("repo1", "main");
    assert.equal(head.id, (won[0] as PromiseFulfilledResult<{ id: string }>).value.id);
    const listed = await env.g.listObjects("repo1", "main@", { prefix: "base/", amount: 100_000 });
    assert.equal(listed.results.length, 20_000);
    assert.deepEqual(await env.g.diffUncommitted("repo1", "main"), []);
    await assert.rejects(env.g.commit("repo1", "main", { message: "again" }), (e) => hasCode(e, "FAILED_PRECONDITION") && /no changes/.test((e as Error).message));
  });

  it("refuses a merge into a branch with uncommitted changes and keeps them", async () => {
    await env.g.commit("repo1", "main", { message: "base" });
    await env.g.createBranch("repo1", "feature", "main");
    await env.g.setObject("repo1", "feature", "f", entry("f"));
    await env.g.commit("repo1", "feature", { message: "f" });
    await env.g.setObject("repo1", "main", "dirty", entry("d"));
    const head = (await env.g.getBranch("repo1", "main")).commitId;
    await assert.rejects(env.g.merge("repo1", "feature", "main"), (e) => hasCode(e, "FAILED_PRECONDITION") && /uncommitted changes/.test((e as Error).message));
    assert.equal((await env.g.getBranch("repo1", "main")).commitId, head);
    assert.equal((await env.g.getObject("repo1", "main", "dirty")).etag, "etag-d");
    await env.g.commit("repo1", "main", { message: "d" });
    await env.g.merge("repo1", "feature", "main");
    assert.equal((await env.g.getObject("repo1", "main", "f")).etag, "etag-f");
  });
});
