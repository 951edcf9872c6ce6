// bench/sstable: writes a table of 1,000,000 entries (40-byte keys, 150-byte values), then scans it, then
// does random point lookups with the blocks cached. Prints entries/s, µs per lookup and the peak RSS of
// the write. Targets (2-core machine): write >= 500k/s, scan >= 1M/s, lookup < 20 µs, peak RSS < 200 MB.
//   npm run bench -- sstable [ENTRIES]
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BlockCache, TableReader, TableWriter } from "../../src/sstable";

const ENTRIES = Number(process.argv[2] ?? 1_000_000);
const KEY_SIZE = 40;
const VALUE_SIZE = 150;
const LOOKUPS = 200_000;

/** Deterministic xorshift32, so every run writes the same table. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

const KEY_PREFIX = "tarn/bench/objects/part-";

/** Key i: a path-like, zero-padded key of exactly 40 bytes, written into `out` (digits by hand: no strings). */
function fillKey(out: Buffer, i: number): Buffer {
  out.write(KEY_PREFIX, 0, "latin1");
  for (let p = KEY_SIZE - 1; p >= KEY_PREFIX.length; p--) {
    out[p] = 0x30 + (i % 10);
    i = Math.floor(i / 10);
  }
  return out;
}

/** Values look like graveler entries: 32 random bytes (a checksum), then JSON-ish text that compresses somewhat. */
const VALUE_TEMPLATE = Buffer.from(
  '{"address":"s3://bucket/data/0000000000","size":0000000000,"etag":"0000000000","content_type":"application/octet-stream"}'.padEnd(VALUE_SIZE - 32, " "),
  "latin1",
);

function fillValue(out: Buffer, next: () => number, i: number): Buffer {
  for (let j = 0; j < 32; j += 4) {
    const r = next();
    out[j] = r;
    out[j + 1] = r >>> 8;
    out[j + 2] = r >>> 16;
    out[j + 3] = r >>> 24;
  }
  VALUE_TEMPLATE.copy(out, 32);
  // Vary the text a little per entry, as real addresses and sizes do.
  for (let p = 32 + 39, n = i; p > 32 + 29; p--, n = Math.floor(n / 10)) out[p] = 0x30 + (n % 10);
  return out;
}

const rssMB = () => process.memoryUsage.rss() / 2 ** 20;

/**
 * Wall-clock time, and this process's CPU time: on a machine shared with other busy processes the CPU time
 * shows what the code costs, the wall time what the load made of it. Both are printed.
 */
interface Timing {
  wallS: number;
  cpuS: number;
}

function timed<T>(fn: () => T): [T, Timing] {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const out = fn();
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return [out, { wallS, cpuS: (c.user + c.system) / 1e6 }];
}

const rate = (n: number, s: number) => Math.round(n / s);
const showRate = (n: number, t: Timing) => `${rate(n, t.wallS)} entries/s (${t.wallS.toFixed(2)} s; ${rate(n, t.cpuS)} per CPU-second)`;

/** Reads every key and value, as a caller would take them. */
function scan(file: string, cache: BlockCache | undefined): Timing {
  const reader = TableReader.openFile(file, { cache });
  const [[scanned, bytes], t] = timed(() => {
    let n = 0;
    let b = 0;
    const it = reader.iterator();
    for (let ok = it.first(); ok; ok = it.next()) {
      b += it.key().length + it.value().length;
      n++;
    }
    it.close();
    return [n, b];
  });
  reader.close();
  if (scanned !== ENTRIES || bytes !== ENTRIES * (KEY_SIZE + VALUE_SIZE)) throw new Error(`scan returned ${scanned} entries (${bytes} bytes), wrote ${ENTRIES}`);
  return t;
}

