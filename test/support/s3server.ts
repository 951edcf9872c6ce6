// A real S3-compatible server for tests and benchmarks: versitygw (built once into .tools/bin by
// tools.ts) serving a temp directory on a free loopback port. `s3Server()` starts one per process and
// reuses it; the root hook (hooks.ts) stops it with every other process at the end of the run.
import { CreateBucketCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "./ports";
import { startProcess, waitUntil } from "./processes";
import { versitygw } from "./tools";

export interface S3Server {
  /** e.g. "http://127.0.0.1:41234": use with forcePathStyle. */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** A bucket created at start, for tests that do not need their own. */
  bucket: string;
  /** Creates another bucket (tests of listing or missing buckets want their own). */
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

let shared: Promise<S3Server> | undefined;

/**
 * The process-wide server, started on first use. The very first call on a machine builds versitygw
 * (about 90 s): call it from a `before` hook with a long timeout.
 */
export function s3Server(): Promise<S3Server> {
  shared ??= startS3Server();
  return shared;
}

/** A new server of its own (most callers want `s3Server()`). */
export async function startS3Server(): Promise<S3Server> {
  const binary = versitygw();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-versitygw-"));
  const dataDir = path.join(dir, "data");
  const sidecarDir = path.join(dir, "meta"); // metadata in a sidecar dir: no need for xattr support on the disk
  fs.mkdirSync(dataDir);
  fs.mkdirSync(sidecarDir);
  const port = await freePort();
  const accessKeyId = "tarntestaccess";
  const secretAccessKey = "tarntestsecret0123456789";
  const region = "us-east-1";
  const endpoint = `http://127.0.0.1:${port}`;
  const proc = startProcess(binary, [
    "--access", accessKeyId, "--secret", secretAccessKey, "--region", region, "--port", `127.0.0.1:${port}`, "--quiet",
    "posix", "--sidecar", sidecarDir, dataDir,
  ]);
  // However the server stops (stop(), the root hook, a crash), its temp directory goes with it.
  proc.child.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  const client = new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
  try {
    await waitUntil("versitygw", async () => (await client.send(new ListBucketsCommand({}))).$metadata.httpStatusCode === 200, 30_000, proc);
    const createBucket = async (name: string) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    };
    const bucket = "tarn-test";
    await createBucket(bucket);
    return {
      endpoint,
      region,
      accessKeyId,
      secretAccessKey,
      bucket,
      createBucket,
      stop: async () => {
        client.destroy();
        await proc.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    client.destroy();
    await proc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
