// Applied deletes are compacted on each member: the policy on its own (bulk deletes at once, scattered ones
// once they add up, one compaction at a time, failures logged), then a real state machine on LevelDB.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ObjectStore } from "../../src/block";
import { openObjectStore } from "../../src/block";
import type { KvBatch } from "../../src/graveler/kv/types";
import { EntryType } from "../../raft/types";
import type { Entry } from "../../raft/types";
import { decodeResult, encodeCommand, ResultStatus, TarnStateMachine } from "../../src/state";
import { TombstoneCompactor } from "../../src/state/tombstone-compactor";
import { b } from "./cluster";

describe("state: compaction of deleted keys", () => {
  describe("the policy", () => {
    let calls: [string, string][];
    let release: (() => void)[];
    const compactor = (log?: (m: string) => void, fail = false) =>
      new TombstoneCompactor(
        (start, end) => {
          calls.push([start.toString(), end.toString()]);
          return new Promise<void>((resolve, reject) => release.push(() => (fail ? reject(new Error("disk on fire")) : resolve())));
        },
        { bulk: 10, scattered: 25 },
        log,
      );
    const settle = async () => {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    };
    beforeEach(() => {
      calls = [];
      release = [];
    });

    it("compacts a bulk delete's range at once", async () => {
      const c = compactor();
      c.deleted({ count: 12, low: b("t/a"), high: b("t/z") });
      assert.deepEqual(calls, [["t/a", "t/z"]]);
      release.shift()!();
      await c.idle();
      assert.equal(c.completed, 1);
    });

    it("lets scattered deletes add up and compacts the range they span", async () => {
      const c = compactor();
      c.deleted({ count: 9, low: b("m"), high: b("m") });
      c.deleted({ count: 9, low: b("c"), high: b("d") });
      assert.deepEqual(calls, []);
      c.deleted({ count: 9, low: b("x"), high: b("y") });
      assert.deepEqual(calls, [["c", "y"]]);
    });

    it("runs one compaction at a time; deletes applied meanwhile go into the next", async () => {
      const c = compactor();
      c.deleted({ count: 10, low: b("a"), high: b("b") });
      c.deleted({ count: 10, low: b("p"), high: b("q") });
      c.deleted({ count: 10, low: b("e"), high: b("f") });
      assert.deepEqual(calls, [["a", "b"]]);
      release.shift()!();
      await settle();
      assert.deepEqual(calls, [["a", "b"], ["e", "q"]]);
      release.shift()!();
      await c.idle();
      assert.equal(c.completed, 2);
    });

    it("logs a failed compaction instead of failing the apply, and tries again with the next deletes", async () => {
      const logged: string[] = [];
      const c = compactor((m) => logged.push(m), true);
      c.deleted({ count: 10, low: b("a"), high: b("b") });
      release.shift()!();
      await c.idle();
      assert.equal(c.completed, 0);
      assert.match(logged[0], /compacting deleted keys failed.*disk on fire/);
      c.deleted({ count: 10, low: b("c"), high: b("d") });
      assert.equal(calls.length, 2);
    });
  });

  describe("a state machine on LevelDB", () => {
    let root: string;
    let store: ObjectStore;
    const membership = { confState: { voters: ["n1"], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false }, addresses: { n1: "127.0.0.1:1" } };
    const entry = (index: number, batch: KvBatch): Entry => ({ index, term: 1, type: EntryType.Normal, data: encodeCommand(batch) });
    const keys = Array.from({ length: 3000 }, (_, i) => b(`staging/tok1/${String(i).padStart(5, "0")}`));

    beforeEach(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-state-tombstones-"));
      store = openObjectStore(`local://${path.join(root, "store")}`);
    });
    afterEach(async () => {
      await store.close();
      fs.rmSync(root, { recursive: true, force: true });
    });

    it("compacts the range a dropped token deleted, on its own, and keeps every live key", async () => {
      const sm = await TarnStateMachine.open({ dir: path.join(root, "node"), store, initialMembership: membership, compaction: { bulk: 1000, scattered: 50_000 } });
      try {
        const neighbours = [b("staging/tok0/x"), b("staging/tok2/y")];
        const put = (k: Buffer) => ({ op: "put" as const, key: k, value: b("v") });
        const applied = await sm.apply([entry(1, { mutations: [...keys, ...neighbours].map(put) }), entry(2, { mutations: keys.slice(0, 10).map((key) => ({ op: "delete" as const, key })) })]);
        assert.ok(applied.every((r) => decodeResult(r).status === ResultStatus.Applied));
        await sm.tombstones.idle();
        assert.equal(sm.tombstones.completed, 0, "ten scattered deletes are not worth a compaction");

        const dropped = await sm.apply([entry(3, { mutations: keys.slice(10).map((key) => ({ op: "delete" as const, key })) })]);
        assert.equal(decodeResult(dropped[0]).status, ResultStatus.Applied);
        await sm.tombstones.idle();
        assert.equal(sm.tombstones.completed, 1);
        const left = await sm.scan({ prefix: b("staging/") });
        assert.deepEqual(
          left.map((r) => r.key.toString()),
          neighbours.map((k) => k.toString()),
        );
      } finally {
        await sm.close();
      }
    });
  });
});