/** RocksDB's own reader (C++) iterating the same table; its wall time, as it runs in a child process. */
function peerScan(file: string): number | undefined {
  if (spawnSync("sh", ["-c", "command -v sst_dump"]).status !== 0) return undefined;
  const [r, t] = timed(() => spawnSync("sst_dump", [`--file=${file}`, "--command=check"], { encoding: "utf8" }));
  if (r.status !== 0) throw new Error(`sst_dump --command=check failed on our table: ${r.stdout}${r.stderr}`);
  return rate(ENTRIES, t.wallS);
}

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-bench-sstable-"));
  const file = path.join(dir, "bench.sst");
  try {
    const results: Record<string, number | string>[] = [];
    console.log(`sstable bench: ${ENTRIES} entries, ${KEY_SIZE}-byte keys, ${VALUE_SIZE}-byte values, load ${os.loadavg()[0].toFixed(2)}`);

    // Write. Key and value buffers are reused: the writer copies what it keeps.
    const key = Buffer.alloc(KEY_SIZE);
    const value = Buffer.alloc(VALUE_SIZE);
    const next = rng(42);
    let peakRss = rssMB();
    const [written, write] = timed(() => {
      const w = TableWriter.toFile(file, { userProperties: { type: "ranges" } });
      for (let i = 0; i < ENTRIES; i++) {
        w.add(fillKey(key, i), fillValue(value, next, i));
        if ((i & 0x3fff) === 0) peakRss = Math.max(peakRss, rssMB());
      }
      return w.finish();
    });
    // maxRSS is the process's high-water mark so far: the write is the first thing this process does.
    peakRss = Math.max(peakRss, rssMB(), process.resourceUsage().maxRSS / 1024);
    console.log(`write: ${showRate(ENTRIES, write)}, ${(written.size / 2 ** 20).toFixed(1)} MiB, peak RSS ${peakRss.toFixed(0)} MB`);

    // Scans: a one-pass read without a block cache, then one that fills a cache (used for lookups below).
    const plain = scan(file, undefined);
    console.log(`scan: ${showRate(ENTRIES, plain)}`);
    const cache = new BlockCache(512 * 2 ** 20);
    const filling = scan(file, cache);
    console.log(`scan filling a block cache: ${showRate(ENTRIES, filling)}`);

    // The peer: RocksDB's own C++ reader iterating the same table (sst_dump --command=check).
    const peerRate = peerScan(file);
    console.log(peerRate ? `peer: RocksDB sst_dump --command=check: ${peerRate} entries/s` : "peer: sst_dump not installed (apt-get install rocksdb-tools), skipped");

    // Random point lookups with every block cached: a first pass over the probes loads their blocks.
    const reader = TableReader.openFile(file, { cache });
    const pick = rng(7);
    const probes: Buffer[] = [];
    for (let i = 0; i < LOOKUPS; i++) probes.push(Buffer.from(fillKey(Buffer.alloc(KEY_SIZE), pick() % ENTRIES)));
    for (const p of probes) reader.get(p);
    const [found, lookups] = timed(() => {
      let n = 0;
      for (const p of probes) if (reader.get(p) !== undefined) n++;
      return n;
    });
    if (found !== LOOKUPS) throw new Error(`lookups found ${found} of ${LOOKUPS}`);
    const lookupUs = (lookups.wallS * 1e6) / LOOKUPS;
    const lookupCpuUs = (lookups.cpuS * 1e6) / LOOKUPS;
    console.log(`lookup: ${lookupUs.toFixed(2)} µs per lookup (${lookupCpuUs.toFixed(2)} µs CPU; ${LOOKUPS} random keys, blocks cached)`);
    const indexType = reader.properties.indexType;
    reader.close();

    results.push({
      config: `${ENTRIES} entries, ${KEY_SIZE}B keys, ${VALUE_SIZE}B values, snappy, 4 KiB blocks`,
      index: indexType,
      table_bytes: written.size,
      write_entries_per_s: rate(ENTRIES, write.wallS),
      write_entries_per_cpu_s: rate(ENTRIES, write.cpuS),
      scan_entries_per_s: rate(ENTRIES, plain.wallS),
      scan_entries_per_cpu_s: rate(ENTRIES, plain.cpuS),
      scan_filling_cache_entries_per_s: rate(ENTRIES, filling.wallS),
      peer: "RocksDB 7 sst_dump --command=check (C++ scan of the same file)",
      peer_scan_entries_per_s: peerRate ?? "not run",
      lookup_us: Number(lookupUs.toFixed(2)),
      lookup_cpu_us: Number(lookupCpuUs.toFixed(2)),
      write_peak_rss_mb: Math.round(peakRss),
      load_avg: Number(os.loadavg()[0].toFixed(2)),
    });
    console.log(JSON.stringify({ bench: "sstable", machine: { cores: os.cpus().length, memory: os.totalmem() }, results }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
