// The real S3 clients the gateway tests drive, set up one way for the in-process gateway (test/gateway) and
// for `tarn gateway` before a cluster (test/gateway-cluster): the tools installed, the environment they run
// in, the aws CLI's arguments, an @aws-sdk/client-s3 client, and a runner that does not block the event loop.
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import * as path from "node:path";
import { S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { ensureAptPackage } from "./apt-package";
import { tree, writeTree } from "./client-files";
import { ensureAptTool } from "./tools";

export interface S3Endpoint {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Runs a client as a child process (the gateway under test may live in this process); fails with its stderr. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { env, maxBuffer: 64 * 1024 * 1024, timeout: 240_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(" ")} failed: ${err.message}\n${stderr.slice(-3000)}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Does this aws CLI run? (A pyenv shim on PATH may point at nothing.) */
export function awsWorks(command = "aws"): boolean {
  return spawnSync(command, ["--version"], { encoding: "utf8" }).status === 0;
}

/** boto3 importable by python3? */
export function boto3Works(): boolean {
  return spawnSync("python3", ["-c", "import boto3"], { encoding: "utf8" }).status === 0;
}

/**
 * Installs what is missing of the aws CLI, boto3, rclone and s3cmd; returns the aws command to use: the one
 * on PATH if it runs, else Debian's awscli at /usr/bin/aws (a broken shim may shadow it on PATH).
 */
export function ensureS3Clients(): { aws: string } {
  let aws = "aws";
  if (!awsWorks()) {
    ensureAptPackage("awscli", () => awsWorks("/usr/bin/aws"));
    aws = "/usr/bin/aws";
  }
  ensureAptPackage("python3-boto3", boto3Works);
  ensureAptTool("rclone", "rclone");
  ensureAptTool("s3cmd", "s3cmd");
  return { aws };
}

/**
 * aws CLI arguments against `endpoint`: the transfer commands quietly (`s3 ls` and `s3 presign` do not take
 * --only-show-errors; cp, sync and rm print progress without it).
 */
export const awsArgs = (endpoint: string, ...args: string[]) => ["--endpoint-url", endpoint, ...args, ...(["cp", "sync", "rm"].includes(args[1]) ? ["--only-show-errors"] : [])];

/** Environment for the aws CLI, boto3, s3cmd and rclone: these keys, a region, no config files or instance metadata. */
export function s3ClientEnv(keys: { accessKeyId: string; secretAccessKey: string }, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...extra,
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_REGION: "us-east-1",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

/** @aws-sdk/client-s3 against a gateway, path style, no retries (a failure shows at once); `keys` default to the endpoint's. */
export function s3ClientFor(target: S3Endpoint | { endpoint: string }, keys?: { accessKeyId: string; secretAccessKey: string }): S3Client {
  const credentials = keys ?? (target as S3Endpoint);
  return new S3Client({
    endpoint: target.endpoint, region: "us-east-1", forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
  });
}

/** Keys as `aws s3 ls --recursive` prints them (the last column of each line). */
export const listedKeys = (ls: string): string[] => ls.trim().split("\n").map((l) => l.trim().split(/\s+/).pop() ?? "");

/**
 * `aws s3 sync` of `files` up to s3://BUCKET/PREFIX and back into another directory under `dir`: the tree
 * must come back the same, and `aws s3 ls --recursive` list exactly its keys.
 */
export async function awsSyncRoundTrip(aws: string, endpoint: string, env: NodeJS.ProcessEnv, dir: string, target: string, files: Record<string, Buffer>): Promise<void> {
  const up = path.join(dir, "sync-up");
  const down = path.join(dir, "sync-down");
  writeTree(up, files);
  await run(aws, awsArgs(endpoint, "s3", "sync", up, `s3://${target}`), env);
  await run(aws, awsArgs(endpoint, "s3", "sync", `s3://${target}`, down), env);
  assert.deepEqual(tree(down), tree(up));
  const key = target.slice(target.indexOf("/") + 1);
  const ls = await run(aws, awsArgs(endpoint, "s3", "ls", `s3://${target}`, "--recursive"), env);
  assert.deepEqual(listedKeys(ls), Object.keys(files).sort().map((f) => key + f));
}

/**
 * `aws s3 presign` of an object, fetched without credentials: it must return `body`; the same URL naming
 * another key must be refused with SignatureDoesNotMatch.
 */
export async function awsPresignChecked(aws: string, endpoint: string, env: NodeJS.ProcessEnv, object: string, body: string): Promise<void> {
  const url = (await run(aws, awsArgs(endpoint, "s3", "presign", `s3://${object}`, "--expires-in", "300"), env)).trim();
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), body);
  const name = object.slice(object.lastIndexOf("/") + 1);
  const tampered = await fetch(url.replace(name, `other-${name}`));
  assert.equal(tampered.status, 403);
  assert.match(await tampered.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
}

/**
 * Python lines for boto3 (client `s3` already made): put with metadata and get it back, five small objects
 * listed in pages of two (their keys left in `keys`), a copy read back. The caller adds what follows.
 */
export function boto3BasicsScript(bucket: string): string {
  return `
s3.put_object(Bucket="${bucket}", Key="main/boto/hello.txt", Body=b"hi from boto3", ContentType="text/plain", Metadata={"who": "boto"})
o = s3.get_object(Bucket="${bucket}", Key="main/boto/hello.txt")
assert o["Body"].read() == b"hi from boto3"
assert o["Metadata"] == {"who": "boto"}, o["Metadata"]
for i in range(5):
    s3.put_object(Bucket="${bucket}", Key="main/boto/many/%d" % i, Body=b"x" * i)
keys = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket="${bucket}", Prefix="main/boto/many/", PaginationConfig={"PageSize": 2}):
    keys += [c["Key"] for c in page.get("Contents", [])]
assert keys == ["main/boto/many/%d" % i for i in range(5)], keys
s3.copy_object(Bucket="${bucket}", Key="main/boto/copy.txt", CopySource={"Bucket": "${bucket}", "Key": "main/boto/hello.txt"})
assert s3.get_object(Bucket="${bucket}", Key="main/boto/copy.txt")["Body"].read() == b"hi from boto3"
`;
}

/** The S3 error name a request ends with, or "ok"; anything that is not an S3 error fails the test. */
export const s3Outcome = (p: Promise<unknown>): Promise<string> => p.then(() => "ok", (err: unknown) => (err instanceof S3ServiceException ? err.name : Promise.reject(err)));

/** S3 clients with other users' keys against one endpoint, destroyed together when the suite ends. */
export class KeyedClients {
  private readonly clients: S3Client[] = [];

  constructor(private readonly target: () => S3Endpoint | { endpoint: string }) {}

  as(accessKeyId: string, secretAccessKey: string): S3Client {
    const c = s3ClientFor(this.target(), { accessKeyId, secretAccessKey });
    this.clients.push(c);
    return c;
  }

  destroy(): void {
    for (const c of this.clients.splice(0)) c.destroy();
  }
}
