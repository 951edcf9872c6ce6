// The runtime tells snapshot() the term of the entry at the snapshot index: a snapshot taken past the last
// command (at a new leader's no-op or a membership entry) records that term, not the last command's.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ObjectStore } from "../../src/block";
import { openObjectStore } from "../../src/block";
import { EntryType } from "../../raft/types";
import { encodeCommand, TarnStateMachine } from "../../src/state";
import { b, until } from "./cluster";

const membership = { confState: { voters: ["n1"], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false }, addresses: { n1: "127.0.0.1:1" } };

describe("state: snapshot term and concurrency", () => {
  let root: string;
  let store: ObjectStore;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-state-term-"));
    store = openObjectStore(`local://${path.join(root, "store")}`);
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("labels a snapshot past the last command with the term the runtime gives", async () => {
    const sm = await TarnStateMachine.open({ dir: path.join(root, "node"), store, initialMembership: membership });
    try {
      await sm.apply([{ index: 1, term: 2, type: EntryType.Normal, data: encodeCommand({ mutations: [{ op: "put", key: b("a"), value: b("1") }] }) }]);
      // Index 2 is a term-5 leader's no-op: it never reaches apply().
      const reference = await sm.snapshot(2, 5);
      assert.deepEqual(sm.appliedState(), { index: 2, term: 5 });
      assert.equal(reference, "snapshots/2-5.sst", "the reference names index and term");
    } finally {
      await sm.close();
    }
    const reopened = await TarnStateMachine.open({ dir: path.join(root, "node"), store, initialMembership: membership });
    assert.deepEqual(reopened.appliedState(), { index: 2, term: 5 }, "the term is durable with the applied index");
    await reopened.close();
  });

  it("writes a snapshot while applying goes on, its label agreeing with its contents", async () => {
    const sm = await TarnStateMachine.open({ dir: path.join(root, "node"), store, initialMembership: membership });
    const put = (i: number) => ({ index: i, term: 1, type: EntryType.Normal, data: encodeCommand({ mutations: [{ op: "put" as const, key: b(`k${i}`), value: b(String(i)) }] }) });
    try {
      await sm.apply(Array.from({ length: 50 }, (_, i) => put(i + 1)));
      // The runtime calls snapshot(50) and goes on applying without waiting for it (off its loop).
      const snapshotting = sm.snapshot(50, 1);
      for (let i = 51; i <= 80; i += 3) await sm.apply([put(i), put(i + 1), put(i + 2)]);
      const reference = await snapshotting;
      const label = Number(/snapshots\/(\d+)-/.exec(reference)![1]);
      assert.ok(label >= 50, reference);
      await until("the upload", () => sm.uploader.lastUploaded === reference);
      const restored = await TarnStateMachine.open({ dir: path.join(root, "restored"), store, initialMembership: membership });
      try {
        await restored.restore({ metadata: { index: 50, term: 1, confState: membership.confState }, reference }, () => Promise.reject(new Error("unused")));
        assert.equal(restored.appliedIndex(), label);
        const keys = (await restored.scan({})).map((r) => Number(r.key.toString().slice(1))).sort((x, y) => x - y);
        assert.deepEqual(keys, Array.from({ length: label }, (_, i) => i + 1), `snapshot ${reference} holds exactly the entries up to its label`);
      } finally {
        await restored.close();
      }
    } finally {
      await sm.close();
    }
  });
});
