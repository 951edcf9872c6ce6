// Snapshots: a three-member group snapshots into a shared store (local, versitygw S3, Azurite); a member
// whose data dir is wiped restores from the leader's newest snapshot and catches up from the log; the
// snapshot file passes `sst_dump --command=verify`.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ObjectStore } from "../../src/block";
import { parseSnapshotKey, SnapshotStore, StateNode } from "../../src/state";
import { sstDump } from "../support/tools";
import { b, startCluster, TestCluster, until } from "./cluster";
import { snapshotStore, StoreKind } from "./stores";
import { freePort } from "../support/ports";

async function writeKeys(node: StateNode, from: number, to: number): Promise<void> {
  const writes = [];
  for (let i = from; i < to; i++) writes.push(node.kv.write({ mutations: [{ op: "put", key: b(`key/${String(i).padStart(4, "0")}`), value: b(`value ${i}`) }] }));
  await Promise.all(writes);
}

/** Everything a member holds, read after ReadIndex so it reflects every acknowledged write. */
async function contents(node: StateNode): Promise<string[]> {
  const records = await node.kv.scan({});
  return records.map((r) => `${r.key.toString()}=${r.value.toString()}@${r.version}`);
}

describe("state snapshots and restore", function () {
  this.timeout(120_000);
  let cluster: TestCluster | undefined;
  let store: ObjectStore | undefined;

  afterEach(async () => {
    await cluster?.stop();
    await store?.close();
    cluster = undefined;
    store = undefined;
  });

  for (const kind of ["local", "s3", "azure"] as StoreKind[]) {
    it(`restores a wiped member from the newest snapshot in the ${kind} store, then catches up from the log`, async () => {
      store = await snapshotStore(kind);
      const c = (cluster = await startCluster({ size: 3, store, snapshotEntries: 25 }));
      const leader = c.leader();
      await writeKeys(leader, 0, 60);
      await writeKeys(c.followers()[0], 60, 80); // forwarded writes count too
      await until("the leader snapshotted", () => leader.status().lastSnapshot !== undefined);

      const victim = c.followers()[1].id;
      await c.stopNode(victim);
      fs.rmSync(c.dataDir(victim), { recursive: true, force: true });
      await writeKeys(leader, 80, 140);
      await until("a snapshot past the wipe", () => parseSnapshotKey(leader.status().lastSnapshot!)!.index > 100);
      const newest = leader.status().lastSnapshot!;
      await until("the newest snapshot uploaded", () => leader.status().lastUploadedSnapshot === newest);
      assert.ok(await store.exists(newest), `${newest} is in ${store.uri}`);

      const back = await c.start(victim);
      await until("the wiped member restored", () => back.status().lastRestore !== undefined);
      const restored = back.status().lastRestore!;
      assert.equal(restored.reference, newest, "restored from the leader's newest snapshot");
      assert.equal(restored.source, "store");
      assert.ok(restored.entries > 100, `restored ${restored.entries} records`);

      // It catches up and takes part: a write through it, then equal contents everywhere.
      await back.kv.write({ mutations: [{ op: "put", key: b("after-restore"), value: b("yes") }] });
      const expected = await contents(leader);
      assert.equal(expected.length, 141);
      for (const node of c.nodes.values()) assert.deepEqual(await contents(node), expected, `member ${node.id}`);
      assert.equal(back.status().applied, leader.status().applied);

      // The snapshot file is a table RocksDB's own tool accepts, with the properties that say what it is.
      const file = path.join(c.root, "snapshot.sst");
      fs.writeFileSync(file, await store.getBuffer(newest));
      const out = execFileSync(sstDump(), [`--file=${file}`, "--command=verify"], { encoding: "utf8" });
      assert.match(out, /The file is ok/);
      const props = execFileSync(sstDump(), [`--file=${file}`, "--show_properties"], { encoding: "utf8" });
      const hex = (s: string) => Buffer.from(s).toString("hex").toUpperCase();
      assert.match(props, new RegExp(`# type: 0x${hex("snapshot")}\\n`));
      assert.match(props, new RegExp(`# tarn.applied_index: 0x${hex(String(parseSnapshotKey(newest)!.index))}\\n`));

      // Old snapshots are pruned to the configured number (10).
      assert.ok((await new SnapshotStore(store, 10).list()).length <= 10);
    });
  }

  it("restores from the leader's stream when members do not share a snapshot store", async () => {
    const c = (cluster = await startCluster({ size: 3, storePerMember: true, snapshotEntries: 25 }));
    const leader = c.leader();
    await writeKeys(leader, 0, 80);
    const victim = c.followers()[0].id;
    await c.stopNode(victim);
    fs.rmSync(c.dataDir(victim), { recursive: true, force: true });
    // Its own store goes too. Snapshot keys name the index and term, and a member's own first snapshot can
    // fall on the same index as the leader's: that copy would be a correct restore from the store, not the
    // leader's stream this test is about.
    fs.rmSync(path.join(c.root, `store-${victim}`), { recursive: true, force: true });
    await writeKeys(leader, 80, 120);
    const back = await c.start(victim);
    await until("the wiped member restored", () => back.status().lastRestore !== undefined);
    assert.equal(back.status().lastRestore!.source, "leader");
    const expected = await contents(leader);
    assert.equal(expected.length, 120);
    assert.deepEqual(await contents(back), expected);
  });

  it("brings a new member in from the newest snapshot, as a learner then a voter", async () => {
    const c = (cluster = await startCluster({ size: 3, snapshotEntries: 25 }));
    const leader = c.leader();
    await writeKeys(leader, 0, 80);
    await until("the leader snapshotted", () => leader.status().lastSnapshot !== undefined);
    c.addresses.n4 = `127.0.0.1:${await freePort()}`;
    const joiner = await c.start("n4", true);
    await leader.addLearner("n4", c.addresses.n4);
    await until("the new member restored", () => joiner.status().lastRestore !== undefined);
    assert.equal(joiner.status().lastRestore!.source, "store");
    await leader.addVoter("n4", c.addresses.n4);
    await joiner.kv.write({ mutations: [{ op: "put", key: b("from-n4"), value: b("yes") }] });
    const status = leader.status();
    assert.deepEqual(status.members.map((m) => `${m.id}:${m.role}:${m.address}`).sort(), Object.entries(c.addresses).map(([id, a]) => `${id}:voter:${a}`).sort());
    const expected = await contents(leader);
    assert.equal(expected.length, 81);
    assert.deepEqual(await contents(joiner), expected);
  });
});
