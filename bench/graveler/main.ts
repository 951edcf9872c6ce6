// bench/graveler: staging and committing 1M entries; committing 100 changes on branches of 100k, 1M and 10M
// objects; diff and merge of branches that differ in 1,000 of 1M objects; listing 1,000 common prefixes.
// Branches of 100k+ objects are built with the bulk path (ranges written directly). The 100 changes of a commit
// and the 1,000 differing objects are contiguous keys (one partition), the shape of real data-lake writes.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { openObjectStore } from "../../src/block";
import type { ObjectStore } from "../../src/block/types";
import { encodeEntry, Entry } from "../../src/graveler/entry";
import { Graveler } from "../../src/graveler/graveler";
import { LevelKv } from "../../src/graveler/kv/level";

const results: Record<string, unknown>[] = [];
const report = (row: Record<string, unknown>) => {
  results.push(row);
  console.log(JSON.stringify(row));
};
const entry = (tag: string): Entry => ({ physicalAddress: `data/${tag}`, size: 1024, etag: `etag-${tag}`, lastModified: new Date(1_700_000_000_000), addressType: "relative", contentType: "application/octet-stream" });
const key = (i: number) => `tables/events/part-${String(i).padStart(8, "0")}.parquet`;
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
/** Collects the garbage of the set-up (bulk imports) before a timed step, when run with --expose-gc (npm run bench). */
const settleHeap = () => (globalThis as { gc?: () => void }).gc?.();

