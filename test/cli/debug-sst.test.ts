// `tarn debug sst FILE [--scan]`, run as a user would (the real bin/tarn, a separate process) over a table
// that RocksDB's ldb wrote.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { entries, ldbWriteExternSst, tempDir } from "../sstable/fixtures";

/** The checkout's root: the nearest directory above this file (source or compiled) with bin/tarn. */
function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "bin", "tarn"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no bin/tarn above ${__dirname}`);
    dir = up;
  }
  return dir;
}

function tarn(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(repoRoot(), "bin", "tarn"), ...args], { encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Bytes = { text: string } | { hex: string };
const decode = (b: Bytes): Buffer => ("text" in b ? Buffer.from(b.text, "utf8") : Buffer.from(b.hex, "hex"));

describe("cli: tarn debug sst", function () {
  this.timeout(60_000);
  let dir: string;
  let file: string;
  const list = [
    { key: Buffer.from("readme.md"), value: Buffer.from("plain text value") },
    ...entries(300, { maxValue: 200 }).map((e) => ({ key: Buffer.concat([Buffer.from("z"), e.key]), value: e.value })),
  ];

  before(() => {
    dir = tempDir("debug-sst");
    file = path.join(dir, "ldb.sst");
    ldbWriteExternSst(file, list);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("--scan --output json prints the layout, the properties and exactly the entries ldb wrote", () => {
    const r = tarn("debug", "sst", file, "--scan", "--output", "json");
    assert.equal(r.status, 0, r.stderr);
    const d = JSON.parse(r.stdout);
    assert.equal(d.file, file);
    assert.equal(d.size, fs.statSync(file).size);
    assert.equal(d.footer.formatVersion, 5); // RocksDB 7's default
    assert.ok(d.metaindex.some((m: { name: string }) => m.name === "rocksdb.properties"));
    assert.equal(d.properties["rocksdb.num.entries"], list.length);
    assert.equal(d.properties["rocksdb.comparator"], "leveldb.BytewiseComparator");
    assert.equal(d.entries.length, list.length);
    d.entries.forEach((e: { key: Bytes; value: Bytes }, i: number) => {
      assert.deepEqual(decode(e.key), list[i].key, `key ${i}`);
      assert.deepEqual(decode(e.value), list[i].value, `value ${i}`);
    });
    assert.deepEqual(d.entries[0], { key: { text: "readme.md" }, value: { text: "plain text value" } });
  });

  it("prints properties as text without --scan", () => {
    const r = tarn("debug", "sst", file);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^file: .*ldb\.sst \(\d+ bytes\)$/m);
    assert.match(r.stdout, /^footer: format_version 5, checksum xxh3/m);
    assert.match(r.stdout, new RegExp(`^  rocksdb.num.entries: ${list.length}$`, "m"));
    assert.doesNotMatch(r.stdout, /readme\.md/);
    const scan = tarn("debug", "sst", file, "--scan");
    assert.match(scan.stdout, /^ {2}"readme\.md" => "plain text value"$/m);
  });

  it("fails with one line naming the file for a missing or corrupt table", () => {
    const missing = tarn("debug", "sst", path.join(dir, "missing.sst"));
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /^tarn: .*missing\.sst.*\n$/);
    const directory = tarn("debug", "sst", dir);
    assert.equal(directory.status, 1);
    assert.equal(directory.stderr, `tarn: cannot read table ${dir}: EISDIR: illegal operation on a directory, read\n`);
    const bad = path.join(dir, "bad.sst");
    const bytes = fs.readFileSync(file);
    bytes[10] ^= 0xff; // inside the first data block
    fs.writeFileSync(bad, bytes);
    const corrupt = tarn("debug", "sst", bad, "--scan");
    assert.equal(corrupt.status, 1);
    assert.match(corrupt.stderr, new RegExp(`^tarn: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: corrupt: data block at 0: block checksum mismatch`));
    assert.equal(corrupt.stderr.trim().split("\n").length, 1);
  });
});
