// Whatever goes in comes back: random entry sets and writer options, checked against a plain sorted array
// for iteration, seekGE and get, in memory and through files, with and without a block cache.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { BlockCache, TableReader, TableWriter, TableWriterOptions } from "../../src/sstable";
import { tempDir } from "./fixtures";

const entrySet = fc
  .uniqueArray(
    fc.tuple(
      // Random keys, and short keys over a tiny alphabet (0x00, 0x01 as in trailers, 0xff) that share long prefixes.
      fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.array(fc.constantFrom(0, 1, 0xff), { maxLength: 10 }).map((a) => Uint8Array.from(a))),
      fc.uint8Array({ maxLength: 300 }),
    ),
    {
      selector: ([k]) => Buffer.from(k).toString("hex"),
      maxLength: 400,
    },
  )
  .map((pairs) =>
    pairs
      .map(([k, v]) => ({ key: Buffer.from(k), value: Buffer.from(v) }))
      .sort((a, b) => Buffer.compare(a.key, b.key)),
  );

const writerOptions: fc.Arbitrary<TableWriterOptions> = fc.record({
  blockSize: fc.constantFrom(64, 256, 4096),
  blockRestartInterval: fc.constantFrom(1, 2, 16),
  compression: fc.constantFrom("snappy" as const, "none" as const),
  indexBlockSize: fc.constantFrom(32, 512, 256 * 1024),
});

/** Index of the first entry with key >= target in a sorted list (the reference seekGE). */
function lowerBound(list: { key: Buffer }[], target: Buffer): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Buffer.compare(list[mid].key, target) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

