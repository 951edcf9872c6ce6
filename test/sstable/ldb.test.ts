// Tables RocksDB itself writes (ldb write_extern_sst: format_version 5, user-key index, delta-encoded index
// values) read back exactly, by iteration, seekGE and get.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { TableReader } from "../../src/sstable";
import { Entry, entries, ldbWriteExternSst, tempDir } from "./fixtures";

function readAll(reader: TableReader): Entry[] {
  const out: Entry[] = [];
  const it = reader.iterator();
  for (let ok = it.first(); ok; ok = it.next()) out.push({ key: it.key(), value: it.value() });
  it.close();
  return out;
}

const variants: { name: string; count: number; args: string[] }[] = [
  { name: "1 entry", count: 1, args: [] },
  { name: "1,000 entries, defaults (snappy, 4 KiB blocks)", count: 1000, args: [] },
  { name: "1,000 entries, no compression", count: 1000, args: ["--compression_type=no"] },
  { name: "20,000 entries, 512-byte blocks (many index entries, delta-encoded handles)", count: 20_000, args: ["--block_size=512"] },
];

describe("sstable: reading tables written by RocksDB's ldb write_extern_sst", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = tempDir("ldb")));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const v of variants) {
    it(v.name, () => {
      const list = entries(v.count, { maxValue: v.count > 1000 ? 100 : 5000 });
      const file = path.join(dir, `${v.count}-${v.args.join("")}.sst`);
      ldbWriteExternSst(file, list, v.args);
      const reader = TableReader.openFile(file);
      try {
        assert.equal(reader.properties.numEntries, v.count);
        assert.ok(reader.properties.formatVersion >= 2, `format_version ${reader.properties.formatVersion}`);
        const got = readAll(reader);
        assert.equal(got.length, list.length);
        for (let i = 0; i < list.length; i++) {
          if (!got[i].key.equals(list[i].key) || !got[i].value.equals(list[i].value)) assert.fail(`entry ${i} differs`);
        }
        // Point lookups of every key, and of keys that are not there.
        for (const e of list) assert.deepEqual(reader.get(e.key), e.value);
        for (let i = 0; i < list.length; i += 7) {
          const absent = Buffer.concat([list[i].key, Buffer.from([0])]);
          assert.equal(reader.get(absent), undefined);
          // seekGE of a key just past entry i lands on entry i + 1.
          const it = reader.iterator();
          const ok = it.seekGE(absent);
          assert.equal(ok, i + 1 < list.length);
          if (ok) assert.deepEqual(it.key(), list[i + 1].key);
        }
        assert.equal(reader.get(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff])), undefined);
      } finally {
        reader.close();
      }
    });
  }

  it("reads RocksDB's index layout (user-key index, delta-encoded values) as declared in its properties", () => {
    const file = path.join(dir, "layout.sst");
    ldbWriteExternSst(file, entries(5000), ["--block_size=256"]);
    const reader = TableReader.openFile(file);
    try {
      assert.equal(reader.properties.all.get("rocksdb.index.key.is.user.key")?.[0], 1);
      assert.equal(reader.properties.all.get("rocksdb.index.value.is.delta.encoded")?.[0], 1);
      assert.ok(reader.properties.numDataBlocks > 100);
      assert.equal(readAll(reader).length, 5000);
    } finally {
      reader.close();
    }
  });
});
