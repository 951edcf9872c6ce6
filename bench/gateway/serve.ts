// The processes under measurement, one role each so the gateway's memory is its own:
//   serve.ts metadata S3JSON       a metadata service (temp classic-level KV) with repository "bench" on the
//                                  S3-compatible server described by S3JSON and "bench-local" on a local://
//                                  directory; prints {address, accessKeyId, secretAccessKey}
//   serve.ts gateway ADDRESS KEYS  the S3 gateway in front of it (KEYS: JSON access key id and secret, the
//                                  only credential it resolves); prints {endpoint}, then "rss BYTES" every 100 ms
// BENCH_TRACE_GC=1: the gateway also prints its garbage collections (count and milliseconds by kind) and heap
// to stderr every 2 s, with its ArrayBuffer and external memory and its young generation's size, to tell
// collector work from I/O when its CPU per MB moves. BENCH_TRACE_GC=v8 also turns on V8's own --trace-gc and
// --trace-incremental-marking once the gateway listens (each collection and why it started; main.ts relays them).
// Each prints "cpu MICROSECONDS" (user+system CPU used so far) when it gets a line "cpu" on stdin.
// Both stop when their stdin closes.
import * as fs from "node:fs";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as v8 from "node:v8";
import { constants, PerformanceObserver } from "node:perf_hooks";
import { TarnClient } from "../../src/client";
import { credentialResolver, createGatewayServer } from "../../src/gateway";
import { openLocalService, silentLogger } from "../../src/metadata";

async function metadata(s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; bucket: string }): Promise<() => Promise<void>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-bench-gw-"));
  const svc = await openLocalService({
    dataDir: dir, clusterSecret: "bench gateway cluster secret, long enough", logger: silentLogger,
    storeConfig: { s3: { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } },
    presignExpirySeconds: 3600,
  });
  const port = await svc.server.listen("127.0.0.1:0");
  const admin = svc.admin!;
  const client = new TarnClient({ endpoints: [`127.0.0.1:${port}`], ...admin });
  await client.createRepository({ name: "bench", storageNamespace: `s3://${s3.bucket}/tarn-bench` });
  await client.createRepository({ name: "bench-local", storageNamespace: `local://${path.join(dir, "local-store")}` });
  client.close();
  process.stdout.write(JSON.stringify({ address: `127.0.0.1:${port}`, accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey }) + "\n");
  return async () => {
    await svc.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
}

async function gateway(address: string, keys: { accessKeyId: string; secretAccessKey: string }): Promise<() => Promise<void>> {
  const client = new TarnClient({ endpoints: [address], ...keys });
  const credentials = credentialResolver((id) => (id === keys.accessKeyId ? { secretAccessKey: keys.secretAccessKey, userId: "admin" } : undefined));
  const byteCacheMb = process.env.BENCH_GATEWAY_BYTE_CACHE_MB;
  const server = createGatewayServer({
    client, credentials, readCacheMs: Number(process.env.BENCH_GATEWAY_READ_CACHE_MS ?? 0),
    byteCacheBytes: byteCacheMb === undefined ? undefined : Number(byteCacheMb) * 1024 * 1024,
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  process.stdout.write(JSON.stringify({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }) + "\n");
  setInterval(() => process.stdout.write(`rss ${process.memoryUsage.rss()}\n`), 100).unref();
  if (process.env.BENCH_TRACE_GC === "v8") for (const f of ["--trace-gc", "--trace-incremental-marking"]) v8.setFlagsFromString(f);
  if (process.env.BENCH_TRACE_GC) {
    const kinds: Record<number, string> = { [constants.NODE_PERFORMANCE_GC_MAJOR]: "major", [constants.NODE_PERFORMANCE_GC_MINOR]: "minor", [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental", [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb" };
    const sums: Record<string, { n: number; ms: number }> = {};
    new PerformanceObserver((list) => { for (const e of list.getEntries()) { const kind = ((e as unknown as { detail?: { kind?: number } }).detail)?.kind ?? -1; const k = kinds[kind] ?? String(kind); (sums[k] ??= { n: 0, ms: 0 }).n++; sums[k].ms += e.duration; } }).observe({ entryTypes: ["gc"] });
    setInterval(() => {
      const m = process.memoryUsage();
      const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
      process.stderr.write(`gc ${JSON.stringify(sums)} heap ${(m.heapUsed / 1e6).toFixed(0)} MB arrayBuffers ${(m.arrayBuffers / 1e6).toFixed(0)} MB external ${(m.external / 1e6).toFixed(0)} MB new space ${((young?.space_size ?? 0) / 1e6).toFixed(0)} MB\n`);
    }, 2000).unref();
  }
  return async () => {
    server.closeAllConnections();
    server.close();
    client.close();
  };
}

async function main(): Promise<void> {
  const [role, ...args] = process.argv.slice(2);
  const stop = role === "metadata" ? await metadata(JSON.parse(args[0])) : await gateway(args[0], JSON.parse(args[1]));
  process.stdin.on("data", (line: Buffer) => {
    if (line.toString().includes("cpu")) {
      const u = process.cpuUsage();
      process.stdout.write(`cpu ${u.user + u.system}\n`);
    }
  });
  process.stdin.on("end", () => void stop().then(() => process.exit(0)));
  process.stdin.resume();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
