// The real command-line clients against the gateway: the aws CLI (cp both ways, a multipart upload of
// 100 MB, sync, ls, rm, presign then fetch), boto3, rclone (copy, sync, check) and s3cmd (SigV4 and SigV2).
// Every byte that goes in comes back the same (SHA-256 of each file).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sha256, tree, writeTree } from "../support/client-files";
import { awsArgs as awsArgsFor, awsPresignChecked, awsSyncRoundTrip, boto3BasicsScript, ensureS3Clients, run } from "../support/s3-clients";
import { startGateway, type StoreKind, type TestGateway } from "./support";

for (const store of ["local", "s3"] as StoreKind[]) describe(`gateway: aws CLI, boto3, rclone, s3cmd (${store} store)`, function () {
  let g: TestGateway;
  let dir: string;
  let aws: string;
  before(async () => {
    ({ aws } = ensureS3Clients());
    g = await startGateway(["tools"], { store });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-gw-tools-"));
  });
  after(async () => {
    await g?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const awsArgs = (...args: string[]) => awsArgsFor(g.endpoint, ...args);

  it("aws CLI: cp up and down (one PUT and a 100 MB multipart), sync, ls, rm, presign", async () => {
    const small = path.join(dir, "small.txt");
    fs.writeFileSync(small, "hello gateway\n");
    const big = path.join(dir, "big.bin");
    fs.writeFileSync(big, randomBytes(100 * 1024 * 1024 + 3));
    await run(aws, awsArgs("s3", "cp", small, "s3://tools/main/cli/small.txt"), g.env);
    await run(aws, awsArgs("s3", "cp", big, "s3://tools/main/cli/big.bin"), g.env);
    await run(aws, awsArgs("s3", "cp", "s3://tools/main/cli/big.bin", path.join(dir, "big.back")), g.env);
    assert.equal(sha256(fs.readFileSync(path.join(dir, "big.back"))), sha256(fs.readFileSync(big)));
    assert.equal(await run(aws, awsArgs("s3", "cp", "s3://tools/main/cli/small.txt", "-"), g.env), "hello gateway\n");
    const stat = await g.service.client.statObject({ repository: "tools", ref: "main", path: "cli/big.bin" });
    assert.match(stat.checksum, /-\d+$/, "the 100 MB upload went through multipart");
    fs.rmSync(big);
    fs.rmSync(path.join(dir, "big.back"));

    await awsSyncRoundTrip(aws, g.endpoint, g.env, dir, "tools/main/synced/", { "a.txt": Buffer.from("a"), "d/b.bin": randomBytes(50_000), "d/e/c.bin": randomBytes(9000) });
    const top = await run(aws, awsArgs("s3", "ls", "s3://tools/"), g.env);
    assert.match(top, /PRE main\//);

    await run(aws, awsArgs("s3", "rm", "s3://tools/main/synced/a.txt"), g.env);
    await run(aws, awsArgs("s3", "rm", "s3://tools/main/synced/d/", "--recursive"), g.env);
    assert.equal((await run(aws, awsArgs("s3", "ls", "s3://tools/main/synced/", "--recursive"), g.env).catch(() => "")).trim(), "");

    await awsPresignChecked(aws, g.endpoint, g.env, "tools/main/cli/small.txt", "hello gateway\n");
  });

  it("boto3: put, get, multipart upload_file, paginated listing, copy, delete_objects", async () => {
    const src = path.join(dir, "boto-src.bin");
    fs.writeFileSync(src, randomBytes(12 * 1024 * 1024 + 5));
    const script = `
import boto3, hashlib, sys
from boto3.s3.transfer import TransferConfig
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
${boto3BasicsScript("tools")}
s3.upload_file(sys.argv[2], "tools", "main/boto/big.bin", Config=TransferConfig(multipart_threshold=5*1024*1024, multipart_chunksize=5*1024*1024))
s3.download_file("tools", "main/boto/big.bin", sys.argv[2] + ".back")
r = s3.delete_objects(Bucket="tools", Delete={"Objects": [{"Key": k} for k in keys]})
assert len(r["Deleted"]) == 5, r
print("ok")
`;
    assert.equal((await run("python3", ["-c", script, g.endpoint, src], g.env)).trim(), "ok");
    assert.equal(sha256(fs.readFileSync(src + ".back")), sha256(fs.readFileSync(src)));
  });

  it("rclone: copy, sync and check", async () => {
    const env: NodeJS.ProcessEnv = {
      ...g.env,
      RCLONE_CONFIG_TARN_TYPE: "s3", RCLONE_CONFIG_TARN_PROVIDER: "Other", RCLONE_CONFIG_TARN_ENDPOINT: g.endpoint,
      RCLONE_CONFIG_TARN_ACCESS_KEY_ID: g.accessKeyId, RCLONE_CONFIG_TARN_SECRET_ACCESS_KEY: g.secretAccessKey, RCLONE_CONFIG_TARN_REGION: "us-east-1",
      RCLONE_CONFIG: "/dev/null",
    };
    // rclone's S3 backend refuses a custom CA bundle on plain HTTP; the gateway here is plain HTTP.
    delete env.AWS_CA_BUNDLE;
    const local = path.join(dir, "rclone-src");
    writeTree(local, { "one.txt": Buffer.from("one"), "sub/two.bin": randomBytes(100_000), "sub/deeper/three.bin": randomBytes(7 * 1024 * 1024) });
    await run("rclone", ["copy", local, "tarn:tools/main/rc"], env);
    await run("rclone", ["check", local, "tarn:tools/main/rc"], env);
    fs.rmSync(path.join(local, "one.txt"));
    fs.writeFileSync(path.join(local, "sub/new.txt"), "new");
    await run("rclone", ["sync", local, "tarn:tools/main/rc"], env);
    await run("rclone", ["check", local, "tarn:tools/main/rc"], env);
    const back = path.join(dir, "rclone-back");
    await run("rclone", ["copy", "tarn:tools/main/rc", back], env);
    assert.deepEqual(tree(back), tree(local));
  });

  it("s3cmd: put, get, ls, del with SigV4 and SigV2", async () => {
    const cfg = path.join(dir, "s3cfg");
    fs.writeFileSync(cfg, [
      "[default]", `access_key = ${g.accessKeyId}`, `secret_key = ${g.secretAccessKey}`, `host_base = 127.0.0.1:${g.port}`,
      `host_bucket = 127.0.0.1:${g.port}`, "use_https = False", "bucket_location = us-east-1", "",
    ].join("\n"));
    const file = path.join(dir, "s3cmd.bin");
    fs.writeFileSync(file, randomBytes(300_000));
    for (const sig of [[], ["--signature-v2"]]) {
      const name = sig.length ? "v2" : "v4";
      const args = (...a: string[]) => ["-c", cfg, ...sig, ...a];
      await run("s3cmd", args("put", file, `s3://tools/main/s3cmd/${name}.bin`), g.env);
      await run("s3cmd", args("get", "--force", `s3://tools/main/s3cmd/${name}.bin`, `${file}.${name}`), g.env);
      assert.equal(sha256(fs.readFileSync(`${file}.${name}`)), sha256(fs.readFileSync(file)));
      assert.match(await run("s3cmd", args("ls", "s3://tools/main/s3cmd/"), g.env), new RegExp(`s3://tools/main/s3cmd/${name}.bin`));
      await run("s3cmd", args("del", `s3://tools/main/s3cmd/${name}.bin`), g.env);
    }
    assert.equal((await run("s3cmd", ["-c", cfg, "ls", "s3://tools/main/s3cmd/"], g.env)).trim(), "");
  });
});
