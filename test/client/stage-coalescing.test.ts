// The SDK coalesces concurrent stageObject calls into StageObjects calls: fewer calls reach the service,
// each caller still gets its own entry or the very error a plain StageObject gives, a lone call goes as a
// plain StageObject, and a service without StageObjects (UNIMPLEMENTED) gets plain calls.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { ApiError, TarnClient } from "../../src/client";
import type { StageObjectRequest } from "../../src/client";
import { callDelta as delta, callsAnswered, startService, TestService } from "../metadata/support";

const REPO = "coalesce";

describe("client: coalesced staging writes", () => {
  let t: TestService;
  before(async () => {
    t = await startService();
    const ns = t.namespace(REPO);
    await t.client.createRepository({ name: REPO, storageNamespace: ns });
    fs.mkdirSync(path.join(ns.slice("local://".length), "data"), { recursive: true });
    fs.writeFileSync(path.join(ns.slice("local://".length), "data", "shared"), "shared");
  });
  after(async () => {
    await t?.close();
  });

  const calls = () => callsAnswered(t);
  const req = (p: string, extra: Partial<StageObjectRequest> = {}): Partial<StageObjectRequest> => ({ repository: REPO, branch: "main", path: p, physicalAddress: "data/shared", sizeBytes: 6, checksum: `sum-${p}`, ...extra });

  it("sends many concurrent calls as few StageObjects calls, each caller getting its own entry", async () => {
    const before = await calls();
    const stats = await Promise.all(Array.from({ length: 300 }, (_, i) => t.client.stageObject(req(`many/${i}`, { userMetadata: { i: String(i) } }))));
    const after = await calls();
    stats.forEach((s, i) => {
      assert.equal(s.path, `many/${i}`);
      assert.equal(s.checksum, `sum-many/${i}`);
      assert.equal(s.userMetadata.i, String(i));
    });
    const rpcs = delta(before, after, "StageObject") + delta(before, after, "StageObjects");
    assert.ok(delta(before, after, "StageObjects") >= 1, "some calls went as StageObjects");
    assert.ok(rpcs <= 10, `300 calls took ${rpcs} RPCs`);
    for (const i of [0, 150, 299]) assert.equal((await t.client.statObject({ repository: REPO, ref: "main", path: `many/${i}` })).userMetadata.i, String(i));
  });

  it("keeps each StageObjects call inside the message limit, however large the items", async () => {
    // 40 items of 120 KB metadata each: 4.8 MB together, over the 4 MiB a message may carry.
    const big = "m".repeat(120_000);
    const before = await calls();
    const stats = await Promise.all(Array.from({ length: 40 }, (_, i) => t.client.stageObject(req(`big/${i}`, { userMetadata: { big } }))));
    const after = await calls();
    stats.forEach((s, i) => assert.equal(s.path, `big/${i}`));
    assert.ok(delta(before, after, "StageObjects") >= 2, "split into several calls");
    assert.equal((await t.client.statObject({ repository: REPO, ref: "main", path: "big/39" })).userMetadata.big.length, 120_000);
  });

  it("sends a lone call as a plain StageObject", async () => {
    const before = await calls();
    for (let i = 0; i < 5; i++) await t.client.stageObject(req(`lone/${i}`));
    const after = await calls();
    assert.equal(delta(before, after, "StageObject"), 5);
    assert.equal(delta(before, after, "StageObjects"), 0);
  });

  it("gives a caller in a batch the same error as a plain StageObject, and the others their entries", async () => {
    await t.client.stageObject(req("taken"));
    const plain = t.clientWith(t.svc.admin!, undefined, undefined);
    const alone = new TarnClient({ endpoints: [t.address], ...t.svc.admin!, coalesceStaging: false });
    try {
      const bad = [req("taken", { ifAbsent: true }), req("x", { branch: "no-such-branch" }), req("y", { physicalAddress: "../outside" })];
      const expected = await Promise.all(bad.map((r) => alone.stageObject(r).then(() => assert.fail("accepted"), (err: unknown) => err as ApiError)));
      const before = await calls();
      const outcomes = await Promise.allSettled([...Array.from({ length: 20 }, (_, i) => plain.stageObject(req(`mixed/${i}`))), ...bad.map((r) => plain.stageObject(r))]);
      const after = await calls();
      assert.ok(delta(before, after, "StageObjects") >= 1, "the refused calls rode in a batch");
      outcomes.slice(0, 20).forEach((o, i) => assert.equal(o.status === "fulfilled" && o.value.path, `mixed/${i}`));
      outcomes.slice(20).forEach((o, i) => {
        assert.equal(o.status, "rejected");
        const err = (o as PromiseRejectedResult).reason as unknown;
        assert.ok(err instanceof ApiError, String(err));
        assert.equal(err.code, expected[i].code);
        assert.equal(err.statusName, expected[i].statusName);
        assert.equal(err.message, expected[i].message);
      });
      assert.equal(expected[0].statusName, "FAILED_PRECONDITION");
      // Many concurrent if_absent writers of one new path through one client: exactly one wins.
      const race = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => plain.stageObject(req("race", { ifAbsent: true, checksum: `writer ${i}` }))));
      const won = race.flatMap((o, i) => (o.status === "fulfilled" ? [i] : []));
      assert.equal(won.length, 1);
      for (const o of race) if (o.status === "rejected") assert.ok(o.reason instanceof ApiError && o.reason.statusName === "FAILED_PRECONDITION" && /already exists/.test(o.reason.message));
      assert.equal((await plain.statObject({ repository: REPO, ref: "main", path: "race" })).checksum, `writer ${won[0]}`);
    } finally {
      alone.close();
    }
  });

  it("sends one StageObject per call with coalesceStaging: false", async () => {
    const off = new TarnClient({ endpoints: [t.address], ...t.svc.admin!, coalesceStaging: false });
    try {
      const before = await calls();
      await Promise.all(Array.from({ length: 40 }, (_, i) => off.stageObject(req(`off/${i}`))));
      const after = await calls();
      assert.equal(delta(before, after, "StageObject"), 40);
      assert.equal(delta(before, after, "StageObjects"), 0);
    } finally {
      off.close();
    }
  });

  it("falls back to one StageObject per call when the service answers StageObjects with UNIMPLEMENTED", async () => {
    // A member that predates StageObjects: a proxy to the real service that refuses that one method.
    const [host, port] = t.address.split(":");
    const upstream = http2.connect(`http://${host}:${port}`);
    let refused = 0;
    const proxy = http2.createServer();
    proxy.on("stream", (stream, headers) => {
      if (String(headers[":path"]).endsWith("/StageObjects")) {
        refused++;
        stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "12", "grpc-message": "unknown method" }, { endStream: true });
        return;
      }
      const forwarded: http2.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(headers)) if (!k.startsWith(":")) forwarded[k] = v;
      const out = upstream.request({ ...forwarded, ":method": "POST", ":path": headers[":path"] });
      stream.pipe(out);
      out.on("response", (h) => {
        const { [":status"]: status, ...rest } = h;
        stream.respond({ ":status": status, ...rest }, { waitForTrailers: true });
        out.pipe(stream);
      });
      let trailers: http2.OutgoingHttpHeaders = {};
      out.on("trailers", (tr) => (trailers = tr));
      stream.on("wantTrailers", () => stream.sendTrailers(trailers));
      out.on("error", () => stream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const old = new TarnClient({ endpoints: [`127.0.0.1:${(proxy.address() as AddressInfo).port}`], ...t.svc.admin!, retry: { attempts: 1 } });
    try {
      const stats = await Promise.all(Array.from({ length: 30 }, (_, i) => old.stageObject(req(`old/${i}`))));
      stats.forEach((s, i) => assert.equal(s.path, `old/${i}`));
      assert.equal(refused, 1, "asked once, then plain calls only");
      await assert.rejects(old.stageObject(req("taken", { ifAbsent: true })), (err: unknown) => err instanceof ApiError && err.statusName === "FAILED_PRECONDITION");
      const more = await Promise.all(Array.from({ length: 10 }, (_, i) => old.stageObject(req(`old/more/${i}`))));
      assert.equal(more.length, 10);
      assert.equal(refused, 1);
      assert.equal((await t.client.statObject({ repository: REPO, ref: "main", path: "old/29" })).path, "old/29");
    } finally {
      old.close();
      upstream.close();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
