// bench/gateway: the S3 gateway beside the object store it writes to (versitygw), in one run.
//   - GET and PUT requests per second for 4 KiB objects at 64 concurrent clients
//   - MB/s for 256 MiB objects, up and down: medians of rounds alternating gateway and direct (large.ts)
//   - the same small GETs and PUTs through the gateway to a repository on a local:// store (read straight from disk)
//   - CPU microseconds per small request spent in the gateway and the metadata service processes
//   - the gateway process's peak RSS (the gateway, the metadata service and this load generator are three processes)
// The gateway runs with the Node flags of the image (SERVER_NODE_FLAGS); BENCH_GATEWAY_NODE_FLAGS="--flag ..."
// replaces them ("" for none).
// BENCH_PROFILE_DIR=DIR runs both server processes with --cpu-prof into DIR; --small skips the large objects,
//   --large the small ones; BENCH_SECONDS (5) per small case, BENCH_SMALL_OPS (put,get) which small cases,
//   BENCH_LARGE_REPS (7) rounds per side for 256 MiB.
//   --big: also a 5 GiB upload and download through the gateway, with its peak RSS (target < 200 MB)
// Both sides get the same load generator: presigned URLs (so SigV4 is verified on every gateway request)
// over keep-alive connections; bytes are checked by SHA-256 for the large objects.
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as os from "node:os";
import * as path from "node:path";
import type { Readable, Writable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { s3Server } from "../../test/support/s3server";
import { agent, CONCURRENCY, drain, request } from "./http-load";
import { compareLarge, round, type Side } from "./large";
import { childPid, ownCpuUs, processCpuUs } from "./proc-cpu";

const SMALL = 4096;
const SMALL_OBJECTS = 256;
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 5) * 1000;
const WARM_UP_MS = 1000;
/** Which small cases run (BENCH_SMALL_OPS=put profiles PUTs alone). */
const SMALL_OPS = (process.env.BENCH_SMALL_OPS ?? "put,get").split(",");
const LARGE = 256 * 1024 * 1024;
const LARGE_REPS = Number(process.env.BENCH_LARGE_REPS ?? 7);
const BIG = 5 * 1024 * 1024 * 1024;
/** The Node flags the servers run with in the image (Dockerfile ENTRYPOINT) and `npm start`: see there. */
const SERVER_NODE_FLAGS = "--min-semi-space-size=8 --initial-old-space-size=64";

