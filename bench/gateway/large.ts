// Large objects, gateway against the store it writes to. One round is a PUT then a GET of the same
// object through one side, timed separately and checked by SHA-256. The machine is shared, so a single
// pair of rounds says little: rounds alternate sides in an ABBA order (gateway, direct, direct, gateway,
// ...) so drifting load falls on both, each pair of neighbours gives a ratio, and the figures reported
// are medians. The gateway's CPU per MB is measured around its own rounds: it does not depend on load.
import { createHash } from "node:crypto";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { drain, generated, median, request } from "./http-load";

export interface Side {
  name: string;
  client: S3Client;
  bucket: string;
  prefix: string;
}

/** CPU microseconds per MB, by process (client, gateway, store). */
export type CpuPerMB = Record<string, number>;

export interface Round {
  upMBs: number;
  downMBs: number;
  upCpu: CpuPerMB;
  downCpu: CpuPerMB;
}

/** Microseconds of CPU each named process has used so far. */
export type CpuMeters = Record<string, () => Promise<number> | number>;

async function readMeters(meters: CpuMeters): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, read] of Object.entries(meters)) out[name] = await read();
  return out;
}

async function timed(work: () => Promise<void>, meters: CpuMeters, mb: number): Promise<{ seconds: number; cpu: CpuPerMB }> {
  const c0 = await readMeters(meters);
  const t0 = process.hrtime.bigint();
  await work();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c1 = await readMeters(meters);
  const cpu: CpuPerMB = {};
  for (const name of Object.keys(meters)) cpu[name] = Math.round((c1[name] - c0[name]) / mb);
  return { seconds, cpu };
}

export async function round(side: Side, size: number, meters: CpuMeters = {}): Promise<Round> {
  const key = `${side.prefix}large-${size}`;
  const put = await getSignedUrl(side.client, new PutObjectCommand({ Bucket: side.bucket, Key: key }), { expiresIn: 3600 });
  const get = await getSignedUrl(side.client, new GetObjectCommand({ Bucket: side.bucket, Key: key }), { expiresIn: 3600 });
  const mb = size / 1e6;
  const upHash = createHash("sha256");
  const up = await timed(async () => {
    const source = generated(size);
    source.on("data", (c: Buffer) => upHash.update(c));
    const res = await request("PUT", put, source, size);
    await drain(res.sink);
    if (res.status !== 200) throw new Error(`${side.name}: PUT of ${size} bytes answered ${res.status}`);
  }, meters, mb);
  const downHash = createHash("sha256");
  const down = await timed(async () => {
    const res = await request("GET", get);
    if (res.status !== 200) throw new Error(`${side.name}: GET of ${size} bytes answered ${res.status}`);
    await pipeline(res.sink, new Writable({ write(c: Buffer, _e, cb) { downHash.update(c); cb(); } }));
  }, meters, mb);
  if (downHash.digest("hex") !== upHash.digest("hex")) throw new Error(`${side.name}: the ${size}-byte object came back different`);
  return { upMBs: mb / up.seconds, downMBs: mb / down.seconds, upCpu: up.cpu, downCpu: down.cpu };
}

export interface Comparison {
  reps: number;
  gateway: { putMBs: number; getMBs: number; putCpu: CpuPerMB; getCpu: CpuPerMB };
  direct: { putMBs: number; getMBs: number; putCpu: CpuPerMB; getCpu: CpuPerMB };
  /** Medians of the ratios of neighbouring gateway and direct rounds. */
  putRatio: number;
  getRatio: number;
  /** Every pair, for the record. */
  pairs: Array<{ gateway: Round; direct: Round }>;
}

const showCpu = (c: CpuPerMB) => Object.entries(c).map(([k, v]) => `${k} ${v}`).join(", ");

function medianCpu(rounds: CpuPerMB[]): CpuPerMB {
  const out: CpuPerMB = {};
  for (const name of Object.keys(rounds[0] ?? {})) out[name] = median(rounds.map((r) => r[name]));
  return out;
}

/**
 * `reps` rounds per side in ABBA order. `meters` are read around every round of either side (use the same
 * processes on both, e.g. client and store); `gatewayMeters` around gateway rounds only.
 */
export async function compareLarge(gateway: Side, direct: Side, size: number, reps: number, meters: CpuMeters, gatewayMeters: CpuMeters, log: (line: string) => void): Promise<Comparison> {
  const pairs: Array<{ gateway: Round; direct: Round }> = [];
  const viaGateway = () => round(gateway, size, { ...meters, ...gatewayMeters });
  const straight = () => round(direct, size, meters);
  // One unmeasured 32 MiB round each first: connections, JIT and the read buffer pool warm on both sides.
  await round(gateway, 32 * 1024 * 1024);
  await round(direct, 32 * 1024 * 1024);
  for (let i = 0; i < reps; i++) {
    const gatewayFirst = i % 2 === 0;
    const first = gatewayFirst ? await viaGateway() : await straight();
    const second = gatewayFirst ? await straight() : await viaGateway();
    const pair = gatewayFirst ? { gateway: first, direct: second } : { gateway: second, direct: first };
    pairs.push(pair);
    const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)}%`;
    log(`  round ${i + 1}/${reps}: PUT gateway ${pair.gateway.upMBs.toFixed(1)} direct ${pair.direct.upMBs.toFixed(1)} MB/s (${pct(pair.gateway.upMBs, pair.direct.upMBs)}); ` +
      `GET gateway ${pair.gateway.downMBs.toFixed(1)} direct ${pair.direct.downMBs.toFixed(1)} MB/s (${pct(pair.gateway.downMBs, pair.direct.downMBs)})`);
    log(`    CPU us/MB: PUT gateway side ${showCpu(pair.gateway.upCpu)} | direct ${showCpu(pair.direct.upCpu)}; GET gateway side ${showCpu(pair.gateway.downCpu)} | direct ${showCpu(pair.direct.downCpu)}`);
  }
  const m = (f: (p: { gateway: Round; direct: Round }) => number) => median(pairs.map(f));
  return {
    reps,
    gateway: { putMBs: m((p) => p.gateway.upMBs), getMBs: m((p) => p.gateway.downMBs), putCpu: medianCpu(pairs.map((p) => p.gateway.upCpu)), getCpu: medianCpu(pairs.map((p) => p.gateway.downCpu)) },
    direct: { putMBs: m((p) => p.direct.upMBs), getMBs: m((p) => p.direct.downMBs), putCpu: medianCpu(pairs.map((p) => p.direct.upCpu)), getCpu: medianCpu(pairs.map((p) => p.direct.downCpu)) },
    putRatio: m((p) => p.gateway.upMBs / p.direct.upMBs),
    getRatio: m((p) => p.gateway.downMBs / p.direct.downMBs),
    pairs,
  };
}
