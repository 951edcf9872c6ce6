// bench/gateway: the S3 gateway beside the object store it writes to (versitygw), in one run.
//   - GET and PUT requests per second for 4 KiB objects at 64 concurrent clients
//   - MB/s for 256 MiB objects, up and down
//   - the gateway process's peak RSS (the gateway, the metadata service and this load generator are three processes)
//   --big: also a 5 GiB upload and download through the gateway, with its peak RSS (target < 200 MB)
// Both sides get the same load generator: presigned URLs (so SigV4 is verified on every gateway request)
// over keep-alive connections; bytes are checked by SHA-256 for the large objects.
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { s3Server } from "../../test/support/s3server";

const SMALL = 4096;
const CONCURRENCY = 64;
const SMALL_OBJECTS = 256;
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 5) * 1000;
const LARGE = 256 * 1024 * 1024;
const BIG = 5 * 1024 * 1024 * 1024;

interface Side {
  name: string;
  client: S3Client;
  bucket: string;
  prefix: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function request(method: string, url: string, body?: Buffer | Readable, length?: number): Promise<{ status: number; sink: Readable }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: length !== undefined ? { "content-length": length } : {} }, (res) => resolve({ status: res.statusCode ?? 0, sink: res }));
    req.on("error", reject);
    if (body instanceof Readable) body.pipe(req);
    else req.end(body);
  });
}

async function drain(r: Readable): Promise<void> {
  for await (const _ of r);
}

async function rate(urls: string[], method: "GET" | "PUT", body?: Buffer): Promise<number> {
  let done = 0;
  let failed = 0;
  let firstFailure = "";
  const end = Date.now() + DURATION_MS;
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
  return done / ((Date.now() - t0) / 1000);
}

function generated(size: number): Readable {
  const block = randomBytes(1024 * 1024);
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(left, block.length);
      left -= n;
      this.push(n === block.length ? block : block.subarray(0, n));
    },
  });
}

async function large(side: Side, size: number): Promise<{ upMBs: number; downMBs: number }> {
  const key = `${side.prefix}large-${size}`;
  const put = await getSignedUrl(side.client, new PutObjectCommand({ Bucket: side.bucket, Key: key }), { expiresIn: 3600 });
  const get = await getSignedUrl(side.client, new GetObjectCommand({ Bucket: side.bucket, Key: key }), { expiresIn: 3600 });
  const upHash = createHash("sha256");
  const source = generated(size);
  source.on("data", (c: Buffer) => upHash.update(c));
  let t0 = Date.now();
  const up = await request("PUT", put, source, size);
  await drain(up.sink);
  if (up.status !== 200) throw new Error(`${side.name}: PUT of ${size} bytes answered ${up.status}`);
  const upMBs = size / 1e6 / ((Date.now() - t0) / 1000);
  t0 = Date.now();
  const down = await request("GET", get);
  const downHash = createHash("sha256");
  await pipeline(down.sink, new Writable({ write(c: Buffer, _e, cb) { downHash.update(c); cb(); } }));
  const downMBs = size / 1e6 / ((Date.now() - t0) / 1000);
  if (downHash.digest("hex") !== upHash.digest("hex")) throw new Error(`${side.name}: the ${size}-byte object came back different`);
  return { upMBs, downMBs };
}

async function small(side: Side): Promise<{ getPerSec: number; putPerSec: number }> {
  const body = randomBytes(SMALL);
  const keys = Array.from({ length: SMALL_OBJECTS }, (_v, i) => `${side.prefix}small/${i}`);
  const puts = await Promise.all(keys.map((Key) => getSignedUrl(side.client, new PutObjectCommand({ Bucket: side.bucket, Key }), { expiresIn: 3600 })));
  const gets = await Promise.all(keys.map((Key) => getSignedUrl(side.client, new GetObjectCommand({ Bucket: side.bucket, Key }), { expiresIn: 3600 })));
  // Every key exists before the timed runs, whatever rate the PUTs reach.
  for (let i = 0; i < puts.length; i += CONCURRENCY) {
    await Promise.all(puts.slice(i, i + CONCURRENCY).map(async (url) => drain((await request("PUT", url, body, body.length)).sink)));
  }
  const putPerSec = await rate(puts, "PUT", body);
  const getPerSec = await rate(gets, "GET");
  return { getPerSec, putPerSec };
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
  const store = await s3Server();
  const serve = path.join(__dirname, `serve${path.extname(__filename)}`);
  const meta = spawn(process.execPath, [...process.execArgv, serve, "metadata", JSON.stringify(store)], { stdio: ["pipe", "pipe", "inherit"] });
  const service = JSON.parse(await firstLine(meta)) as { address: string; accessKeyId: string; secretAccessKey: string };
  const keys = { accessKeyId: service.accessKeyId, secretAccessKey: service.secretAccessKey };
  const child = spawn(process.execPath, [...process.execArgv, serve, "gateway", service.address, JSON.stringify(keys)], { stdio: ["pipe", "pipe", "inherit"] });
  let peak = 0;
  const resetPeak = () => (peak = 0);
  const info = { ...keys, ...(JSON.parse(await firstLine(child, (line) => {
    if (line.startsWith("rss ")) peak = Math.max(peak, Number(line.slice(4)));
  })) as { endpoint: string }) };
  const direct: Side = {
    name: "direct", bucket: store.bucket, prefix: "direct-bench/",
    client: new S3Client({ endpoint: store.endpoint, region: store.region, forcePathStyle: true, credentials: { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey } }),
  };
  const gateway: Side = {
    name: "gateway", bucket: "bench", prefix: "main/",
    client: new S3Client({ endpoint: info.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey } }),
  };
  const results: object[] = [];
  try {
    console.log(`load: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
    const sg = await small(gateway);
    const sd = await small(direct);
    console.log(`4 KiB x${CONCURRENCY}: GET gateway ${sg.getPerSec.toFixed(0)}/s direct ${sd.getPerSec.toFixed(0)}/s; PUT gateway ${sg.putPerSec.toFixed(0)}/s direct ${sd.putPerSec.toFixed(0)}/s`);
    results.push({ case: "small-4KiB-64-clients", gateway_get_per_s: Math.round(sg.getPerSec), direct_get_per_s: Math.round(sd.getPerSec), gateway_put_per_s: Math.round(sg.putPerSec), direct_put_per_s: Math.round(sd.putPerSec), gateway_peak_rss_bytes: peak });
    resetPeak();
    const lg = await large(gateway, LARGE);
    const ld = await large(direct, LARGE);
    console.log(`256 MiB: PUT gateway ${lg.upMBs.toFixed(1)} MB/s direct ${ld.upMBs.toFixed(1)} MB/s (${((100 * lg.upMBs) / ld.upMBs).toFixed(0)}%); GET gateway ${lg.downMBs.toFixed(1)} MB/s direct ${ld.downMBs.toFixed(1)} MB/s (${((100 * lg.downMBs) / ld.downMBs).toFixed(0)}%); gateway peak RSS ${(peak / 1e6).toFixed(0)} MB`);
    results.push({ case: "large-256MiB", gateway_put_mb_s: +lg.upMBs.toFixed(1), direct_put_mb_s: +ld.upMBs.toFixed(1), gateway_get_mb_s: +lg.downMBs.toFixed(1), direct_get_mb_s: +ld.downMBs.toFixed(1), put_ratio: +(lg.upMBs / ld.upMBs).toFixed(3), get_ratio: +(lg.downMBs / ld.downMBs).toFixed(3), gateway_peak_rss_bytes: peak });
    if (big) {
      resetPeak();
      const b = await large(gateway, BIG);
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
