// `npm run bench -- block [--size-mb N] [--adapters local,s3,azure]`: sends one large object (1 GiB by
// default) up and down through each adapter as a generated stream, checks its SHA-256 on the way back,
// and prints MB/s both ways and the transferring process's peak RSS (target: under 150 MB for 1 GiB).
// S3 is versitygw and Azure is Azurite, started here on loopback with the tests' fixtures, so the figures
// measure the adapters plus a local server on a shared 2-core machine, not a cloud. Each adapter runs in
// a child process of its own (transfer.ts), so each row's peak RSS belongs to that adapter alone.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { azurite } from "../../test/support/azurite";
import { stopAllProcesses } from "../../test/support/processes";
import { s3Server } from "../../test/support/s3server";
import type { TransferJob, TransferResult } from "./transfer";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function jobFor(adapter: string, sizeBytes: number, tmp: string): Promise<TransferJob> {
  switch (adapter) {
    case "local":
      return { adapter, uri: `local://${tmp}/local`, config: {}, sizeBytes };
    case "s3": {
      const s3 = await s3Server();
      const config = { s3: { endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } };
      return { adapter, uri: `s3://${s3.bucket}/bench`, config, sizeBytes };
    }
    case "azure": {
      const az = await azurite();
      return { adapter, uri: `azure://${az.accountName}/${az.container}/bench`, config: { azure: { accountKey: az.accountKey, endpoint: az.endpoint } }, sizeBytes };
    }
    default:
      throw new Error(`unknown adapter '${adapter}' (local, s3, azure)`);
  }
}

/** Runs transfer.js for one job, echoing its progress lines; its last line is the result. */
function runChild(job: TransferJob): Promise<TransferResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, "transfer.js"), JSON.stringify(job)], { stdio: ["ignore", "pipe", "pipe"] });
    let last = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      for (const line of text.split("\n").filter(Boolean)) {
        if (line.startsWith("{")) last = line;
        else console.log(line);
      }
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr = (stderr + text).slice(-4000)));
    child.on("exit", (code) => (code === 0 && last ? resolve(JSON.parse(last) as TransferResult) : reject(new Error(`${job.adapter} transfer exited ${code}: ${stderr}`))));
  });
}

async function main(): Promise<void> {
  const sizeBytes = Number(arg("size-mb", "1024")) * 1024 * 1024;
  const adapters = arg("adapters", "local,s3,azure").split(",");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-bench-block-"));
  const results: TransferResult[] = [];
  console.log(`bench block: ${sizeBytes / 1024 / 1024} MiB per adapter; load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  try {
    for (const adapter of adapters) results.push(await runChild(await jobFor(adapter, sizeBytes, tmp)));
  } finally {
    await stopAllProcesses();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(JSON.stringify({ bench: "block", machine: { cores: os.cpus().length, memory: os.totalmem() }, results }));
  if (results.some((r) => !r.sha256_ok || r.peak_rss_mb >= 150)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
