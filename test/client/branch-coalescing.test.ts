// CreateBranches creates each item as its own CreateBranch would (answers in request order, each item its
// branch or that call's error), and the SDK sends concurrent createBranch calls of one client that way:
// fewer calls reach the service, a lone call goes as a plain CreateBranch, and each caller gets its own
// branch or the very error a plain CreateBranch gives.
import assert from "node:assert/strict";
import { readOnlyPolicy } from "../../src/auth";
import { ApiError, TarnClient } from "../../src/client";
import type { CreateBranchesItem } from "../../src/client";
import { callDelta as delta, callsAnswered, refusal, startService, TestService } from "../metadata/support";

const REPO = "branching";

describe("client: coalesced branch creations (CreateBranches)", () => {
  let t: TestService;
  let plain: TarnClient;
  before(async () => {
    t = await startService();
    await t.client.createRepository({ name: REPO, storageNamespace: t.namespace(REPO) });
    await t.client.upload(REPO, "main", "file", Buffer.from("x"));
    await t.client.commit({ repository: REPO, branch: "main", message: "a commit to branch from" });
    plain = new TarnClient({ endpoints: [t.address], ...t.svc.admin!, coalesceBranches: false });
  });
  after(async () => {
    plain?.close();
    await t?.close();
  });

  const calls = () => callsAnswered(t);

  it("answers each item in request order with its branch or the error its own CreateBranch gives", async () => {
    const main = await t.client.getBranch({ repository: REPO, branch: "main" });
    await t.client.createBranch({ repository: REPO, name: "taken", source: "main" });
    const bad: CreateBranchesItem[] = [
      { name: "taken", source: "main" },
      { name: "bad name!", source: "main" },
      { name: "from-nothing", source: "no-such-ref" },
      { name: "no-source", source: "" },
    ];
    const expected = await Promise.all(bad.map((b) => plain.createBranch({ repository: REPO, ...b }).then(() => assert.fail(`${b.name} was created`), refusal)));
    assert.deepEqual(
      expected.map((e) => e.statusName),
      ["ALREADY_EXISTS", "INVALID_ARGUMENT", "NOT_FOUND", "INVALID_ARGUMENT"],
    );
    const answer = await t.client.createBranches({ repository: REPO, branches: [{ name: "one", source: "main" }, ...bad, { name: "two", source: main.commitId }] });
    assert.equal(answer.results.length, 6);
    assert.deepEqual(answer.results[0].ref, { id: "one", commitId: main.commitId });
    assert.deepEqual(answer.results[5].ref, { id: "two", commitId: main.commitId });
    answer.results.slice(1, 5).forEach((r, i) => {
      assert.equal(r.ref, null);
      assert.deepEqual({ statusName: r.errorCode, message: r.errorMessage }, expected[i]);
    });
    assert.equal((await t.client.getBranch({ repository: REPO, branch: "two" })).commitId, main.commitId);
    await assert.rejects(t.client.getBranch({ repository: REPO, branch: "from-nothing" }), (err: unknown) => err instanceof ApiError && err.statusName === "NOT_FOUND");
  });

  it("refuses a whole call of more than 1000 items, and one by a user who may not write the repository", async () => {
    const many = Array.from({ length: 1001 }, (_, i) => ({ name: `too-many-${i}`, source: "main" }));
    await assert.rejects(t.client.createBranches({ repository: REPO, branches: many }), (err: unknown) => err instanceof ApiError && err.statusName === "INVALID_ARGUMENT" && /1001 branches .* at most 1000/.test(err.message));
    await assert.rejects(t.client.getBranch({ repository: REPO, branch: "too-many-0" }), (err: unknown) => err instanceof ApiError && err.statusName === "NOT_FOUND");
    const policy = readOnlyPolicy([REPO]);
    await t.client.createUser({ id: "brancher-reader", policy: { statements: policy.statements.map((s) => ({ effect: "EFFECT_ALLOW", actions: s.actions, resources: s.resources })) } });
    const reader = t.clientWith(await t.client.createAccessKey({ userId: "brancher-reader" }));
    await assert.rejects(reader.createBranches({ repository: REPO, branches: [{ name: "r1", source: "main" }] }), (err: unknown) => err instanceof ApiError && err.statusName === "PERMISSION_DENIED" && /repos:Write/.test(err.message));
  });

  it("sends many concurrent createBranch calls as few CreateBranches calls, each caller getting its own branch", async () => {
    const main = await t.client.getBranch({ repository: REPO, branch: "main" });
    const before = await calls();
    const refs = await Promise.all(Array.from({ length: 200 }, (_, i) => t.client.createBranch({ repository: REPO, name: `many-${i}`, source: "main" })));
    const after = await calls();
    refs.forEach((r, i) => assert.deepEqual(r, { id: `many-${i}`, commitId: main.commitId }));
    const rpcs = delta(before, after, "CreateBranch") + delta(before, after, "CreateBranches");
    assert.ok(delta(before, after, "CreateBranches") >= 1, "some calls went as CreateBranches");
    assert.ok(rpcs <= 10, `200 calls took ${rpcs} RPCs`);
    const listed = await t.client.listBranches({ repository: REPO, prefix: "many-", amount: 1000 });
    assert.equal(listed.results.length, 200);
  });

  it("gives a caller in a batch the same error as a plain CreateBranch; of many creators of one name, one wins", async () => {
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 20 }, (_, i) => t.client.createBranch({ repository: REPO, name: `mixed-${i}`, source: "main" })),
      t.client.createBranch({ repository: REPO, name: "taken", source: "main" }),
      t.client.createBranch({ repository: REPO, name: "mixed-bad", source: "no-such-ref" }),
    ]);
    outcomes.slice(0, 20).forEach((o, i) => assert.equal(o.status === "fulfilled" && o.value.id, `mixed-${i}`));
    const [taken, missing] = outcomes.slice(20).map((o) => refusal((o as PromiseRejectedResult).reason));
    assert.deepEqual(taken, await plain.createBranch({ repository: REPO, name: "taken", source: "main" }).then(() => assert.fail("created twice"), refusal));
    assert.deepEqual(missing, await plain.createBranch({ repository: REPO, name: "mixed-bad", source: "no-such-ref" }).then(() => assert.fail("created"), refusal));
    const race = await Promise.allSettled(Array.from({ length: 30 }, () => t.client.createBranch({ repository: REPO, name: "race", source: "main" })));
    assert.equal(race.filter((o) => o.status === "fulfilled").length, 1);
    for (const o of race) if (o.status === "rejected") assert.equal(refusal(o.reason).statusName, "ALREADY_EXISTS");
  });

  it("sends a lone call as a plain CreateBranch, and one per call with coalesceBranches: false", async () => {
    let before = await calls();
    for (let i = 0; i < 5; i++) await t.client.createBranch({ repository: REPO, name: `lone-${i}`, source: "main" });
    let after = await calls();
    assert.equal(delta(before, after, "CreateBranch"), 5);
    assert.equal(delta(before, after, "CreateBranches"), 0);
    before = await calls();
    await Promise.all(Array.from({ length: 40 }, (_, i) => plain.createBranch({ repository: REPO, name: `off-${i}`, source: "main" })));
    after = await calls();
    assert.equal(delta(before, after, "CreateBranch"), 40);
    assert.equal(delta(before, after, "CreateBranches"), 0);
  });
});
