// Damaged tables: a flipped byte anywhere, a truncated file or a wrong magic number must end in a
// CorruptionError that names the file and says what is wrong, and never in wrong data.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CorruptionError, TarnError } from "../../src/errors";
import { TableReader, TableWriter, TableWriterOptions } from "../../src/sstable";
import { crc32c, maskCrc } from "../../src/sstable/crc32c";
import { Entry, entries, tempDir } from "./fixtures";

function build(list: Entry[], options: TableWriterOptions): Buffer {
  const w = TableWriter.inMemory({ ...options, userProperties: { type: "ranges" } });
  for (const e of list) w.add(e.key, e.value);
  return w.finish().bytes!;
}

/** Opens, scans and looks up every key; throws whatever the reader throws, fails on any wrong answer. */
function readEverything(reader: TableReader, list: Entry[]): void {
  const it = reader.iterator();
  let i = 0;
  for (let ok = it.first(); ok; ok = it.next(), i++) {
    if (i >= list.length || !it.key().equals(list[i].key) || !it.value().equals(list[i].value)) assert.fail(`wrong entry ${i} returned`);
  }
  assert.equal(i, list.length, "entries missing");
  for (const e of list) {
    const v = reader.get(e.key);
    if (v === undefined || !v.equals(e.value)) assert.fail("get returned wrong data");
  }
}

/** Runs fn and returns the CorruptionError it throws; fails when it throws anything else or nothing. */
function corruption(fn: () => void, context: string): CorruptionError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CorruptionError) return err;
    throw new Error(`${context}: expected a CorruptionError, got ${String(err)}`, { cause: err });
  }
  return assert.fail(`${context}: damage went unnoticed`);
}