async function rate(urls: string[], method: "GET" | "PUT", body?: Buffer, durationMs = DURATION_MS): Promise<{ perSec: number; requests: number }> {
  let done = 0;
  let failed = 0;
  let firstFailure = "";
  const end = Date.now() + durationMs;
  let next = 0;
  const worker = async () => {
    while (Date.now() < end) {
      const url = urls[next++ % urls.length];
      const res = await request(method, url, body, body?.length);
      if (res.status === 200) {
        await drain(res.sink);
        done++;
      } else {
        const chunks: Buffer[] = [];
        for await (const c of res.sink) chunks.push(c as Buffer);
        if (failed++ === 0) firstFailure = `${res.status} ${Buffer.concat(chunks).toString().slice(0, 400)}`;
      }
    }
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (failed > 0) throw new Error(`${failed} of ${done + failed} ${method} requests failed, the first with ${firstFailure}`);
  return { perSec: done / ((Date.now() - t0) / 1000), requests: done };
}

type CpuPer = { gateway: number; metadata: number };
type CpuNow = () => Promise<CpuPer>;

/** A rate run, with the server processes' CPU microseconds per request when `cpuNow` is given. */
async function measured(run: () => Promise<{ perSec: number; requests: number }>, cpuNow?: CpuNow): Promise<{ perSec: number; cpu?: CpuPer }> {
  const before = await cpuNow?.();
  const r = await run();
  const after = await cpuNow?.();
  const per = (a: number, b: number) => Math.round((a - b) / Math.max(1, r.requests));
  return { perSec: r.perSec, cpu: before && after ? { gateway: per(after.gateway, before.gateway), metadata: per(after.metadata, before.metadata) } : undefined };
}

async function small(side: Side, cpuNow?: CpuNow): Promise<{ getPerSec: number; putPerSec: number; getCpu?: CpuPer; putCpu?: CpuPer }> {
  const body = randomBytes(SMALL);
  const keys = Array.from({ length: SMALL_OBJECTS }, (_v, i) => `${side.prefix}small/${i}`);
  const puts = await Promise.all(keys.map((Key) => getSignedUrl(side.client, new PutObjectCommand({ Bucket: side.bucket, Key }), { expiresIn: 3600 })));
  const gets = await Promise.all(keys.map((Key) => getSignedUrl(side.client, new GetObjectCommand({ Bucket: side.bucket, Key }), { expiresIn: 3600 })));
  // Every key exists before the timed runs, whatever rate the PUTs reach.
  for (let i = 0; i < puts.length; i += CONCURRENCY) {
    await Promise.all(puts.slice(i, i + CONCURRENCY).map(async (url) => drain((await request("PUT", url, body, body.length)).sink)));
  }
  // A second of each first, unmeasured: the first case must not pay for the processes' JIT warm-up.
  if (SMALL_OPS.includes("put")) await rate(puts, "PUT", body, WARM_UP_MS);
  if (SMALL_OPS.includes("get")) await rate(gets, "GET", undefined, WARM_UP_MS);
  const skip = async () => ({ perSec: 0, requests: 0 });
  const put = await measured(SMALL_OPS.includes("put") ? () => rate(puts, "PUT", body) : skip, cpuNow);
  const get = await measured(SMALL_OPS.includes("get") ? () => rate(gets, "GET") : skip, cpuNow);
  return { getPerSec: get.perSec, putPerSec: put.perSec, getCpu: get.cpu, putCpu: put.cpu };
}

/** The 4 KiB cases: gateway and direct on the S3 store, then the gateway on a local:// store. */
async function smallCases(gateway: Side, direct: Side, gatewayLocal: Side, cpuNow: CpuNow, peak: () => number): Promise<object[]> {
  const out: object[] = [];
  const sg = await small(gateway, cpuNow);
  const sd = await small(direct);
  console.log(`4 KiB x${CONCURRENCY}: GET gateway ${sg.getPerSec.toFixed(0)}/s direct ${sd.getPerSec.toFixed(0)}/s; PUT gateway ${sg.putPerSec.toFixed(0)}/s direct ${sd.putPerSec.toFixed(0)}/s`);
  console.log(`  CPU per gateway GET: gateway ${sg.getCpu?.gateway} us, metadata ${sg.getCpu?.metadata} us; per PUT: gateway ${sg.putCpu?.gateway} us, metadata ${sg.putCpu?.metadata} us`);
  out.push({
    case: "small-4KiB-64-clients", gateway_get_per_s: Math.round(sg.getPerSec), direct_get_per_s: Math.round(sd.getPerSec), gateway_put_per_s: Math.round(sg.putPerSec), direct_put_per_s: Math.round(sd.putPerSec),
    gateway_get_cpu_us: sg.getCpu, gateway_put_cpu_us: sg.putCpu, gateway_peak_rss_bytes: peak(),
  });
  const sl = await small(gatewayLocal, cpuNow);
  console.log(`4 KiB x${CONCURRENCY}, local:// store: GET gateway ${sl.getPerSec.toFixed(0)}/s, PUT gateway ${sl.putPerSec.toFixed(0)}/s`);
  console.log(`  CPU per GET: gateway ${sl.getCpu?.gateway} us, metadata ${sl.getCpu?.metadata} us; per PUT: gateway ${sl.putCpu?.gateway} us, metadata ${sl.putCpu?.metadata} us`);
  out.push({
    case: "small-4KiB-64-clients-local-store", gateway_get_per_s: Math.round(sl.getPerSec), gateway_put_per_s: Math.round(sl.putPerSec),
    gateway_get_cpu_us: sl.getCpu, gateway_put_cpu_us: sl.putCpu, load: os.loadavg()[0],
  });
  return out;
}

/** The first line a child prints (its JSON address); later lines go to `rest`. */
function firstLine(child: ChildProcessByStdio<Writable, Readable, null>, rest: (line: string) => void = () => undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = "";
    let first = true;
    child.stdout.on("data", (c: Buffer) => {
      buf += c.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (first) {
          first = false;
          resolve(line);
        } else rest(line);
      }
    });
    child.once("exit", (code) => reject(new Error(`bench process exited with ${code} before it was ready`)));
  });
}

