// A/B of two gateway builds on large objects: this checkout's gateway (A) beside another checkout's (B), both
// in front of one metadata service and one versitygw, in alternating rounds (large.ts's ABBA order), so a
// change to the gateway's byte path is judged under the same load on both sides. The machine is shared: a
// plain before/after pair of bench runs minutes apart says little.
//
//   node dist/bench/gateway/ab.js OTHER_CHECKOUT [--reps 5] [--size-mb 256] [--a-env K=V,K=V]
//
// --a-env adds environment variables to gateway A only (e.g. allocator settings; OTHER_CHECKOUT may then be
// this one).
// OTHER_CHECKOUT is a built checkout (e.g. `git worktree add ../wt-old HEAD~1 && cd ../wt-old && npx tsc -p .`);
// its dist/bench/gateway/serve.js runs gateway B.
import { spawn, type ChildProcessByStdio } from "node:child_process";
import * as path from "node:path";
import type { Readable, Writable } from "node:stream";
import { S3Client } from "@aws-sdk/client-s3";
import { s3Server } from "../../test/support/s3server";
import { agent } from "./http-load";
import { compareLarge, type Side } from "./large";
import { childPid, ownCpuUs, processCpuUs } from "./proc-cpu";

type Child = ChildProcessByStdio<Writable, Readable, null>;

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

/** Starts `serve.js ROLE ARGS` and resolves with its first stdout line (its JSON address). */
function serve(script: string, args: string[], env: Record<string, string> = {}): Promise<{ child: Child; first: string }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    let buf = "";
    const onData = (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      child.stdout.off("data", onData);
      child.stdout.resume(); // later lines (rss) are not needed here
      resolve({ child, first: buf.slice(0, nl) });
    };
    child.stdout.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${script} ${args[0]} exited with ${code} before it was ready`)));
  });
}

async function main(): Promise<void> {
  const other = process.argv[2];
  if (!other || other.startsWith("--")) throw new Error("usage: ab.js OTHER_CHECKOUT [--reps N] [--size-mb N]");
  const reps = Number(option("reps", "5"));
  const size = Number(option("size-mb", "256")) * 1024 * 1024;
  process.env.VGW_KEEP_ALIVE ??= "true";
  const store = await s3Server();
  const ours = path.join(__dirname, "serve.js");
  const theirs = path.resolve(other, "dist/bench/gateway/serve.js");
  const meta = await serve(ours, ["metadata", JSON.stringify(store)]);
  const service = JSON.parse(meta.first) as { address: string; accessKeyId: string; secretAccessKey: string };
  const keys = JSON.stringify({ accessKeyId: service.accessKeyId, secretAccessKey: service.secretAccessKey });
  const aEnv = Object.fromEntries(option("a-env", "").split(",").filter((kv) => kv.includes("=")).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  const a = await serve(ours, ["gateway", service.address, keys], aEnv);
  const b = await serve(theirs, ["gateway", service.address, keys]);
  const side = (name: string, first: string): Side => ({
    name, bucket: "bench", prefix: `main/ab-${name}/`,
    client: new S3Client({
      endpoint: (JSON.parse(first) as { endpoint: string }).endpoint, region: "us-east-1", forcePathStyle: true,
      credentials: { accessKeyId: service.accessKeyId, secretAccessKey: service.secretAccessKey },
      requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED",
    }),
  });
  const storePid = childPid("versitygw");
  const meters = { client: ownCpuUs, ...(storePid ? { store: () => processCpuUs(storePid) } : {}) };
  const gateways = { gateway: () => processCpuUs(a.child.pid!) };
  try {
    // compareLarge's "gateway" side is A (this checkout) and its "direct" side B; CPU of B is metered as "other".
    const r = await compareLarge(side("A", a.first), side("B", b.first), size, reps, { ...meters, other: () => processCpuUs(b.child.pid!) }, gateways, (line) => console.log(line));
    const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
    console.log(`A (this checkout) vs B (${other}): PUT ${r.gateway.putMBs.toFixed(1)} vs ${r.direct.putMBs.toFixed(1)} MB/s (A/B ${pct(r.putRatio)}), GET ${r.gateway.getMBs.toFixed(1)} vs ${r.direct.getMBs.toFixed(1)} MB/s (A/B ${pct(r.getRatio)}); ` +
      `gateway CPU us/MB PUT A ${r.gateway.putCpu.gateway} B ${r.direct.putCpu.other}, GET A ${r.gateway.getCpu.gateway} B ${r.direct.getCpu.other}`);
  } finally {
    for (const p of [a.child, b.child, meta.child]) {
      p.stdin.end();
      await new Promise((r) => p.once("exit", r));
    }
    agent.destroy();
    await store.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