describe("sstable: corrupt tables", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = tempDir("sst-corrupt")));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const variants: Record<string, TableWriterOptions> = {
    "snappy, two-level index": { blockSize: 128, indexBlockSize: 64 },
    "uncompressed, single-level index": { blockSize: 256, compression: "none" },
  };
  for (const [name, options] of Object.entries(variants)) {
    it(`every byte of a table (${name}), flipped in turn, gives a CorruptionError`, () => {
      const list = entries(40, { maxValue: 40, longKeys: false });
      const good = build(list, options);
      readEverything(TableReader.fromBuffer(good, "good.sst"), list); // the undamaged table reads back
      const damaged = Buffer.from(good);
      for (let p = 0; p < good.length; p++) {
        damaged[p] ^= 0xff;
        const err = corruption(() => readEverything(TableReader.fromBuffer(damaged, "damaged.sst"), list), `byte ${p} of ${good.length}`);
        assert.equal(err.file, "damaged.sst");
        assert.equal(err.code, "CORRUPTION");
        assert.match(err.message, /^damaged\.sst: corrupt: \S/);
        damaged[p] = good[p];
      }
    });
  }

  describe("in files: each kind of block", () => {
    const list = entries(3000, { maxValue: 100, longKeys: false });
    let file: string;
    let bytes: Buffer;
    let regions: { what: string; offset: number; size: number; message: RegExp }[];

    before(() => {
      file = path.join(dir, "table.sst");
      const w = TableWriter.toFile(file, { indexBlockSize: 256 });
      for (const e of list) w.add(e.key, e.value);
      w.finish();
      bytes = fs.readFileSync(file);
      const r = TableReader.openFile(file);
      assert.equal(r.properties.indexType, "two-level");
      const partitions = r.indexEntries().map((e) => e.handle);
      const props = r.metaindex.get("rocksdb.properties")!;
      regions = [
        { what: "the first data block", ...r.dataBlocks()[0], message: /data block at 0: block checksum mismatch/ },
        { what: "the last data block", ...r.dataBlocks().at(-1)!, message: /data block at \d+: block checksum mismatch/ },
        { what: "an index partition", ...partitions[1], message: new RegExp(`index partition at ${partitions[1].offset}: block checksum mismatch`) },
        { what: "the top-level index", ...r.footer.index, message: /index block at \d+: block checksum mismatch/ },
        { what: "the properties block", ...props, message: /properties block at \d+: block checksum mismatch/ },
        { what: "the metaindex block", ...r.footer.metaindex, message: /metaindex block at \d+: block checksum mismatch/ },
      ];
      r.close();
    });

    it("a flipped byte at the start, middle, end and trailer of each block names the file and the block", () => {
      for (const region of regions) {
        for (const at of [region.offset, region.offset + (region.size >> 1), region.offset + region.size - 1, region.offset + region.size, region.offset + region.size + 4]) {
          const damaged = Buffer.from(bytes);
          damaged[at] ^= 0x01; // a single bit
          const f = path.join(dir, `flip-${at}.sst`);
          fs.writeFileSync(f, damaged);
          const err = corruption(() => {
            const r = TableReader.openFile(f);
            try {
              readEverything(r, list);
            } finally {
              r.close();
            }
          }, `${region.what}, byte ${at}`);
          assert.equal(err.file, f);
          assert.ok(err.message.startsWith(`${f}: corrupt: `), err.message);
          assert.match(err.message, region.message, `${region.what}, byte ${at}`);
          fs.rmSync(f);
        }
      }
    });

    it("a flipped bit in the footer: checksum type, handles, padding, version, magic", () => {
      const footer = bytes.length - 53;
      const cases: [number, RegExp][] = [
        [footer, /unsupported block checksum type/],
        [footer + 1, /checksum mismatch|points outside|padding|varint/],
        [footer + 3, /checksum mismatch|points outside|padding|varint/],
        [footer + 40, /footer padding byte/],
        [footer + 42, /unsupported table format_version/],
        [footer + 46, /bad magic number/],
        [bytes.length - 1, /bad magic number/],
      ];
      for (const [at, message] of cases) {
        const damaged = Buffer.from(bytes);
        damaged[at] ^= 0x80;
        const f = path.join(dir, `footer-${at}.sst`);
        fs.writeFileSync(f, damaged);
        const err = corruption(() => readEverything(TableReader.openFile(f), list), `footer byte ${at - footer}`);
        assert.equal(err.file, f);
        assert.match(err.message, message, `footer byte ${at - footer}: ${err.message}`);
      }
    });

    it("a truncated file", () => {
      for (const size of [0, 1, 47, 52, bytes.length - 53, Math.floor(bytes.length / 2), bytes.length - 1]) {
        const f = path.join(dir, `truncated-${size}.sst`);
        fs.writeFileSync(f, bytes.subarray(0, size));
        const err = corruption(() => TableReader.openFile(f), `truncated to ${size}`);
        assert.equal(err.file, f);
        assert.match(err.message, /too short|truncated|bad magic number/, err.message);
      }
    });

    it("a wrong magic number", () => {
      const damaged = Buffer.from(bytes);
      damaged.writeBigUInt64LE(0x0123456789abcdefn, damaged.length - 8);
      const f = path.join(dir, "magic.sst");
      fs.writeFileSync(f, damaged);
      const err = corruption(() => TableReader.openFile(f), "wrong magic");
      assert.equal(err.message, `${f}: corrupt: bad magic number 0x0123456789abcdef in footer (expected 0x88e241b785f4cff7): not a RocksDB block-based table, or truncated`);
    });
  });

  it("keys out of order inside a block (with a valid checksum) are refused, not returned", () => {
    const w = TableWriter.inMemory({ compression: "none" });
    for (const k of ["apple", "banana", "cherry"]) w.add(Buffer.from(k), Buffer.from(`${k}-value`));
    const bytes = w.finish().bytes!;
    // Rename "banana" to "zanana" in the data block (block 0) and fix the block's checksum.
    const at = bytes.indexOf("banana");
    bytes[at] = "z".charCodeAt(0);
    const reader = TableReader.fromBuffer(bytes, "unsorted.sst");
    const size = reader.indexEntries()[0].handle.size;
    bytes.writeUInt32LE(maskCrc(crc32c(bytes, 0, size + 1)), size + 1);
    const fixed = TableReader.fromBuffer(bytes, "unsorted.sst");
    const err = corruption(() => {
      const it = fixed.iterator();
      for (let ok = it.first(); ok; ok = it.next()) it.key();
    }, "unsorted keys");
    assert.match(err.message, /^unsorted\.sst: corrupt: data block at 0: keys out of order/);
  });

  it("blocks damaged behind a valid checksum (a buggy writer) fail as CorruptionError, never another error or a hang", () => {
    let seed = 12345;
    const rnd = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    for (const options of [
      { blockSize: 128, indexBlockSize: 64, compression: "none" as const },
      { blockSize: 256, compression: "none" as const, blockRestartInterval: 3 },
    ]) {
      const w = TableWriter.inMemory(options);
      const keys = Array.from({ length: 200 }, (_, i) => Buffer.from(`key-${String(i * 7).padStart(5, "0")}${"x".repeat(i % 5)}`));
      keys.forEach((k, i) => w.add(k, Buffer.from(`v${i}`.repeat(i % 4))));
      const good = w.finish().bytes!;
      const r = TableReader.fromBuffer(good, "good.sst");
      const blocks = [...r.dataBlocks(), ...(r.twoLevel ? r.indexEntries().map((e) => e.handle) : []), r.footer.index, r.footer.metaindex, r.metaindex.get("rocksdb.properties")!];
      for (let round = 0; round < 800; round++) {
        const b = Buffer.from(good);
        const h = blocks[Math.floor(rnd() * blocks.length)];
        for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) {
          b[h.offset + Math.floor(rnd() * h.size)] = rnd() < 0.5 ? Math.floor(rnd() * 256) : [0, 0x7f, 0x80, 0xff][Math.floor(rnd() * 4)];
        }
        b.writeUInt32LE(maskCrc(crc32c(b, h.offset, h.offset + h.size + 1)), h.offset + h.size + 1);
        try {
          const damaged = TableReader.fromBuffer(b, "damaged.sst");
          const it = damaged.iterator();
          let n = 0;
          for (let ok = it.first(); ok; ok = it.next()) {
            it.key();
            it.value();
            if (++n > 10_000) assert.fail("iteration does not end");
          }
          for (let i = 0; i < keys.length; i += 5) {
            damaged.get(keys[i]);
            damaged.iterator().seekGE(keys[i]);
          }
        } catch (err) {
          if (!(err instanceof CorruptionError)) assert.fail(`round ${round}: ${String(err)}`);
        }
      }
    }
  });

  it("the writer refuses keys that are not strictly increasing", () => {
    const w = TableWriter.inMemory();
    w.add(Buffer.from("b"), Buffer.alloc(0));
    for (const k of ["b", "a", ""]) {
      assert.throws(
        () => w.add(Buffer.from(k), Buffer.alloc(0)),
        (err: unknown) => err instanceof TarnError && err.code === "INVALID_ARGUMENT" && /strictly increasing/.test(err.message),
      );
    }
    w.add(Buffer.from("ba"), Buffer.alloc(0));
    assert.equal(w.finish().entries, 2);
  });
});