async function main(): Promise<void> {
  const big = process.argv.includes("--big");
  // versitygw closes every connection after one response unless told otherwise; S3 keeps them open, and a
  // new TCP connection per 4 KiB request would be most of what both sides measure.
  process.env.VGW_KEEP_ALIVE ??= "true";
  const store = await s3Server();
  const serve = path.join(__dirname, `serve${path.extname(__filename)}`);
  const prof = process.env.BENCH_PROFILE_DIR ? ["--cpu-prof", "--cpu-prof-dir", process.env.BENCH_PROFILE_DIR] : [];
  const meta = spawn(process.execPath, [...process.execArgv, ...prof, serve, "metadata", JSON.stringify(store)], { stdio: ["pipe", "pipe", "inherit"] });
  const service = JSON.parse(await firstLine(meta)) as { address: string; accessKeyId: string; secretAccessKey: string };
  const keys = { accessKeyId: service.accessKeyId, secretAccessKey: service.secretAccessKey };
  const gatewayFlags = (process.env.BENCH_GATEWAY_NODE_FLAGS ?? SERVER_NODE_FLAGS).split(" ").filter((f) => f !== "");
  const child = spawn(process.execPath, [...process.execArgv, ...gatewayFlags, ...prof, serve, "gateway", service.address, JSON.stringify(keys)], { stdio: ["pipe", "pipe", "inherit"] });
  const cpu = { gateway: 0, metadata: 0 };
  const cpuWaiters: Array<() => void> = [];
  const onCpu = (who: "gateway" | "metadata") => (line: string) => {
    if (!line.startsWith("cpu ")) return;
    cpu[who] = Number(line.slice(4));
    cpuWaiters.shift()?.();
  };
  const metaLines = onCpu("metadata");
  meta.stdout.on("data", (c: Buffer) => c.toString().split("\n").forEach(metaLines));
  let peak = 0;
  const resetPeak = () => (peak = 0);
  const gatewayCpu = onCpu("gateway");
  const info = { ...keys, ...(JSON.parse(await firstLine(child, (line) => {
    if (line.startsWith("rss ")) peak = Math.max(peak, Number(line.slice(4)));
    else if (line.startsWith("[")) process.stderr.write(`gateway: ${line}\n`);
    else gatewayCpu(line);
  })) as { endpoint: string }) };
  /** CPU microseconds both server processes have used so far. */
  const cpuNow = async () => {
    const answered = new Promise<void>((resolve) => {
      let left = 2;
      const one = () => (--left === 0 ? resolve() : cpuWaiters.push(one));
      cpuWaiters.push(one);
    });
    child.stdin.write("cpu\n");
    meta.stdin.write("cpu\n");
    await answered;
    return { ...cpu };
  };
  // The same client settings on both sides, and the ones the store adapter presigns with: newer SDKs would
  // otherwise add x-amz-checksum-crc32 / x-amz-checksum-mode to the URLs, which the store then honours on the
  // direct side only (the gateway's own store requests carry no checksum parameters).
  const sameChecksums = { requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" } as const;
  const direct: Side = {
    name: "direct", bucket: store.bucket, prefix: "direct-bench/",
    client: new S3Client({ ...sameChecksums, endpoint: store.endpoint, region: store.region, forcePathStyle: true, credentials: { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey } }),
  };
  const gateway: Side = {
    name: "gateway", bucket: "bench", prefix: "main/",
    client: new S3Client({ ...sameChecksums, endpoint: info.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey } }),
  };
  const gatewayLocal: Side = { ...gateway, name: "gateway-local", bucket: "bench-local" };
  const results: object[] = [];
  try {
    console.log(`load: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
    if (!process.argv.includes("--large")) results.push(...(await smallCases(gateway, direct, gatewayLocal, cpuNow, () => peak)));
    if (process.argv.includes("--small")) return;
    resetPeak();
    console.log(`256 MiB, ${LARGE_REPS} rounds each side, alternating (load ${os.loadavg()[0].toFixed(2)}):`);
    const storePid = childPid("versitygw");
    const meters = { client: ownCpuUs, ...(storePid ? { store: () => processCpuUs(storePid) } : {}) };
    const lc = await compareLarge(gateway, direct, LARGE, LARGE_REPS, meters, { gateway: async () => (await cpuNow()).gateway }, (line) => console.log(line));
    const pct = (r: number) => `${(100 * r).toFixed(0)}%`;
    console.log(`256 MiB medians: PUT gateway ${lc.gateway.putMBs.toFixed(1)} MB/s direct ${lc.direct.putMBs.toFixed(1)} MB/s (${pct(lc.putRatio)}); GET gateway ${lc.gateway.getMBs.toFixed(1)} MB/s direct ${lc.direct.getMBs.toFixed(1)} MB/s (${pct(lc.getRatio)}); ` +
      `gateway CPU ${lc.gateway.putCpu.gateway} us/MB up, ${lc.gateway.getCpu.gateway} us/MB down; gateway peak RSS ${(peak / 1e6).toFixed(0)} MB; load ${os.loadavg()[0].toFixed(2)}`);
    results.push({
      case: "large-256MiB", rounds: lc.reps, gateway_put_mb_s: +lc.gateway.putMBs.toFixed(1), direct_put_mb_s: +lc.direct.putMBs.toFixed(1), gateway_get_mb_s: +lc.gateway.getMBs.toFixed(1), direct_get_mb_s: +lc.direct.getMBs.toFixed(1),
      put_ratio: +lc.putRatio.toFixed(3), get_ratio: +lc.getRatio.toFixed(3), cpu_us_per_mb: { gateway_put: lc.gateway.putCpu, direct_put: lc.direct.putCpu, gateway_get: lc.gateway.getCpu, direct_get: lc.direct.getCpu },
      gateway_peak_rss_bytes: peak, load: os.loadavg()[0],
    });
    if (big) {
      resetPeak();
      const b = await round(gateway, BIG);
      console.log(`5 GiB through the gateway: PUT ${b.upMBs.toFixed(1)} MB/s, GET ${b.downMBs.toFixed(1)} MB/s, gateway peak RSS ${(peak / 1e6).toFixed(0)} MB`);
      results.push({ case: "big-5GiB-gateway", put_mb_s: +b.upMBs.toFixed(1), get_mb_s: +b.downMBs.toFixed(1), gateway_peak_rss_bytes: peak });
    }
  } finally {
    for (const p of [child, meta]) {
      p.stdin.end();
      await new Promise((r) => p.once("exit", r));
    }
    direct.client.destroy();
    gateway.client.destroy();
    agent.destroy();
    await store.stop();
  }
  console.log(JSON.stringify({ bench: "gateway", machine: { cores: os.cpus().length, memory: os.totalmem() }, results }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
