// A commit rewrites the ranges that hold its changes by copying their unchanged data blocks as stored: the
// ranges it writes must be the ones an entry-by-entry write of the same content gives (same IDs, same
// boundaries, whether a boundary falls at a block's end or inside one), and valid RocksDB tables.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { openObjectStore } from "../../src/block";
import { fnv1a64Mod } from "../../src/graveler/committed/fnv";
import type { RangeShape } from "../../src/graveler/committed/range-writer";
import { encodeEntry, Entry } from "../../src/graveler/entry";
import { Graveler } from "../../src/graveler/graveler";
import { MemoryKv } from "../../src/graveler/kv/memory";
import { TableReader } from "../../src/sstable";
import { sstDump } from "../support/tools";

const N = 6000;
const key = (i: number) => `k/${String(i).padStart(6, "0")}`;
/** Every value has the same length, so that a changed entry keeps the sizes (and size-driven boundaries) as they were. */
const entry = (tag: string, i: number): Entry => ({ physicalAddress: `data/${tag}-${String(i).padStart(6, "0")}`, size: 1, etag: `etag-${tag}`, lastModified: new Date(1_700_000_000_000), addressType: "relative" });

describe("graveler: ranges rewritten by copying whole blocks", function () {
  this.timeout(60_000);
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-block-copy-"))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const open = (shape: Partial<RangeShape>) =>
    new Graveler({
      kv: new MemoryKv(),
      // Small blocks: each range spans many, so most of a rewritten range is copied whole.
      committed: { cacheDir: path.join(root, "cache"), openStore: (ns) => openObjectStore(`local://${path.join(root, "stores", ns.replace(/\W/g, "_"))}`), shape, table: { blockSize: 1024 } },
    });

  const cases: Record<string, { shape: Partial<RangeShape>; reshape: boolean }> = {
    // Content-defined boundaries only: an insert and a delete (of keys that are not boundaries) as well.
    "content-defined boundaries": { shape: { raggedness: 700 }, reshape: true },
    // Ranges cut at a maximum size (at the end of their last block).
    "size boundaries": { shape: { raggedness: 1_000_000, maxRangeSize: 40_000 }, reshape: false },
  };

  for (const [name, c] of Object.entries(cases)) {
    it(`commits the same ranges as an import of the result (${name})`, async () => {
      const g = open(c.shape);
      try {
        const changed = [10, 2500, 2501, 2502, 4999];
        // Inserted and deleted keys must not be content-defined boundaries: removing or adding one moves a
        // boundary, which an import of the result places differently from a commit on top of reused ranges.
        const isBoundary = (p: string) => fnv1a64Mod(Buffer.from(p), c.shape.raggedness!) === 0;
        const inserted = c.reshape ? [1200, 1201, 1202].map((i) => `${key(i)}x`).find((p) => !isBoundary(p)) : undefined;
        const deleted = c.reshape ? [3700, 3701, 3702].find((i) => !isBoundary(key(i))) : undefined;
        const final = new Map<string, Entry>();
        for (let i = 0; i < N; i++) final.set(key(i), entry("base", i));
        for (const i of changed) final.set(key(i), entry("edit", i));

        await g.createRepository("committed", "local://committed");
        await g.importCommit("committed", "main", [...Array(N).keys()].map((i) => [Buffer.from(key(i)), encodeEntry(entry("base", i))] as [Buffer, Buffer]), { message: "base" });
        await g.setObjects("committed", "main", changed.map((i) => ({ path: key(i), entry: entry("edit", i) })));
        if (inserted !== undefined) {
          await g.setObject("committed", "main", inserted, entry("new", 0));
          final.set(inserted, entry("new", 0));
        }
        if (deleted !== undefined) {
          await g.deleteObject("committed", "main", key(deleted));
          final.delete(key(deleted));
        }
        const before = await g.getCommit("committed", "main");
        const made = await g.commit("committed", "main", { message: "edit" });

        await g.createRepository("imported", "local://imported");
        const sorted = [...final.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        const direct = await g.importCommit("imported", "main", sorted.map((k) => [Buffer.from(k), encodeEntry(final.get(k)!)] as [Buffer, Buffer]), { message: "direct" });
        assert.equal(made.metaRangeId, direct.metaRangeId, "the rewritten tree is the tree written entry by entry");

        const repo = { name: "committed", storageNamespace: "local://committed" };
        const old = new Set((await g.committed.metaRange(repo, before.metaRangeId)).map((r) => r.id));
        const fresh = (await g.committed.metaRange(repo, made.metaRangeId)).filter((r) => !old.has(r.id));
        assert.ok(fresh.length >= 2 && fresh.length < 12, `ranges rewritten: ${fresh.length}`);
        const tool = sstDump();
        for (const r of fresh) {
          const link = path.join(root, `${r.id}.sst`);
          fs.symlinkSync(path.join(root, "stores", "local___committed", "_tarn", r.id), link);
          assert.match(execFileSync(tool, [`--file=${link}`, "--command=verify"], { encoding: "utf8" }), /The file is ok/);
        }

        const listed = await g.listObjects("committed", "main", { amount: 100_000 });
        assert.deepEqual(listed.results.map((l) => ("path" in l ? `${l.path}=${l.entry.physicalAddress}` : l.commonPrefix)), sorted.map((k) => `${k}=${final.get(k)!.physicalAddress}`));
      } finally {
        await g.close();
      }
    });
  }

  it("cuts a range inside a block when a longer entry moves its size boundary, and names it by its content", async () => {
    const max = 40_000;
    const g = open({ raggedness: 1_000_000, maxRangeSize: max });
    try {
      await g.createRepository("grown", "local://grown");
      await g.importCommit("grown", "main", [...Array(N).keys()].map((i) => [Buffer.from(key(i)), encodeEntry(entry("base", i))] as [Buffer, Buffer]), { message: "base" });
      const longer: Entry = { ...entry("base", 2500), physicalAddress: `data/${"long-".repeat(60)}2500` };
      await g.setObject("grown", "main", key(2500), longer);
      const before = await g.getCommit("grown", "main");
      const made = await g.commit("grown", "main", { message: "grow" });
      const repo = { name: "grown", storageNamespace: "local://grown" };
      const old = new Set((await g.committed.metaRange(repo, before.metaRangeId)).map((r) => r.id));
      const fresh = (await g.committed.metaRange(repo, made.metaRangeId)).filter((r) => !old.has(r.id));
      assert.ok(fresh.length >= 2, `ranges rewritten: ${fresh.length}`);

      // Entry by entry, the first rewritten range ends at the first key where its size reaches the maximum.
      const first = fresh[0];
      const value = (i: number) => encodeEntry(i === 2500 ? longer : entry("base", i));
      let i = Number(first.minKey.toString().slice(2));
      let size = 0;
      for (; ; i++) {
        size += key(i).length + value(i).length;
        if (size >= max) break;
      }
      assert.equal(first.maxKey.toString(), key(i), "the boundary moved with the grown entry");

      const tool = sstDump();
      for (const r of fresh) {
        const file = path.join(root, "stores", "local___grown", "_tarn", r.id);
        assert.equal(contentId(file), r.id, "a range is named by its entries");
        const link = path.join(root, `${r.id}.sst`);
        fs.symlinkSync(file, link);
        assert.match(execFileSync(tool, [`--file=${link}`, "--command=verify"], { encoding: "utf8" }), /The file is ok/);
      }
      const listed = await g.listObjects("grown", "main", { amount: 100_000 });
      assert.equal(listed.results.length, N);
      assert.equal((await g.getObject("grown", "main", key(2500))).physicalAddress, longer.physicalAddress);
    } finally {
      await g.close();
    }
  });
});

/** SHA-256 over "ranges" and every record (u32be length, key, u32be length, value), read entry by entry. */
function contentId(file: string): string {
  const reader = TableReader.openFile(file);
  const hash = createHash("sha256").update("ranges");
  const it = reader.iterator();
  const len = Buffer.alloc(4);
  for (let ok = it.first(); ok; ok = it.next()) {
    for (const part of [it.key(), it.value()]) {
      len.writeUInt32BE(part.length);
      hash.update(len).update(part);
    }
  }
  reader.close();
  return hash.digest("hex");
}
