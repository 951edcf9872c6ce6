// Acceptance 1 and 2: range reuse on a 1,000,000-object branch, and every table Tarn writes is a valid RocksDB
// table with the five graveler properties and a content-derived ID.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { TableReader } from "../../src/sstable";
import { encodeEntry } from "../../src/graveler/entry";
import { sstDump } from "../support/tools";
import { entry, makeEnv, TestEnv } from "./support/env";

const tableFiles = (env: TestEnv, ns: string) => {
  const dir = path.join(env.dir(ns), "_tarn");
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
};

function* million(value: Buffer): Iterable<[Buffer, Buffer]> {
  for (let i = 0; i < 1_000_000; i++) yield [Buffer.from(`data/part-${String(i).padStart(7, "0")}.parquet`), value];
}

describe("graveler: committed ranges", function () {
  this.timeout(240_000);
  let env: TestEnv;
  beforeEach(async () => {
    env = await makeEnv({ level: true });
  });
  afterEach(() => env.close());

  it("commits one changed object on a branch of 1,000,000 objects by writing one range and one metarange", async () => {
    await env.g.createRepository("big", "local://big");
    await env.g.importCommit("big", "main", million(encodeEntry(entry("same"))), { message: "import" });
    const before = new Set(tableFiles(env, "local://big"));
    const head = await env.g.getCommit("big", "main");
    const oldRanges = await env.g.committed.metaRange({ name: "big", storageNamespace: "local://big" }, head.metaRangeId);
    assert.ok(oldRanges.length >= 10, `expected many ranges, got ${oldRanges.length}`);
    await env.g.setObject("big", "main", "data/part-0500000.parquet", entry("changed"));
    const c = await env.g.commit("big", "main", { message: "one change" });
    const added = tableFiles(env, "local://big").filter((f) => !before.has(f));
    const newRanges = await env.g.committed.metaRange({ name: "big", storageNamespace: "local://big" }, c.metaRangeId);
    const oldIds = new Set(oldRanges.map((r) => r.id));
    const changedRanges = newRanges.filter((r) => !oldIds.has(r.id));
    assert.equal(changedRanges.length, 1, "exactly the range holding the change is rewritten");
    assert.equal(newRanges.length, oldRanges.length);
    assert.deepEqual(added.sort(), [changedRanges[0].id, c.metaRangeId].sort());
    assert.equal((await env.g.getObject("big", "main", "data/part-0500000.parquet")).etag, "etag-changed");
    assert.equal((await env.g.getObject("big", "main", "data/part-0500001.parquet")).etag, "etag-same");
  });

  it("writes tables that sst_dump verifies, with the five properties, and equal trees get equal IDs", async () => {
    const tool = sstDump();
    const ids: string[] = [];
    for (const name of ["left", "right"]) {
      await env.g.createRepository(name, `local://${name}`);
      const items = Array.from({ length: 3000 }, (_, i) => ({ path: `p/${i % 7}/obj-${i}`, entry: entry("x", { physicalAddress: `data/${i}` }) }));
      await env.g.setObjects(name, "main", items);
      await env.g.commit(name, "main", { message: "tree" });
      await env.g.deleteObject(name, "main", "p/3/obj-3");
      const c = await env.g.commit(name, "main", { message: "delete one" });
      ids.push(c.metaRangeId);
      const files = tableFiles(env, `local://${name}`);
      assert.ok(files.length >= 4);
      for (const f of files) {
        const file = path.join(env.dir(`local://${name}`), "_tarn", f);
        // sst_dump only accepts files named *.sst; Tarn's are named by their ID, so it reads them through a link.
        const link = path.join(env.root, `${name}-${f}.sst`);
        fs.symlinkSync(file, link);
        const out = execFileSync(tool, [`--file=${link}`, "--command=verify"], { encoding: "utf8" });
        assert.match(out, /The file is ok/, `sst_dump verify of ${f}: ${out}`);
        const props = TableReader.openFile(file).properties.user;
        for (const p of ["type", "min_key", "max_key", "count", "estimated_size_bytes"]) assert.ok(props.has(p), `${f} lacks property ${p}`);
        assert.match(props.get("type")!.toString(), /^(ranges|metaranges)$/);
      }
      const shown = execFileSync(tool, [`--file=${path.join(env.root, `${name}-${c.metaRangeId}.sst`)}`, "--show_properties"], { encoding: "utf8" });
      // sst_dump prints user properties in hex
      assert.ok(shown.includes(`# type: 0x${Buffer.from("metaranges").toString("hex").toUpperCase()}`), shown);
      for (const p of ["min_key", "max_key", "count", "estimated_size_bytes"]) assert.ok(shown.includes(`# ${p}: 0x`), `${p} missing from sst_dump properties`);
    }
    assert.equal(ids[0], ids[1]);
  });
});
