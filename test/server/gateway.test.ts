// The S3 gateway as the server processes mount it: on `tarn run`'s HTTP port, and as a separate
// `tarn gateway` process in front of the metadata service.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { freePort } from "../support/ports";
import { startProcess, StartedProcess, waitUntil } from "../support/processes";
import { ADMIN, adminClient, CLUSTER_SECRET, cleanEnv, TARN, tarnOk, tempDir } from "./support";

describe("the S3 gateway in tarn run and tarn gateway", function () {
  this.timeout(120_000);
  let root: string;
  const procs: StartedProcess[] = [];
  let env: NodeJS.ProcessEnv;
  let runHttp: number;
  let grpc: number;

  const s3 = (port: number, secretAccessKey = ADMIN.secretAccessKey) =>
    new S3Client({ endpoint: `http://127.0.0.1:${port}`, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: ADMIN.accessKeyId, secretAccessKey }, maxAttempts: 1 });

  before(async () => {
    root = tempDir("gateway");
    runHttp = await freePort();
    grpc = await freePort();
    env = cleanEnv({ TARN_CLUSTER_SECRET: CLUSTER_SECRET, TARN_ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId, TARN_ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey });
    const run = startProcess(process.execPath, [TARN, "run", "--data-dir", path.join(root, "data"), "--listen", `127.0.0.1:${runHttp}`, "--grpc-listen", `127.0.0.1:${grpc}`], { env });
    procs.push(run);
    await waitUntil("tarn run", async () => run.output().includes("Tarn is running."), 60_000, run);
    env = { ...env, TARN_ENDPOINT: `127.0.0.1:${grpc}`, TARN_ACCESS_KEY_ID: ADMIN.accessKeyId, TARN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey };
    await tarnOk(["repo", "create", "tarn://gw-repo"], env);
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it("serves S3 on tarn run's HTTP port: a PUT to a branch is read back by the CLI", async () => {
    const client = s3(runHttp);
    await client.send(new PutObjectCommand({ Bucket: "gw-repo", Key: "main/hello.txt", Body: "hi from S3" }));
    assert.equal(await tarnOk(["fs", "cat", "tarn://gw-repo/main/hello.txt"], env), "hi from S3");
    await assert.rejects(s3(runHttp, "wrong-secret-0123456789").send(new GetObjectCommand({ Bucket: "gw-repo", Key: "main/hello.txt" })), /signature/i);
    client.destroy();
  });

  it("hands out presigned URLs for its local repositories, answered on the HTTP port", async () => {
    const client = adminClient([`127.0.0.1:${grpc}`]);
    try {
      const prepared = await client.prepareUpload({ repository: "gw-repo", branch: "main", path: "p.txt", presign: true });
      assert.match(prepared.presignedUrl, new RegExp(`^http://127\\.0\\.0\\.1:${runHttp}/_tarn/local/gw-repo/data/`));
      await client.upload("gw-repo", "main", "presigned.txt", Buffer.from("bytes over HTTP"), { presign: true });
      assert.equal((await client.downloadBuffer("gw-repo", "main", "presigned.txt", { presign: true })).toString(), "bytes over HTTP");
      const got = await client.getObject({ repository: "gw-repo", ref: "main", path: "presigned.txt", presign: true });
      const tampered = got.presignedUrl.replace(/X-Tarn-Signature=[0-9a-f]{4}/, "X-Tarn-Signature=0000");
      assert.equal((await fetch(tampered)).status, 403);
    } finally {
      client.close();
    }
  });

  it("runs tarn gateway as its own process in front of the metadata service", async () => {
    const port = await freePort();
    const gw = startProcess(process.execPath, [TARN, "gateway", "--listen", `127.0.0.1:${port}`, "--metadata", `127.0.0.1:${grpc}`], { env });
    procs.push(gw);
    await waitUntil("tarn gateway", async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200, 30_000, gw);
    const client = s3(port);
    const got = await client.send(new GetObjectCommand({ Bucket: "gw-repo", Key: "main/hello.txt" }));
    assert.equal(await got.Body!.transformToString(), "hi from S3");
    client.destroy();
    assert.match(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), /process_cpu_user_seconds_total/);
  });
});
