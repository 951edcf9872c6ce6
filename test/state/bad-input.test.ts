// Bad input: corrupt snapshots are refused with a CorruptionError naming them and leave no half database;
// the command codec refuses everything it would not have written.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ClassicLevel } from "classic-level";
import { CorruptionError } from "../../src/errors";
import { TableWriter } from "../../src/sstable";
import { loadSnapshotFile, StateNode, writeSnapshotFile } from "../../src/state";
import { openDb } from "../../src/state/db-dir";
import { APPLIED_KEY, encodeApplied, encodeMembership, encodeStored, userKey } from "../../src/state/keyspace";
import { b, quiet, startCluster, until } from "./cluster";
import { freePort } from "../support/ports";

const membership = { confState: { voters: ["n1"], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false }, addresses: { n1: "127.0.0.1:1" } };

describe("state: corrupt snapshots", function () {
  this.timeout(60_000);
  let root: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-state-bad-"));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("refuses to start a member on a corrupt snapshot, naming it, with no half database", async () => {
    const c = await startCluster({ size: 1, snapshotEntries: 10 });
    const node = c.leader();
    for (let i = 0; i < 30; i++) await node.kv.write({ mutations: [{ op: "put", key: b(`k${i}`), value: b(`v${i}`) }] });
    const reference = node.status().lastSnapshot!;
    assert.ok(reference, "a snapshot was taken");
    await until("the snapshot uploaded", () => node.status().lastUploadedSnapshot === reference);
    const dir = c.dataDir("n1");
    await c.stopNode("n1");
    // Lose the database (the Raft log still says the state starts at the snapshot) and damage the snapshot.
    fs.rmSync(path.join(dir, "state"), { recursive: true, force: true });
    fs.rmSync(path.join(dir, "snapshots"), { recursive: true, force: true });
    const good = await c.store.getBuffer(reference);
    const bad = Buffer.from(good);
    bad[100] ^= 0xff;
    await c.store.put(reference, bad);

    const port = await freePort();
    const err = await StateNode.start({ id: "n1", dataDir: dir, members: { n1: `127.0.0.1:${port}` }, clusterSecret: "state-test-secret", clusterName: "state-test", snapshotStore: c.store, listen: `127.0.0.1:${port}`, logger: quiet }).then(
      () => assert.fail("started on a corrupt snapshot"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof CorruptionError, `a CorruptionError, got ${String(err)}`);
    assert.ok(err.file.includes(reference), `names ${reference}: ${err.message}`);
    assert.ok(!fs.existsSync(path.join(dir, "state.restoring")) && !fs.existsSync(path.join(dir, "state.restored")));
    const db = new ClassicLevel<Buffer, Buffer>(path.join(dir, "state"), { keyEncoding: "buffer", valueEncoding: "buffer" });
    assert.deepEqual(await db.keys().all(), [], "the live database stayed empty");
    await db.close();
    await c.stop();
  });

  describe("loading a snapshot table", () => {
    async function goodTable(): Promise<string> {
      const db = await openDb(path.join(root, "src"));
      await db.batch([
        { type: "put", key: APPLIED_KEY, value: encodeApplied({ index: 7, term: 2 }) },
        ...Array.from({ length: 500 }, (_, i) => ({ type: "put" as const, key: userKey(b(`key-${i}`)), value: encodeStored(i + 1, b(`value-${i}`.repeat(5))) })),
      ]);
      const file = path.join(root, "good.sst");
      await writeSnapshotFile(db, file, { index: 7, term: 2 }, membership);
      await db.close();
      return file;
    }

    async function load(file: string, expected = { index: 7, term: 2 }): Promise<unknown> {
      const target = await openDb(path.join(root, `target-${Math.random()}`));
      try {
        await loadSnapshotFile(file, `store/${path.basename(file)}`, expected, target);
        return undefined;
      } catch (err) {
        return err;
      } finally {
        await target.close();
      }
    }

    function refused(err: unknown, name: string, pattern?: RegExp): void {
      assert.ok(err instanceof CorruptionError, `expected a CorruptionError, got ${String(err)}`);
      assert.equal(err.file, `store/${name}`);
      if (pattern) assert.match(err.message, pattern);
    }

    it("loads a good table", async () => {
      assert.equal(await load(await goodTable()), undefined);
    });

    it("refuses a flipped byte in a data block, a truncated file and an empty one", async () => {
      const good = fs.readFileSync(await goodTable());
      const flipped = Buffer.from(good);
      flipped[200] ^= 0x01;
      fs.writeFileSync(path.join(root, "flipped.sst"), flipped);
      refused(await load(path.join(root, "flipped.sst")), "flipped.sst");
      fs.writeFileSync(path.join(root, "short.sst"), good.subarray(0, good.length - 10));
      refused(await load(path.join(root, "short.sst")), "short.sst");
      fs.writeFileSync(path.join(root, "empty.sst"), Buffer.alloc(0));
      refused(await load(path.join(root, "empty.sst")), "empty.sst");
    });

    it("refuses a table for another index, another type, or keys outside the state keyspace", async () => {
      const file = await goodTable();
      refused(await load(file, { index: 8, term: 2 }), "good.sst", /expected index 8 term 2/);
      const range = TableWriter.toFile(path.join(root, "range.sst"), { userProperties: { type: "ranges" } });
      range.add(b("a"), b("b"));
      range.finish();
      refused(await load(path.join(root, "range.sst")), "range.sst", /not "snapshot"/);
      const props = { type: "snapshot", "tarn.snapshot.format": "1", "tarn.applied_index": "7", "tarn.applied_term": "2", "tarn.membership": encodeMembership(membership) };
      const stray = TableWriter.toFile(path.join(root, "stray.sst"), { userProperties: props });
      stray.add(Buffer.from([0x00, 0x61]), b("x"));
      stray.add(Buffer.from([0x05, 0x61]), b("x"));
      stray.finish();
      refused(await load(path.join(root, "stray.sst")), "stray.sst", /outside the state keyspace/);
      const noApplied = TableWriter.toFile(path.join(root, "no-applied.sst"), { userProperties: props });
      noApplied.add(userKey(b("k")), encodeStored(3, b("v")));
      noApplied.finish();
      refused(await load(path.join(root, "no-applied.sst")), "no-applied.sst", /no applied-index record/);
    });
  });
});
