// TableWriter.addRawBlock: a table rebuilt from another one's stored blocks, with only the block that holds a
// change re-encoded, reads back as the entry-by-entry table would, counts the same, and RocksDB verifies it.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { BlockCopyIterator, TableReader, TableWriter, TableWriterOptions } from "../../src/sstable";
import { Entry, entries, sstDumpVerify, tempDir } from "./fixtures";

const COUNT = 1000;
const CHANGED = 500;

/** Copies `source` into `w`: unchanged blocks whole, the block holding `changed` entry by entry with its new value. */
function rebuild(source: TableReader, w: TableWriter, changed: Entry): { whole: number; byEntry: number } {
  const it: BlockCopyIterator = source.copyIterator();
  let whole = 0;
  let byEntry = 0;
  for (let ok = it.first(); ok; ) {
    const holdsChange = Buffer.compare(it.key(), changed.key) <= 0 && Buffer.compare(it.blockBound(), changed.key) >= 0;
    if (!holdsChange) {
      const stored = it.storedBlock();
      const e = it.blockEntries();
      const firstKey = Buffer.from(e.key.subarray(0, e.userKeyLength));
      let n = 0;
      let keyBytes = 0;
      let valueBytes = 0;
      do {
        n++;
        keyBytes += e.userKeyLength;
        valueBytes += e.valueLength;
      } while (e.next());
      w.addRawBlock({ ...stored, firstKey, lastKey: Buffer.from(e.key.subarray(0, e.userKeyLength)), entries: n, keyBytes, valueBytes });
      whole++;
      ok = it.nextBlock();
      continue;
    }
    // Entry by entry to the end of this block.
    do {
      const key = it.key();
      w.add(key, key.equals(changed.key) ? changed.value : it.value());
      ok = it.next();
    } while (ok && !it.atBlockStart());
    byEntry++;
  }
  return { whole, byEntry };
}

const variants: Record<string, TableWriterOptions> = {
  "snappy, small blocks": { blockSize: 512 },
  "uncompressed, two-level index": { blockSize: 256, indexBlockSize: 300, compression: "none" },
};

describe("sstable: copying whole blocks into a new table", function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = tempDir("raw-block")));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [name, options] of Object.entries(variants)) {
    it(`rebuilds a table around one changed entry (${name})`, () => {
      const list = entries(COUNT);
      const changed = { key: list[CHANGED].key, value: Buffer.from("a new value") };
      const sourceFile = path.join(dir, `${name}-source.sst`);
      const source = TableWriter.toFile(sourceFile, options);
      for (const e of list) source.add(e.key, e.value);
      source.finish();

      const expectedFile = path.join(dir, `${name}-expected.sst`);
      const expected = TableWriter.toFile(expectedFile, options);
      for (const e of list) expected.add(e.key, e.key.equals(changed.key) ? changed.value : e.value);
      expected.finish();

      const copyFile = path.join(dir, `${name}-copy.sst`);
      const w = TableWriter.toFile(copyFile, options);
      const reader = TableReader.openFile(sourceFile);
      const counts = rebuild(reader, w, changed);
      const written = w.finish();
      reader.close();
      assert.ok(counts.whole > 10 && counts.byEntry === 1, `blocks copied whole ${counts.whole}, by entry ${counts.byEntry}`);
      assert.equal(written.entries, COUNT);
      assert.deepEqual(written.firstKey, list[0].key);
      assert.deepEqual(written.lastKey, list[COUNT - 1].key);

      assert.match(sstDumpVerify(copyFile), /The file is ok/);
      const copy = TableReader.openFile(copyFile);
      const want = TableReader.openFile(expectedFile);
      const a = copy.iterator();
      const b = want.iterator();
      let n = 0;
      for (let okA = a.first(), okB = b.first(); okA || okB; okA = a.next(), okB = b.next(), n++) {
        assert.ok(okA && okB, `both tables end together (entry ${n})`);
        assert.deepEqual(a.key(), b.key());
        assert.deepEqual(a.value(), b.value());
      }
      assert.equal(n, COUNT);
      for (const e of [list[0], list[CHANGED - 1], list[CHANGED + 1], list[COUNT - 1]]) assert.deepEqual(copy.get(e.key), e.value);
      assert.deepEqual(copy.get(changed.key), changed.value);
      for (const p of ["numEntries", "rawKeySize", "rawValueSize"] as const) assert.equal(copy.properties[p], want.properties[p], p);
      copy.close();
      want.close();
    });
  }

  it("refuses a raw block out of order or of another compression", () => {
    const list = entries(200);
    const sourceFile = path.join(dir, "refuse-source.sst");
    const source = TableWriter.toFile(sourceFile, { blockSize: 256 });
    for (const e of list) source.add(e.key, e.value);
    source.finish();
    const reader = TableReader.openFile(sourceFile);
    const it = reader.copyIterator();
    assert.ok(it.first());
    const e = it.blockEntries();
    const firstKey = Buffer.from(e.key.subarray(0, e.userKeyLength));
    const stored = it.storedBlock();
    const block = { ...stored, firstKey, lastKey: firstKey, entries: 1, keyBytes: firstKey.length, valueBytes: 0 };

    const later = path.join(dir, "refuse-order.sst");
    const w = TableWriter.toFile(later, { blockSize: 256 });
    w.add(list[199].key, list[199].value);
    assert.throws(() => w.addRawBlock(block), /strictly increasing/);
    w.abort();

    const plain = path.join(dir, "refuse-compression.sst");
    const u = TableWriter.toFile(plain, { compression: "none" });
    assert.equal(stored.compression, 1, "the source block is Snappy-compressed");
    assert.equal(u.acceptsRaw(stored.compression), false);
    assert.throws(() => u.addRawBlock(block), /compression type 1/);
    u.abort();
    reader.close();
  });
});
