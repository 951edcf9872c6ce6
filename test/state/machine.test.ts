// The state machine on its own: one atomic batch per apply with the applied index, entries at or below it
// skipped after a reopen, preconditions that see the writes of earlier commands in the same group, and
// snapshot/restore through a local store.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ObjectStore } from "../../src/block";
import { openObjectStore } from "../../src/block";
import type { KvBatch } from "../../src/graveler/kv/types";
import type { Entry } from "../../raft/types";
import { EntryType } from "../../raft/types";
import { decodeResult, encodeCommand, ResultStatus, TarnStateMachine } from "../../src/state";
import { b, until } from "./cluster";
import { TarnError } from "../../src/errors";
import { openDb } from "../../src/state/db-dir";
import { APPLIED_KEY, encodeApplied, encodeStored, userKey } from "../../src/state/keyspace";

const membership = { confState: { voters: ["n1"], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false }, addresses: { n1: "127.0.0.1:1" } };
const entry = (index: number, batch: KvBatch, term = 1): Entry => ({ index, term, type: EntryType.Normal, data: encodeCommand(batch) });
/** Entry i sets k to i, expecting it at version i-1 (absent for the first): applying one twice would fail. */
const step = (i: number): Entry => entry(i, { preconditions: [i === 1 ? { key: b("k"), absent: true } : { key: b("k"), version: i - 1 }], mutations: [{ op: "put", key: b("k"), value: b(String(i)) }] });