function* objects(n: number): Iterable<[Buffer, Buffer]> {
  const value = encodeEntry(entry("bulk"));
  for (let i = 0; i < n; i++) yield [Buffer.from(key(i)), value];
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-bench-graveler-"));
  const stores = new Map<string, ObjectStore>();
  const openStore = (ns: string) => {
    if (!stores.has(ns)) {
      const dir = path.join(root, "stores", ns.replace(/\W/g, "_"));
      fs.mkdirSync(dir, { recursive: true });
      stores.set(ns, openObjectStore(`local://${dir}`));
    }
    return stores.get(ns)!;
  };
  const kv = await LevelKv.open(path.join(root, "kv"));
  const g = new Graveler({ kv, committed: { cacheDir: path.join(root, "cache"), openStore } });
  try {
    // 1. stage 1M entries, commit them
    await g.createRepository("staged", "local://staged");
    let t = process.hrtime.bigint();
    for (let i = 0; i < 1_000_000; i += 10_000) {
      await g.setObjects("staged", "main", Array.from({ length: 10_000 }, (_, j) => ({ path: key(i + j), entry: entry(String(i + j)) })));
    }
    const stageMs = ms(t);
    settleHeap();
    t = process.hrtime.bigint();
    const s0 = process.cpuUsage();
    await g.commit("staged", "main", { message: "1M" });
    const commitMs = ms(t);
    const s1 = process.cpuUsage(s0);
    report({ load_average: +os.loadavg()[0].toFixed(2), case: "stage+commit", objects: 1_000_000, stage_ms: Math.round(stageMs), commit_ms: Math.round(commitMs), commit_cpu_ms: Math.round((s1.user + s1.system) / 1000), target_commit_ms: 10_000 });
    await g.settled();

    // 2. commit 100 changes on branches of growing size
    for (const n of [100_000, 1_000_000, 10_000_000]) {
      const repo = `big-${n}`;
      await g.createRepository(repo, `local://${repo}`);
      t = process.hrtime.bigint();
      await g.importCommit(repo, "main", objects(n), { message: "import" });
      const importMs = ms(t);
      // Three commits of 100 changes each, in the middle of the branch: the first runs on code the JIT has not
      // optimised yet (a long-running server never pays it again), so both it and the median are reported.
      const rounds: { wall: number; cpu: number; ranges: number; entries: number }[] = [];
      for (let round = 0; round < 3; round++) {
        const start = Math.floor(n / 2) + round * 1000;
        await g.setObjects(repo, "main", Array.from({ length: 100 }, (_, j) => ({ path: key(start + j), entry: entry(`c${round}-${j}`) })));
        const before = await g.getCommit(repo, "main");
        settleHeap();
        t = process.hrtime.bigint();
        const c0 = process.cpuUsage();
        const made = await g.commit(repo, "main", { message: "100 changes" });
        const wall = ms(t);
        const cpu = process.cpuUsage(c0);
        const r = { name: repo, storageNamespace: `local://${repo}` };
        const oldIds = new Set((await g.committed.metaRange(r, before.metaRangeId)).map((x) => x.id));
        const fresh = (await g.committed.metaRange(r, made.metaRangeId)).filter((x) => !oldIds.has(x.id));
        rounds.push({ wall, cpu: (cpu.user + cpu.system) / 1000, ranges: fresh.length, entries: fresh.reduce((a, x) => a + x.count, 0) });
      }
      const median = [...rounds].sort((a, b) => a.wall - b.wall)[1];
      report({
        load_average: +os.loadavg()[0].toFixed(2), case: "commit 100 changes", branch_objects: n, commit_ms: Math.round(median.wall), commit_cpu_ms: Math.round(median.cpu),
        first_commit_ms: Math.round(rounds[0].wall), first_commit_cpu_ms: Math.round(rounds[0].cpu),
        ranges_written: median.ranges, entries_rewritten: median.entries, import_ms: Math.round(importMs), target_ms: 200,
      });
    }

    // 3. diff and merge of branches differing in 1,000 of 1M objects
    const repo = "big-1000000";
    await g.createBranch(repo, "feature", "main");
    await g.setObjects(repo, "feature", Array.from({ length: 1000 }, (_, j) => ({ path: key(200_000 + j), entry: entry(`f${j}`) })));
    await g.commit(repo, "feature", { message: "1000 changes" });
    settleHeap();
    // Three diffs (the first on cold code, see above); the median is the figure.
    const diffs: { wall: number; cpu: number; n: number }[] = [];
    for (let round = 0; round < 3; round++) {
      t = process.hrtime.bigint();
      const d0 = process.cpuUsage();
      const d = await g.diff(repo, "main", "feature");
      const wall = ms(t);
      const d1 = process.cpuUsage(d0);
      diffs.push({ wall, cpu: (d1.user + d1.system) / 1000, n: d.length });
    }
    const diffMedian = [...diffs].sort((a, b) => a.wall - b.wall)[1];
    t = process.hrtime.bigint();
    let m0 = process.cpuUsage();
    await g.merge(repo, "feature", "main");
    let mergeMs = ms(t);
    let m1 = process.cpuUsage(m0);
    report({
      load_average: +os.loadavg()[0].toFixed(2), case: "diff+merge", branch_objects: 1_000_000, differing: diffMedian.n,
      diff_ms: Math.round(diffMedian.wall), diff_cpu_ms: Math.round(diffMedian.cpu), first_diff_ms: Math.round(diffs[0].wall), first_diff_cpu_ms: Math.round(diffs[0].cpu),
      merge_ms: Math.round(mergeMs), merge_cpu_ms: Math.round((m1.user + m1.system) / 1000), target_ms: 200,
    });

    // 3b. the same merge when the destination moved too (no whole-tree fast path): 1,000 changes on each side
    await g.createBranch(repo, "feature2", "main");
    await g.setObjects(repo, "feature2", Array.from({ length: 1000 }, (_, j) => ({ path: key(300_000 + j), entry: entry(`g${j}`) })));
    await g.commit(repo, "feature2", { message: "1000 changes" });
    await g.setObjects(repo, "main", Array.from({ length: 1000 }, (_, j) => ({ path: key(700_000 + j), entry: entry(`m${j}`) })));
    await g.commit(repo, "main", { message: "1000 changes on main" });
    t = process.hrtime.bigint();
    m0 = process.cpuUsage();
    await g.merge(repo, "feature2", "main");
    mergeMs = ms(t);
    m1 = process.cpuUsage(m0);
    report({ load_average: +os.loadavg()[0].toFixed(2), case: "three-way merge, both sides changed", branch_objects: 1_000_000, changes_per_side: 1000, merge_ms: Math.round(mergeMs), merge_cpu_ms: Math.round((m1.user + m1.system) / 1000), target_ms: 200 });

    // 4. listing 1,000 common prefixes
    await g.createRepository("dirs", "local://dirs");
    const value = encodeEntry(entry("d"));
    const dirEntries: [Buffer, Buffer][] = [];
    for (let p = 0; p < 1000; p++) for (let f = 0; f < 20; f++) dirEntries.push([Buffer.from(`dirs/p${String(p).padStart(4, "0")}/f${String(f).padStart(2, "0")}`), value]);
    await g.importCommit("dirs", "main", dirEntries, { message: "dirs" });
    const times: number[] = [];
    const cpuTimes: number[] = [];
    settleHeap();
    for (let i = 0; i < 50; i++) {
      t = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      const listed = await g.listObjects("dirs", "main", { prefix: "dirs/", delimiter: "/", amount: 1000 });
      times.push(ms(t));
      const c = process.cpuUsage(c0);
      cpuTimes.push((c.user + c.system) / 1000);
      if (listed.results.length !== 1000) throw new Error(`listed ${listed.results.length} common prefixes, expected 1000`);
    }
    times.sort((a, b) => a - b);
    cpuTimes.sort((a, b) => a - b);
    report({ load_average: +os.loadavg()[0].toFixed(2), case: "list 1000 common prefixes", runs: times.length, p50_ms: +times[24].toFixed(2), p90_ms: +times[44].toFixed(2), cpu_p90_ms: +cpuTimes[44].toFixed(2), target_p90_ms: 25 });
  } finally {
    await g.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
  console.log(`load average at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(" ")} (the machine is shared; figures are noisy)`);
  console.log(JSON.stringify({ bench: "graveler", machine: { cores: os.cpus().length, memory: os.totalmem() }, results }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
