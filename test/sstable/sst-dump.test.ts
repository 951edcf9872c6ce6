// Tables Tarn writes must be tables RocksDB reads: Debian's sst_dump verifies every block, returns exactly
// the entries that went in, and shows the user properties. Also read back with our own reader.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { TableReader, TableWriter, TableWriterOptions } from "../../src/sstable";
import { EntryShape, entryAt, sstDumpProperties, sstDumpScan, sstDumpSeek, sstDumpVerify, tempDir } from "./fixtures";

interface Case {
  count: number;
  shape: EntryShape;
  options: TableWriterOptions;
  /** Check every entry with get() (small tables) or a sample. */
  getEvery: number;
}

const USER_PROPS = { type: "ranges", min_key: "a", max_key: "z\u00e9", count: "1000", binary: Buffer.from([0, 1, 0xfe, 0xff]) };

const cases: Record<string, Case> = {
  "1 entry": { count: 1, shape: {}, options: {}, getEvery: 1 },
  "1,000 entries with large values, uncompressed": { count: 1000, shape: { maxValue: 70_000 }, options: { compression: "none" }, getEvery: 1 },
  "1,000 entries, snappy, small blocks, two-level index": { count: 1000, shape: {}, options: { blockSize: 256, indexBlockSize: 300 }, getEvery: 1 },
  "1,000,000 entries": { count: 1_000_000, shape: { maxValue: 48, longKeys: false }, options: {}, getEvery: 997 },
};

describe("sstable: tables Tarn writes, checked with sst_dump", function () {
  this.timeout(180_000);
  let dir: string;
  before(() => (dir = tempDir("sst-dump")));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [name, c] of Object.entries(cases)) {
    it(name, async () => {
      const file = path.join(dir, `${c.count}.sst`);
      const w = TableWriter.toFile(file, { ...c.options, userProperties: USER_PROPS });
      for (let i = 0; i < c.count; i++) {
        const e = entryAt(i, c.shape);
        w.add(e.key, e.value);
      }
      w.setUserProperty("estimated_size_bytes", String(w.estimatedSize()));
      const written = w.finish();
      assert.equal(written.entries, c.count);
      assert.equal(written.size, fs.statSync(file).size);
      assert.deepEqual(written.firstKey, entryAt(0, c.shape).key);
      assert.deepEqual(written.lastKey, entryAt(c.count - 1, c.shape).key);

      // 1. RocksDB verifies every block checksum.
      assert.match(sstDumpVerify(file), /The file is ok/);

      // 2. RocksDB returns exactly our entries, in order (streamed: the big case prints ~90 MB of hex).
      let i = 0;
      const scanned = await sstDumpScan(file, (keyHex, valueHex, seq, type) => {
        const e = entryAt(i, c.shape);
        if (keyHex !== e.key.toString("hex").toUpperCase() || valueHex !== e.value.toString("hex").toUpperCase() || seq !== 0 || type !== 1) {
          assert.fail(`sst_dump entry ${i}: got '${keyHex}' seq ${seq} type ${type} => '${valueHex.slice(0, 80)}', wrote '${e.key.toString("hex")}' => '${e.value.toString("hex").slice(0, 80)}'`);
        }
        i++;
      });
      assert.equal(scanned, c.count);

      // RocksDB's seeks find our keys through our index (shortened separators, partitions).
      for (let j = 0; j < c.count; j += Math.max(1, Math.floor(c.count / 7))) {
        const e = entryAt(j, c.shape);
        assert.deepEqual(sstDumpSeek(file, e.key), [e.key.toString("hex").toUpperCase(), e.value.toString("hex").toUpperCase()], `sst_dump seek to entry ${j}`);
      }

      // 3. RocksDB shows our user properties, byte for byte, and our counts.
      const props = sstDumpProperties(file);
      for (const [k, v] of Object.entries(USER_PROPS)) assert.deepEqual(props.collected.get(k), typeof v === "string" ? Buffer.from(v) : v, `user property ${k}`);
      assert.ok(props.collected.has("estimated_size_bytes"));
      assert.equal(props.printed.get("# entries"), String(c.count));
      assert.equal(props.printed.get("comparator name"), "leveldb.BytewiseComparator");
      assert.equal(props.printed.get("SST file compression algo"), c.options.compression === "none" ? "NoCompression" : "Snappy");

      // 4. Our reader agrees.
      const reader = TableReader.openFile(file);
      try {
        assert.equal(reader.properties.numEntries, c.count);
        assert.equal(reader.properties.formatVersion, 2);
        assert.equal(reader.properties.indexType, c.options.indexBlockSize ? "two-level" : reader.properties.indexType);
        assert.equal(reader.properties.user.get("type")?.toString(), "ranges");
        assert.equal(Number(props.printed.get("# data blocks")), reader.properties.numDataBlocks);
        const it = reader.iterator();
        let n = 0;
        for (let ok = it.first(); ok; ok = it.next(), n++) {
          const e = entryAt(n, c.shape);
          if (!it.key().equals(e.key) || !it.value().equals(e.value)) assert.fail(`our reader, entry ${n}: wrong key or value`);
        }
        assert.equal(n, c.count);
        for (let j = 0; j < c.count; j += c.getEvery) {
          const e = entryAt(j, c.shape);
          assert.deepEqual(reader.get(e.key), e.value, `get entry ${j}`);
        }
      } finally {
        reader.close();
      }
      if (c.options.indexBlockSize) assert.equal(TableReader.openFile(file).properties.indexType, "two-level");
    });
  }
});
