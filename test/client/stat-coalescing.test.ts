// The SDK sends concurrent statObject calls of one client as StatObjects calls: fewer calls reach the
// service, a lone call goes as a plain StatObject, each caller gets its own entry or the very error a plain
// StatObject gives, and no answer is older than its call (a write acknowledged before a lookup starts is
// always seen).
import assert from "node:assert/strict";
import { TarnClient } from "../../src/client";
import { callDelta as delta, callsAnswered, refusal, startService, TestService } from "../metadata/support";

const REPO = "looking";

describe("client: coalesced lookups (StatObjects)", () => {
  let t: TestService;
  let plain: TarnClient;
  before(async () => {
    t = await startService();
    await t.client.createRepository({ name: REPO, storageNamespace: t.namespace(REPO) });
    await Promise.all(Array.from({ length: 50 }, (_, i) => t.client.upload(REPO, "main", `o/${i}`, Buffer.from(`body ${i}`))));
    plain = new TarnClient({ endpoints: [t.address], ...t.svc.admin!, coalesceStats: false });
  });
  after(async () => {
    plain?.close();
    await t?.close();
  });

  const calls = () => callsAnswered(t);

  it("sends many concurrent lookups as few StatObjects calls, each caller getting its own entry", async () => {
    const expected = await Promise.all(Array.from({ length: 50 }, (_, i) => plain.statObject({ repository: REPO, ref: "main", path: `o/${i}` })));
    const before = await calls();
    const got = await Promise.all(Array.from({ length: 200 }, (_, i) => t.client.statObject({ repository: REPO, ref: "main", path: `o/${i % 50}` })));
    const after = await calls();
    got.forEach((stats, i) => assert.deepEqual(stats, expected[i % 50], `lookup ${i}`));
    assert.ok(delta(before, after, "StatObjects") >= 1, "some lookups went as StatObjects");
    const rpcs = delta(before, after, "StatObject") + delta(before, after, "StatObjects");
    assert.ok(rpcs <= 10, `200 lookups took ${rpcs} RPCs`);
  });

  it("gives a caller in a batch the same error as a plain StatObject", async () => {
    const bad = [
      { ref: "main", path: "o/missing" },
      { ref: "no-such-branch", path: "o/1" },
      { ref: "", path: "o/1" },
      { ref: "main", path: "" },
    ];
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 20 }, (_, i) => t.client.statObject({ repository: REPO, ref: "main", path: `o/${i}` })),
      ...bad.map((b) => t.client.statObject({ repository: REPO, ...b })),
    ]);
    outcomes.slice(0, 20).forEach((o, i) => assert.equal(o.status === "fulfilled" && o.value.path, `o/${i}`));
    const refused = outcomes.slice(20).map((o) => (o.status === "rejected" ? refusal(o.reason) : assert.fail(`found ${JSON.stringify(o.value)}`)));
    const expected = await Promise.all(bad.map((b) => plain.statObject({ repository: REPO, ...b }).then(() => assert.fail(`${b.ref}:${b.path} found`), refusal)));
    assert.deepEqual(
      expected.map((e) => e.statusName),
      ["NOT_FOUND", "NOT_FOUND", "INVALID_ARGUMENT", "INVALID_ARGUMENT"],
    );
    assert.deepEqual(refused, expected);
  });

  it("a caller who may not read the repository is refused in a batch as by a plain call", async () => {
    await t.client.createUser({ id: "stat-outsider", policy: { statements: [{ effect: "EFFECT_ALLOW", actions: ["repos:Read"], resources: ["tarn:repo:elsewhere"] }] } });
    const outsider = t.clientWith(await t.client.createAccessKey({ userId: "stat-outsider" }));
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => outsider.statObject({ repository: REPO, ref: "main", path: `o/${i}` })));
    for (const o of outcomes) assert.equal(o.status === "rejected" && refusal(o.reason).statusName, "PERMISSION_DENIED");
  });

  it("never answers with an entry older than the call: a write acknowledged before a lookup is seen", async () => {
    // Lookups keep the client's slots busy, so each checked lookup waits and goes in a batch.
    let stop = false;
    const background = Promise.all(
      Array.from({ length: 16 }, async () => {
        while (!stop) await t.client.statObject({ repository: REPO, ref: "main", path: "o/0" });
      }),
    );
    const before = await calls();
    try {
      for (let i = 0; i < 30; i++) {
        const path = `fresh/${i}`;
        const written = await t.client.upload(REPO, "main", path, Buffer.from(`v${i}`));
        const seen = await t.client.statObject({ repository: REPO, ref: "main", path });
        assert.equal(seen.checksum, written.checksum, `${path} as written`);
      }
    } finally {
      stop = true;
      await background;
    }
    assert.ok(delta(before, await calls(), "StatObjects") >= 30, "the checked lookups went in batches");
  });

  it("sends a lone call as a plain StatObject, and one per call with coalesceStats: false", async () => {
    let before = await calls();
    for (let i = 0; i < 5; i++) await t.client.statObject({ repository: REPO, ref: "main", path: `o/${i}` });
    let after = await calls();
    assert.equal(delta(before, after, "StatObject"), 5);
    assert.equal(delta(before, after, "StatObjects"), 0);
    before = await calls();
    await Promise.all(Array.from({ length: 40 }, (_, i) => plain.statObject({ repository: REPO, ref: "main", path: `o/${i}` })));
    after = await calls();
    assert.equal(delta(before, after, "StatObject"), 40);
    assert.equal(delta(before, after, "StatObjects"), 0);
  });
});