describe("state: the state machine", () => {
  let root: string;
  let store: ObjectStore;
  let groups: [number, number][];
  const open = () => TarnStateMachine.open({ dir: path.join(root, "node"), store, initialMembership: membership, onApplied: (first, last) => groups.push([first, last.index]) });

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-state-sm-"));
    store = openObjectStore(`local://${path.join(root, "store")}`);
    groups = [];
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("keeps data and applied index together across a reopen and skips what it already applied", async () => {
    let sm = await open();
    const first = await sm.apply([1, 2, 3, 4, 5].map(step));
    assert.ok(first.every((r) => decodeResult(r).status === ResultStatus.Applied));
    await sm.close();
    sm = await open();
    assert.equal(sm.appliedIndex(), 5);
    assert.deepEqual(await sm.get(b("k")), { key: b("k"), value: b("5"), version: 5 });
    const again = await sm.apply([3, 4, 5, 6, 7].map(step));
    assert.ok(again.every((r) => decodeResult(r).status === ResultStatus.Applied));
    assert.deepEqual(groups, [[1, 5], [6, 7]]);
    assert.deepEqual(await sm.get(b("k")), { key: b("k"), value: b("7"), version: 7 });
    await sm.close();
  });

  it("applies a group with a failing command in the middle, later commands seeing earlier writes", async () => {
    const sm = await open();
    const results = (
      await sm.apply([
        entry(1, { mutations: [{ op: "put", key: b("a"), value: b("1") }] }),
        entry(2, { preconditions: [{ key: b("a"), absent: true }], mutations: [{ op: "put", key: b("lost"), value: b("x") }] }),
        entry(3, { preconditions: [{ key: b("a"), equals: b("1") }], mutations: [{ op: "delete", key: b("a") }, { op: "put", key: b("b"), value: b("3") }] }),
        entry(4, { preconditions: [{ key: b("a"), absent: true }, { key: b("b"), version: 3 }], mutations: [{ op: "put", key: b("c"), value: b("4") }] }),
      ])
    ).map(decodeResult);
    assert.deepEqual(results.map((r) => r.status), [ResultStatus.Applied, ResultStatus.PreconditionFailed, ResultStatus.Applied, ResultStatus.Applied]);
    assert.equal(results[1].key.toString(), "a");
    assert.match(results[1].message, /key "a" already exists/);
    assert.deepEqual((await sm.scan({})).map((r) => `${r.key}=${r.value}@${r.version}`), ["b=3@3", "c=4@4"]);
    assert.equal(sm.appliedIndex(), 4);
    await sm.close();
  });

  it("snapshots to the store and restores into a fresh database", async () => {
    const sm = await open();
    await sm.apply([1, 2, 3].map(step));
    const reference = await sm.snapshot(4, 1); // index 4: a no-op of term 1 the runtime counted
    assert.equal(reference, "snapshots/4-1.sst");
    assert.equal(sm.appliedIndex(), 4);
    await until("the upload", () => sm.uploader.lastUploaded === reference);
    assert.ok(await store.exists(reference));
    await sm.apply([entry(5, { mutations: [{ op: "put", key: b("later"), value: b("x") }] })]);
    await sm.restore({ metadata: { index: 4, term: 1, confState: membership.confState }, reference }, () => Promise.reject(new Error("unused")));
    assert.equal(sm.appliedIndex(), 4);
    assert.deepEqual((await sm.scan({})).map((r) => `${r.key}=${r.value}@${r.version}`), ["k=3@3"]);
    assert.deepEqual(sm.lastRestore, { reference, index: 4, entries: 2, source: "local" }); // the applied record and k
    await sm.close();
  });

  it("knows the size of its newest snapshot after the upload and after a reopen (the runtime paces by it)", async () => {
    let sm = await open();
    await sm.apply([1, 2, 3].map(step));
    const reference = await sm.snapshot(3, 1);
    await until("the upload", () => sm.uploader.lastUploaded === reference);
    const size = (await store.getBuffer(reference)).length;
    assert.equal(sm.snapshotBytes(reference), size);
    await sm.close();
    sm = await open();
    assert.equal(sm.snapshotBytes(reference), size, "its newest file is kept");
    assert.equal(sm.snapshotBytes("snapshots/9-9.sst"), undefined, "not for a snapshot it did not write");
    await sm.close();
  });

  it("returns from snapshot() while the store refuses uploads, and uploads once it takes them", async () => {
    let refusals = 6;
    const inner = store;
    const flaky = new Proxy(inner, {
      get(target, prop) {
        if (prop === "put") {
          return (...args: Parameters<ObjectStore["put"]>) => (refusals-- > 0 ? Promise.reject(new TarnError("UNAVAILABLE", "flaky store: put refused")) : target.put(...args));
        }
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const sm = await TarnStateMachine.open({ dir: path.join(root, "node"), store: flaky, initialMembership: membership });
    await sm.apply([1, 2].map(step));
    const reference = await sm.snapshot(2, 1);
    assert.equal(sm.uploader.pending(), 1, "the upload is still to do");
    assert.equal(decodeResult((await sm.apply([step(3)]))[0]).status, ResultStatus.Applied, "applies go on meanwhile");
    // The member serves the file itself until the store has it.
    assert.ok(Buffer.from(await sm.readSnapshot(reference)).length > 0);
    await until("the upload after the refusals", () => sm.uploader.pending() === 0);
    assert.ok(refusals < 0 && (await store.exists(reference)));
    await sm.close();
  });

  it("resumes an unfinished upload after a restart", async () => {
    const down = new Proxy(store, {
      get(target, prop) {
        if (prop === "put") return () => Promise.reject(new TarnError("UNAVAILABLE", "store down"));
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    let sm = await TarnStateMachine.open({ dir: path.join(root, "node"), store: down, initialMembership: membership });
    await sm.apply([1, 2].map(step));
    const reference = await sm.snapshot(2, 1);
    await sm.close();
    assert.equal(await store.exists(reference), false);
    sm = await open();
    await until("the resumed upload", () => sm.uploader.lastUploaded === reference);
    assert.ok(await store.exists(reference));
    await sm.close();
  });

  it("finishes a database swap that a crash interrupted, and drops a half-written restore", async () => {
    const dir = path.join(root, "node");
    let sm = await open();
    await sm.apply([1, 2].map(step));
    await sm.close();
    // A whole restored database waits beside the live one; a half-written one lies there too.
    const restored = await openDb(path.join(dir, "state.restored"));
    await restored.batch([
      { type: "put", key: APPLIED_KEY, value: encodeApplied({ index: 9, term: 3 }) },
      { type: "put", key: userKey(b("k")), value: encodeStored(9, b("from the snapshot")) },
    ]);
    await restored.close();
    fs.mkdirSync(path.join(dir, "state.restoring"));
    fs.writeFileSync(path.join(dir, "state.restoring", "junk"), "half");
    sm = await open();
    assert.equal(sm.appliedIndex(), 9);
    assert.deepEqual(await sm.get(b("k")), { key: b("k"), value: b("from the snapshot"), version: 9 });
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.startsWith("state")), ["state"]);
    await sm.close();
  });
});