describe("sstable: round trips", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = tempDir("sst-roundtrip")));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("iteration, seekGE and get agree with a sorted array for random tables and options", () => {
    const cache = new BlockCache(64 * 1024);
    let n = 0;
    fc.assert(
      fc.property(entrySet, writerOptions, fc.array(fc.uint8Array({ maxLength: 42 }), { maxLength: 30 }), fc.boolean(), (list, options, probes, toFile) => {
        const w = toFile ? TableWriter.toFile(path.join(dir, `rt-${n}.sst`), options) : TableWriter.inMemory(options);
        for (const e of list) w.add(e.key, e.value);
        const written = w.finish();
        assert.equal(written.entries, list.length);
        const reader = toFile
          ? TableReader.openFile(path.join(dir, `rt-${n++}.sst`), { cache })
          : TableReader.fromBuffer(written.bytes!, "rt.sst", { cache });
        try {
          assert.equal(reader.properties.numEntries, list.length);
          const it = reader.iterator();
          let i = 0;
          for (let ok = it.first(); ok; ok = it.next(), i++) {
            assert.deepEqual(it.key(), list[i].key);
            assert.deepEqual(it.value(), list[i].value);
          }
          assert.equal(i, list.length);
          // Probes: random keys, every stored key, and each stored key with a byte added or dropped.
          const targets = probes.map((p) => Buffer.from(p));
          for (const e of list) targets.push(e.key, Buffer.concat([e.key, Buffer.from([0])]), e.key.subarray(0, Math.max(0, e.key.length - 1)));
          for (const t of targets) {
            const at = lowerBound(list, t);
            const s = reader.iterator();
            assert.equal(s.seekGE(t), at < list.length);
            if (at < list.length) {
              assert.deepEqual(s.key(), list[at].key);
              // next() continues from the sought position.
              assert.equal(s.next(), at + 1 < list.length);
              if (at + 1 < list.length) assert.deepEqual(s.key(), list[at + 1].key);
            }
            const exact = at < list.length && list[at].key.equals(t);
            assert.deepEqual(reader.get(t), exact ? list[at].value : undefined);
          }
        } finally {
          reader.close();
        }
      }),
      { numRuns: 150 },
    );
    assert.ok(cache.usedBytes <= cache.capacityBytes);
  });

  it("keys whose shared prefix reaches into the previous key's trailer read back (found by the property above)", () => {
    // "" then "\x01": the full keys share a byte, because the first trailer starts with the kind byte 0x01.
    for (const list of [[[], [1]], [[], [1, 0]], [[5], [5, 1]], [[5], [5, 1, 0, 0, 0, 0, 0, 0, 0, 9]]]) {
      const w = TableWriter.inMemory({ blockRestartInterval: 16 });
      for (const k of list) w.add(Buffer.from(k), Buffer.from(k));
      const r = TableReader.fromBuffer(w.finish().bytes!, "t.sst");
      const it = r.iterator();
      const got: number[][] = [];
      for (let ok = it.first(); ok; ok = it.next()) got.push([...it.key()]);
      assert.deepEqual(got, list);
    }
  });

  it("reads a table with a LevelDB-style (format_version 0) footer", () => {
    const w = TableWriter.inMemory();
    for (let i = 0; i < 500; i++) w.add(Buffer.from(`k${String(i).padStart(4, "0")}`), Buffer.from(`v${i}`));
    const modern = w.finish().bytes!;
    const r = TableReader.fromBuffer(modern, "modern.sst");
    // Legacy footer: metaindex handle, index handle, zero padding to 40 bytes, magic 0xdb4775248b80fb57.
    const legacy = Buffer.alloc(48);
    const handles = modern.subarray(modern.length - 53 + 1, modern.length - 53 + 41);
    handles.copy(legacy, 0);
    legacy.writeBigUInt64LE(0xdb4775248b80fb57n, 40);
    const old = TableReader.fromBuffer(Buffer.concat([modern.subarray(0, modern.length - 53), legacy]), "legacy.sst");
    assert.equal(old.properties.formatVersion, 0);
    assert.equal(old.properties.numEntries, r.properties.numEntries);
    assert.deepEqual(old.get(Buffer.from("k0042")), Buffer.from("v42"));
  });

  it("estimatedSize grows with the table and ends close to its size", () => {
    const w = TableWriter.inMemory();
    let last = w.estimatedSize();
    for (let i = 0; i < 5000; i++) {
      w.add(Buffer.from(`key-${String(i).padStart(6, "0")}`), Buffer.alloc(100, i % 251));
      const now = w.estimatedSize();
      assert.ok(now >= last, "estimatedSize never shrinks");
      last = now;
    }
    const written = w.finish();
    assert.ok(Math.abs(written.size - last) < written.size * 0.05, `estimate ${last}, actual ${written.size}`);
  });

  it("setUserProperty works until finish(), rejects reserved names, and abort() removes the file", () => {
    const file = path.join(dir, "props.sst");
    const w = TableWriter.toFile(file, { userProperties: { type: "metaranges" } });
    w.add(Buffer.from("k"), Buffer.from("v"));
    w.setUserProperty("count", "1");
    assert.throws(() => w.setUserProperty("rocksdb.num.entries", "2"), /reserved/);
    w.finish();
    assert.throws(() => w.setUserProperty("late", "x"), /after the writer was finished/);
    const r = TableReader.openFile(file);
    assert.deepEqual([...r.properties.user.keys()].sort(), ["count", "type"]);
    assert.equal(r.properties.user.get("type")?.toString(), "metaranges");
    r.close();

    const partial = path.join(dir, "partial.sst");
    const a = TableWriter.toFile(partial);
    for (let i = 0; i < 100_000; i++) a.add(Buffer.from(`k${String(i).padStart(8, "0")}`), Buffer.alloc(50));
    assert.ok(fs.existsSync(partial));
    a.abort();
    assert.equal(fs.existsSync(partial), false);
    assert.throws(() => a.add(Buffer.from("z"), Buffer.alloc(0)), /after the writer was aborted/);
  });

  it("a shared block cache stays within its capacity and serves repeated lookups", () => {
    const cache = new BlockCache(200 * 1024);
    const readers = [0, 1].map((r) => {
      const w = TableWriter.inMemory();
      for (let i = 0; i < 20_000; i++) w.add(Buffer.from(`k${String(i).padStart(8, "0")}`), Buffer.alloc(40, r));
      return TableReader.fromBuffer(w.finish().bytes!, `t${r}.sst`, { cache });
    });
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 20_000; i += 13) {
        for (const [r, reader] of readers.entries()) assert.deepEqual(reader.get(Buffer.from(`k${String(i).padStart(8, "0")}`)), Buffer.alloc(40, r));
      }
      assert.ok(cache.usedBytes <= cache.capacityBytes, `cache holds ${cache.usedBytes} of ${cache.capacityBytes}`);
    }
    // A scan that does not fill the cache leaves it as it was.
    const before = cache.usedBytes;
    const fresh = new BlockCache(10 * 2 ** 20);
    const w = TableWriter.inMemory();
    for (let i = 0; i < 5000; i++) w.add(Buffer.from(`s${String(i).padStart(8, "0")}`), Buffer.alloc(40));
    const scanned = TableReader.fromBuffer(w.finish().bytes!, "scan.sst", { cache: fresh });
    const it = scanned.iterator({ fillCache: false });
    let n = 0;
    for (let ok = it.first(); ok; ok = it.next()) n++;
    assert.equal(n, 5000);
    assert.equal(fresh.usedBytes, 0);
    const filling = scanned.iterator();
    for (let ok = filling.first(); ok; ok = filling.next());
    assert.ok(fresh.usedBytes > 0);
    assert.equal(cache.usedBytes, before);

    const hits = cache.hits;
    readers[0].get(Buffer.from("k00000000"));
    readers[0].get(Buffer.from("k00000001"));
    assert.ok(cache.hits > hits, "a repeated lookup is served from the cache");
    readers[0].close();
    assert.ok(cache.usedBytes <= cache.capacityBytes);
  });
});
