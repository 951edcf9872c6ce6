// Profiles one bench case at a time (only the timed step, not the set-up), for finding where CPU goes:
//   npx tsx bench/graveler/profile.ts commit|diff|merge|list [objects]   → writes /tmp/graveler-CASE.cpuprofile
// and prints the ten functions with the most self time. Not part of `npm run bench`.
import * as fs from "node:fs";
import * as inspector from "node:inspector";
import * as os from "node:os";
import * as path from "node:path";
import { openObjectStore } from "../../src/block";
import { encodeEntry, Entry } from "../../src/graveler/entry";
import { Graveler } from "../../src/graveler/graveler";
import { LevelKv } from "../../src/graveler/kv/level";

const entry = (tag: string): Entry => ({ physicalAddress: `data/${tag}`, size: 1024, etag: `etag-${tag}`, lastModified: new Date(1_700_000_000_000), addressType: "relative", contentType: "application/octet-stream" });
const key = (i: number) => `tables/events/part-${String(i).padStart(8, "0")}.parquet`;

function* objects(n: number): Iterable<[Buffer, Buffer]> {
  const value = encodeEntry(entry("bulk"));
  for (let i = 0; i < n; i++) yield [Buffer.from(key(i)), value];
}

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }

async function profiled(name: string, step: () => Promise<unknown>, rounds: number): Promise<void> {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) => new Promise<{ profile: { nodes: ProfileNode[] } }>((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as { profile: { nodes: ProfileNode[] } }))));
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 200 });
  await post("Profiler.start");
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) await step();
  const wall = Number(process.hrtime.bigint() - t0) / 1e6 / rounds;
  const cpu = process.cpuUsage(c0);
  const { profile } = await post("Profiler.stop");
  fs.writeFileSync(`/tmp/graveler-${name}.cpuprofile`, JSON.stringify(profile));
  const self = new Map<string, number>();
  for (const n of profile.nodes as ProfileNode[]) {
    const k = `${n.callFrame.functionName || "(anon)"} ${path.basename(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
    self.set(k, (self.get(k) ?? 0) + (n.hitCount ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`${name}: ${wall.toFixed(1)} ms wall, ${((cpu.user + cpu.system) / 1000 / rounds).toFixed(1)} ms CPU per round (load ${os.loadavg()[0].toFixed(1)})`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${((100 * v) / total).toFixed(1)}%  ${k}`);
}

async function main(): Promise<void> {
  const which = process.argv[2] ?? "commit";
  const n = Number(process.argv[3] ?? 1_000_000);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-profile-graveler-"));
  const kv = await LevelKv.open(path.join(root, "kv"));
  const g = new Graveler({ kv, committed: { cacheDir: path.join(root, "cache"), openStore: (ns) => openObjectStore(`local://${path.join(root, "stores", ns.replace(/\W/g, "_"))}`) } });
  try {
    await g.createRepository("prof", "local://prof");
    if (which === "list") {
      const value = encodeEntry(entry("d"));
      const dirEntries: [Buffer, Buffer][] = [];
      for (let p = 0; p < 1000; p++) for (let f = 0; f < 20; f++) dirEntries.push([Buffer.from(`dirs/p${String(p).padStart(4, "0")}/f${String(f).padStart(2, "0")}`), value]);
      await g.importCommit("prof", "main", dirEntries, { message: "dirs" });
      await profiled(which, () => g.listObjects("prof", "main", { prefix: "dirs/", delimiter: "/", amount: 1000 }), 50);
      return;
    }
    await g.importCommit("prof", "main", objects(n), { message: "import" });
    if (which === "commit") {
      let round = 0;
      await profiled(which, async () => {
        const start = Math.floor(n / 2) + round * 1000;
        await g.setObjects("prof", "main", Array.from({ length: 100 }, (_, j) => ({ path: key(start + j), entry: entry(`c${round}-${j}`) })));
        round++;
        return g.commit("prof", "main", { message: "100 changes" });
      }, 5);
      return;
    }
    await g.createBranch("prof", "feature", "main");
    await g.setObjects("prof", "feature", Array.from({ length: 1000 }, (_, j) => ({ path: key(200_000 + j), entry: entry(`f${j}`) })));
    await g.commit("prof", "feature", { message: "1000 changes" });
    if (which === "diff") await profiled(which, () => g.diff("prof", "main", "feature"), 5);
    else await profiled(which, () => g.merge("prof", "feature", "main"), 1);
  } finally {
    await g.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
