// The conformance suite every implementation of the graveler key-value interface must pass: the classic-level
// store here, the Raft-replicated state machine later. Call runKvConformance inside a test file.
import assert from "node:assert/strict";
import type { KvStore } from "../../src/graveler/kv/types";
import { scanAll } from "../../src/graveler/kv/types";
import { hasCode } from "../../src/errors";

const b = (s: string) => Buffer.from(s, "utf8");
const keys = (records: { key: Buffer }[]) => records.map((r) => r.key.toString("utf8"));

export function runKvConformance(name: string, factory: () => Promise<KvStore>): void {
  describe(`key-value conformance: ${name}`, () => {
    let kv: KvStore;
    beforeEach(async () => {
      kv = await factory();
    });
    afterEach(async () => {
      await kv.close();
    });

    const put = (k: string, v: string) => kv.write({ mutations: [{ op: "put", key: b(k), value: b(v) }] });

    it("gets what was put, and nothing for a missing key", async () => {
      await put("a", "1");
      const got = await kv.get(b("a"));
      assert.equal(got?.value.toString(), "1");
      assert.ok(got && got.version > 0);
      assert.equal(await kv.get(b("b")), undefined);
    });

    it("stores empty values and binary keys", async () => {
      await kv.write({ mutations: [{ op: "put", key: Buffer.from([0, 0xff, 1]), value: Buffer.alloc(0) }] });
      const got = await kv.get(Buffer.from([0, 0xff, 1]));
      assert.equal(got?.value.length, 0);
    });

    it("versions grow with every write to a key", async () => {
      await put("a", "1");
      const v1 = (await kv.get(b("a")))!.version;
      await put("a", "1");
      const v2 = (await kv.get(b("a")))!.version;
      assert.ok(v2 > v1);
    });

    it("scans in unsigned byte order, by prefix, range, after and limit", async () => {
      const all = ["a", "a/1", "a/2", "a/3", "ab", "b", "\u00e9", "z"];
      await kv.write({ mutations: all.map((k) => ({ op: "put" as const, key: b(k), value: b(k) })) });
      await kv.write({ mutations: [{ op: "put", key: Buffer.from([0xff, 0xff]), value: b("top") }] });
      assert.deepEqual(keys(await kv.scan({ prefix: b("a/") })), ["a/1", "a/2", "a/3"]);
      assert.deepEqual(keys(await kv.scan({ prefix: b("a/"), after: b("a/1") })), ["a/2", "a/3"]);
      assert.deepEqual(keys(await kv.scan({ prefix: b("a/"), after: b("a") })), ["a/1", "a/2", "a/3"]);
      assert.deepEqual(keys(await kv.scan({ prefix: b("a/"), limit: 2 })), ["a/1", "a/2"]);
      assert.deepEqual(keys(await kv.scan({ start: b("ab"), end: b("z") })), ["ab", "b"]);
      assert.deepEqual(keys(await kv.scan({ after: b("b"), end: Buffer.from([0xd0]) })), ["z", "\u00e9"]);
      assert.deepEqual(keys(await kv.scan({ start: b("b"), limit: 0 })), []);
      const last = await kv.scan({ prefix: Buffer.from([0xff]) });
      assert.deepEqual(last.map((r) => r.value.toString()), ["top"]);
      const everything = [];
      for await (const r of scanAll(kv, {}, 3)) everything.push(r);
      assert.equal(everything.length, all.length + 1);
      for (let i = 1; i < everything.length; i++) assert.ok(Buffer.compare(everything[i - 1].key, everything[i].key) < 0);
    });

    it("applies a batch of puts and deletes atomically", async () => {
      await put("x", "old");
      await kv.write({
        mutations: [
          { op: "put", key: b("y"), value: b("new") },
          { op: "delete", key: b("x") },
          { op: "delete", key: b("never-existed") },
        ],
      });
      assert.equal(await kv.get(b("x")), undefined);
      assert.equal((await kv.get(b("y")))?.value.toString(), "new");
    });

    it("checks 'absent', 'equals' and 'version' preconditions and changes nothing when one fails", async () => {
      await put("k", "v1");
      const v = (await kv.get(b("k")))!.version;
      const attempts = [
        { key: b("k"), absent: true as const },
        { key: b("k"), equals: b("other") },
        { key: b("missing"), equals: b("v1") },
        { key: b("k"), version: v + 1000 },
        { key: b("missing"), version: 1 },
      ];
      for (const pre of attempts) {
        await assert.rejects(
          kv.write({ preconditions: [{ key: b("ok"), absent: true }, pre], mutations: [{ op: "put", key: b("k"), value: b("lost") }, { op: "put", key: b("side"), value: b("x") }] }),
          (err: unknown) => hasCode(err, "FAILED_PRECONDITION"),
        );
      }
      assert.equal((await kv.get(b("k")))?.value.toString(), "v1");
      assert.equal(await kv.get(b("side")), undefined);
      await kv.write({ preconditions: [{ key: b("k"), equals: b("v1") }, { key: b("k"), version: v }, { key: b("n"), absent: true }], mutations: [{ op: "put", key: b("k"), value: b("v2") }] });
      assert.equal((await kv.get(b("k")))?.value.toString(), "v2");
    });

    it("lets exactly one of many concurrent compare-and-set writers win", async () => {
      await put("head", "0");
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => kv.write({ preconditions: [{ key: b("head"), equals: b("0") }], mutations: [{ op: "put", key: b("head"), value: b(`w${i}`) }] })),
      );
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      for (const r of results) if (r.status === "rejected") assert.ok(hasCode(r.reason, "FAILED_PRECONDITION"));
    });

    it("keeps counters exact under concurrent read-modify-write with retries", async () => {
      await put("counter", "0");
      const increment = async () => {
        for (;;) {
          const cur = (await kv.get(b("counter")))!;
          try {
            await kv.write({ preconditions: [{ key: b("counter"), version: cur.version }], mutations: [{ op: "put", key: b("counter"), value: b(String(Number(cur.value.toString()) + 1)) }] });
            return;
          } catch (err) {
            if (!hasCode(err, "FAILED_PRECONDITION")) throw err;
          }
        }
      };
      await Promise.all(Array.from({ length: 10 }, increment));
      assert.equal((await kv.get(b("counter")))?.value.toString(), "10");
    });
  });
}
