// Dropped staging tokens are compacted away: LevelDB keeps a tombstone per deleted key, and a scan of a token
// that sorts just before a dropped one walked all of them (a listing on a fresh branch took hundreds of ms
// after a commit of 1,000,000 staged entries).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import type { StagingToken } from "../../src/graveler/ids";
import { LevelKv } from "../../src/graveler/kv/level";
import { MemoryKv } from "../../src/graveler/kv/memory";
import type { KvStore } from "../../src/graveler/kv/types";
import { StagingManager } from "../../src/graveler/staging/manager";

/** A memory store that records the ranges it is asked to compact. */
function recordingKv(): { kv: KvStore; compacted: string[] } {
  const kv = new MemoryKv() as MemoryKv & KvStore;
  const compacted: string[] = [];
  kv.compact = async (start, end) => void compacted.push(`${start.toString()}..${end.toString()}`);
  return { kv, compacted };
}

async function stage(staging: StagingManager, kv: KvStore, name: string, n: number): Promise<void> {
  const mutations = Array.from({ length: n }, (_, i) => staging.setMutation(token(name), `p/${String(i).padStart(6, "0")}`, Buffer.from("v")));
  await kv.write({ mutations });
}

describe("staging: compaction after drops", () => {
  it("compacts the range of a big drop at once, and the whole staging space once small drops add up", async () => {
    const { kv, compacted } = recordingKv();
    const staging = new StagingManager(kv, { drop: 100, accumulated: 25 });
    await stage(staging, kv, "big", 150);
    await staging.drop(token("big"));
    assert.deepEqual(compacted, ["stage/big/..stage/big0"]);
    assert.equal((await kv.scan({ prefix: Buffer.from("stage/") })).length, 0);

    for (const name of ["s1", "s2"]) {
      await stage(staging, kv, name, 10);
      await staging.drop(token(name));
    }
    assert.equal(compacted.length, 1, "20 small deletes stay under the threshold of 25");
    await stage(staging, kv, "s3", 10);
    await staging.drop(token("s3"));
    assert.deepEqual(compacted, ["stage/big/..stage/big0", "stage/..stage0"]);
  });

  it("does not compact after a drop that deleted nothing", async () => {
    const { kv, compacted } = recordingKv();
    const staging = new StagingManager(kv, { drop: 1, accumulated: 1 });
    await staging.drop(token("empty"));
    assert.deepEqual(compacted, []);
  });

  it("classic-level compaction keeps every live key, inside and around the range", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-kv-compact-"));
    const kv = await LevelKv.open(dir);
    try {
      const staging = new StagingManager(kv);
      await stage(staging, kv, "a", 10);
      await stage(staging, kv, "b", 3000);
      await stage(staging, kv, "c", 10);
      await kv.write({ mutations: [{ op: "put", key: Buffer.from("stage/b/p/keep"), value: Buffer.from("x") }] });
      await kv.write({ mutations: [{ op: "delete", key: Buffer.from("stage/b/p/keep") }] });
      await staging.drop(token("b"));
      assert.equal((await kv.scan({ prefix: Buffer.from("stage/b/") })).length, 0);
      assert.equal((await kv.scan({ prefix: Buffer.from("stage/a/") })).length, 10);
      assert.equal((await kv.scan({ prefix: Buffer.from("stage/c/") })).length, 10);
      await kv.compact(Buffer.from("stage/"), Buffer.from("stage0"));
      assert.equal((await kv.scan({ prefix: Buffer.from("stage/") })).length, 20);
    } finally {
      await kv.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

function token(name: string): StagingToken {
  return name as StagingToken;
}
