// Issue 6 acceptance 2 and 3 in the production shape: the real S3 clients (aws CLI, boto3, rclone, s3cmd,
// @aws-sdk/client-s3) against a `tarn gateway` process in front of three `tarn metadata` members, the
// repository's data on a real object store. Every byte that goes in comes back the same (SHA-256); the test
// keeps the expected content of the branch as it goes, and a commit through the CLI must hold exactly that,
// readable through the gateway by commit id and by tag.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import {
  CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { tarnOk } from "../server/support";
import { sha256, sha256File, sha256Stream, tree, writeTree } from "../support/client-files";
import { startGatewayCluster, type GatewayCluster } from "../support/cluster";
import { awsArgs as awsArgsFor, awsPresignChecked, awsSyncRoundTrip, boto3BasicsScript, ensureS3Clients, listedKeys, run, s3ClientFor } from "../support/s3-clients";

export interface ClusterStore {
  /** TARN_S3_* or TARN_AZURE_* for the metadata members. */
  env: NodeJS.ProcessEnv;
  /** The storage namespace of a new repository. */
  namespace(repo: string): string;
}

const REPO = "lake";
const MB = 1024 * 1024;

export interface SuiteOptions {
  /**
   * Run the multipart uploads (aws CLI 100 MB, boto3 upload_file, lib-storage Upload). False only for a store
   * the gateway cannot do multipart on yet: those three cases are then left out, not weakened.
   */
  multipart: boolean;
  /**
   * ListParts and ListMultipartUploads of an upload in progress (aws s3api list-parts and
   * list-multipart-uploads, boto3 list_parts and list_multipart_uploads). True for every store now (S3 and
   * Azure stores through the metadata service); false would leave the case out, not weaken it.
   */
  listParts: boolean;
}

export function describeGatewayCluster(storeName: string, store: () => Promise<ClusterStore>, options: SuiteOptions): void {
  describe(`tarn gateway before three tarn metadata members, data on ${storeName}: aws CLI, boto3, rclone, s3cmd, @aws-sdk/client-s3`, function () {
    this.timeout(180_000);
    let c: GatewayCluster;
    let dir: string;
    let aws: string;
    let s3: S3Client;
    /** Key under the branch -> SHA-256: what `main` must hold after the writes of every test so far. */
    const expected = new Map<string, string>();

    before(async function () {
      this.timeout(600_000); // the first run on a machine installs the tools and builds versitygw
      ({ aws } = ensureS3Clients());
      const s = await store();
      c = await startGatewayCluster(storeName.replace(/\W+/g, "-"), s.env);
      await c.client.createRepository({ name: REPO, storageNamespace: s.namespace(REPO) });
      s3 = s3ClientFor(c);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-gwc-"));
    });
    after(async () => {
      s3?.destroy();
      await c?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const awsArgs = (...args: string[]) => awsArgsFor(c.endpoint, ...args);

    if (options.multipart) it("aws CLI: a multipart upload of 100 MB up and down", async () => {
      const big = path.join(dir, "big.bin");
      fs.writeFileSync(big, randomBytes(100 * MB + 3));
      const sha = await sha256File(big);
      await run(aws, awsArgs("s3", "cp", big, `s3://${REPO}/main/cli/big.bin`), c.s3Env);
      await run(aws, awsArgs("s3", "cp", `s3://${REPO}/main/cli/big.bin`, `${big}.back`), c.s3Env);
      assert.equal(await sha256File(`${big}.back`), sha);
      const stat = await c.client.statObject({ repository: REPO, ref: "main", path: "cli/big.bin" });
      assert.match(stat.checksum, /-\d+$/, "the 100 MB upload went through multipart");
      assert.equal(Number(stat.sizeBytes), 100 * MB + 3);
      expected.set("cli/big.bin", sha);
      fs.rmSync(big);
      fs.rmSync(`${big}.back`);
    });

    if (options.listParts) it("aws s3api list-parts / list-multipart-uploads and boto3 list_parts / list_multipart_uploads on an upload in progress, then complete from the listing", async () => {
      const key = "main/lp/resumed.bin";
      const p1 = path.join(dir, "lp-1.bin");
      const p2 = path.join(dir, "lp-2.bin");
      fs.writeFileSync(p1, randomBytes(5 * MB));
      fs.writeFileSync(p2, randomBytes(777));
      const api = (...args: string[]) => run(aws, awsArgs("s3api", ...args, "--bucket", REPO, "--key", key, "--output", "json"), c.s3Env);
      const uploadId = (JSON.parse(await api("create-multipart-upload")) as { UploadId: string }).UploadId;
      const e1 = (JSON.parse(await api("upload-part", "--upload-id", uploadId, "--part-number", "1", "--body", p1)) as { ETag: string }).ETag;
      const e2 = (JSON.parse(await api("upload-part", "--upload-id", uploadId, "--part-number", "2", "--body", p2)) as { ETag: string }).ETag;
      const listed = JSON.parse(await api("list-parts", "--upload-id", uploadId)) as { Parts: Array<{ PartNumber: number; ETag: string; Size: number }> };
      assert.deepEqual(listed.Parts.map((p) => [p.PartNumber, p.ETag, p.Size]), [[1, e1, 5 * MB], [2, e2, 777]]);
      // The upload is listed (from the metadata service's records on S3 and Azure stores) with the id create gave.
      const other = (JSON.parse(await run(aws, awsArgs("s3api", "create-multipart-upload", "--bucket", REPO, "--key", "main/lp/z/other.bin", "--output", "json"), c.s3Env)) as { UploadId: string }).UploadId;
      const uploads = JSON.parse(await run(aws, awsArgs("s3api", "list-multipart-uploads", "--bucket", REPO, "--prefix", "main/lp/", "--output", "json"), c.s3Env)) as { Uploads: Array<{ Key: string; UploadId: string }> };
      assert.deepEqual(uploads.Uploads.map((u) => [u.Key, u.UploadId]), [["main/lp/resumed.bin", uploadId], ["main/lp/z/other.bin", other]]);
      // boto3 resumes as a client would: the parts to complete with come from its own list_parts.
      const script = `
import boto3, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
listed = s3.list_multipart_uploads(Bucket="${REPO}", Prefix="main/lp/", Delimiter="/")
assert [(u["Key"], u["UploadId"]) for u in listed["Uploads"]] == [("${key}", sys.argv[2])], listed
assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["main/lp/z/"], listed
parts = s3.list_parts(Bucket="${REPO}", Key="${key}", UploadId=sys.argv[2])["Parts"]
assert [p["PartNumber"] for p in parts] == [1, 2], parts
s3.complete_multipart_upload(Bucket="${REPO}", Key="${key}", UploadId=sys.argv[2], MultipartUpload={"Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in parts]})
left = s3.list_multipart_uploads(Bucket="${REPO}", Prefix="${key}")
assert "Uploads" not in left or left["Uploads"] == [], left
print("ok")
`;
      assert.equal((await run("python3", ["-c", script, c.endpoint, uploadId], c.s3Env)).trim(), "ok");
      await run(aws, awsArgs("s3api", "abort-multipart-upload", "--bucket", REPO, "--key", "main/lp/z/other.bin", "--upload-id", other), c.s3Env);
      const after = JSON.parse((await run(aws, awsArgs("s3api", "list-multipart-uploads", "--bucket", REPO, "--prefix", "main/lp/", "--output", "json"), c.s3Env)) || "{}") as { Uploads?: unknown[] };
      assert.deepEqual(after.Uploads ?? [], [], "completed and aborted uploads are no longer listed");
      const got = await s3.send(new GetObjectCommand({ Bucket: REPO, Key: key }));
      const sha = sha256(Buffer.concat([fs.readFileSync(p1), fs.readFileSync(p2)]));
      assert.deepEqual(await sha256Stream(got.Body as Readable), { sha, size: 5 * MB + 777 });
      expected.set("lp/resumed.bin", sha);
    });

    it("aws CLI: cp up and down, sync, ls, rm, presign", async () => {
      const small = path.join(dir, "small.txt");
      fs.writeFileSync(small, "hello cluster gateway\n");
      await run(aws, awsArgs("s3", "cp", small, `s3://${REPO}/main/cli/small.txt`), c.s3Env);
      assert.equal(await run(aws, awsArgs("s3", "cp", `s3://${REPO}/main/cli/small.txt`, "-"), c.s3Env), "hello cluster gateway\n");
      expected.set("cli/small.txt", sha256("hello cluster gateway\n"));

      await awsSyncRoundTrip(aws, c.endpoint, c.s3Env, dir, `${REPO}/main/synced/`, { "a.txt": Buffer.from("a"), "d/b.bin": randomBytes(50_000), "d/e/c.bin": randomBytes(9000) });
      assert.match(await run(aws, awsArgs("s3", "ls", `s3://${REPO}/`), c.s3Env), /PRE main\//);

      await run(aws, awsArgs("s3", "rm", `s3://${REPO}/main/synced/d/`, "--recursive"), c.s3Env);
      const after = await run(aws, awsArgs("s3", "ls", `s3://${REPO}/main/synced/`, "--recursive"), c.s3Env);
      assert.deepEqual(listedKeys(after), ["main/synced/a.txt"]);
      expected.set("synced/a.txt", sha256("a"));

      await awsPresignChecked(aws, c.endpoint, c.s3Env, `${REPO}/main/cli/small.txt`, "hello cluster gateway\n");
    });

    it("boto3: put, get with metadata, paginated listing, copy, delete_objects", async () => {
      const script = `
import boto3, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
${boto3BasicsScript(REPO)}
r = s3.delete_objects(Bucket="${REPO}", Delete={"Objects": [{"Key": k} for k in keys[1:]]})
assert len(r["Deleted"]) == 4, r
print("ok")
`;
      assert.equal((await run("python3", ["-c", script, c.endpoint], c.s3Env)).trim(), "ok");
      expected.set("boto/hello.txt", sha256("hi from boto3"));
      expected.set("boto/copy.txt", sha256("hi from boto3"));
      expected.set("boto/many/0", sha256(""));
    });

    if (options.multipart) it("boto3: a multipart upload_file (12 MB in 5 MB parts) and download_file", async () => {
      const src = path.join(dir, "boto-src.bin");
      fs.writeFileSync(src, randomBytes(12 * MB + 5));
      const script = `
import boto3, sys
from boto3.s3.transfer import TransferConfig
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
s3.upload_file(sys.argv[2], "${REPO}", "main/boto/big.bin", Config=TransferConfig(multipart_threshold=5*1024*1024, multipart_chunksize=5*1024*1024))
s3.download_file("${REPO}", "main/boto/big.bin", sys.argv[2] + ".back")
print("ok")
`;
      assert.equal((await run("python3", ["-c", script, c.endpoint, src], c.s3Env)).trim(), "ok");
      const sha = await sha256File(src);
      assert.equal(await sha256File(`${src}.back`), sha);
      assert.match((await c.client.statObject({ repository: REPO, ref: "main", path: "boto/big.bin" })).checksum, /-3$/, "three parts");
      expected.set("boto/big.bin", sha);
    });

    it("rclone: copy, sync and check", async () => {
      const env: NodeJS.ProcessEnv = {
        ...c.s3Env,
        RCLONE_CONFIG_TARN_TYPE: "s3", RCLONE_CONFIG_TARN_PROVIDER: "Other", RCLONE_CONFIG_TARN_ENDPOINT: c.endpoint,
        RCLONE_CONFIG_TARN_ACCESS_KEY_ID: c.accessKeyId, RCLONE_CONFIG_TARN_SECRET_ACCESS_KEY: c.secretAccessKey, RCLONE_CONFIG_TARN_REGION: "us-east-1",
        RCLONE_CONFIG: "/dev/null",
      };
      delete env.AWS_CA_BUNDLE; // rclone refuses a custom CA bundle on plain HTTP
      const local = path.join(dir, "rclone-src");
      writeTree(local, { "one.txt": Buffer.from("one"), "sub/two.bin": randomBytes(100_000), "sub/deeper/three.bin": randomBytes(3 * MB) });
      await run("rclone", ["copy", local, `tarn:${REPO}/main/rc`], env);
      await run("rclone", ["check", local, `tarn:${REPO}/main/rc`], env);
      fs.rmSync(path.join(local, "one.txt"));
      fs.writeFileSync(path.join(local, "sub/new.txt"), "new");
      await run("rclone", ["sync", local, `tarn:${REPO}/main/rc`], env);
      await run("rclone", ["check", local, `tarn:${REPO}/main/rc`], env);
      const back = path.join(dir, "rclone-back");
      await run("rclone", ["copy", `tarn:${REPO}/main/rc`, back], env);
      const want = tree(local);
      assert.deepEqual(tree(back), want);
      for (const [p, sha] of want) expected.set(`rc/${p}`, sha);
    });

    it("s3cmd: put, get, ls, del with SigV4 and SigV2", async () => {
      const cfg = path.join(dir, "s3cfg");
      fs.writeFileSync(cfg, [
        "[default]", `access_key = ${c.accessKeyId}`, `secret_key = ${c.secretAccessKey}`, `host_base = 127.0.0.1:${c.port}`,
        `host_bucket = 127.0.0.1:${c.port}`, "use_https = False", "bucket_location = us-east-1", "",
      ].join("\n"));
      const file = path.join(dir, "s3cmd.bin");
      const data = randomBytes(300_000);
      fs.writeFileSync(file, data);
      for (const sig of [[], ["--signature-v2"]]) {
        const name = sig.length ? "v2" : "v4";
        const args = (...a: string[]) => ["-c", cfg, ...sig, ...a];
        await run("s3cmd", args("put", file, `s3://${REPO}/main/s3cmd/${name}.bin`), c.s3Env);
        await run("s3cmd", args("get", "--force", `s3://${REPO}/main/s3cmd/${name}.bin`, `${file}.${name}`), c.s3Env);
        assert.equal(sha256(fs.readFileSync(`${file}.${name}`)), sha256(data));
        assert.match(await run("s3cmd", args("ls", `s3://${REPO}/main/s3cmd/`), c.s3Env), new RegExp(`s3://${REPO}/main/s3cmd/${name}.bin`));
      }
      await run("s3cmd", ["-c", cfg, "del", `s3://${REPO}/main/s3cmd/v2.bin`], c.s3Env);
      const ls = await run("s3cmd", ["-c", cfg, "ls", `s3://${REPO}/main/s3cmd/`], c.s3Env);
      assert.deepEqual(ls.trim().split("\n").map((l) => l.trim().split(/\s+/).pop()), [`s3://${REPO}/main/s3cmd/v4.bin`]);
      expected.set("s3cmd/v4.bin", sha256(data));
    });

    it("@aws-sdk/client-s3: put (buffer, and streamed with a trailing checksum), get, range, head, copy, list, delete", async () => {
      const data = randomBytes(300_000);
      await s3.send(new PutObjectCommand({ Bucket: REPO, Key: "main/sdk/a.bin", Body: data, ContentType: "application/x-test", Metadata: { owner: "ops" } }));
      const streamed = randomBytes(200_000);
      await s3.send(new PutObjectCommand({ Bucket: REPO, Key: "main/sdk/s.bin", Body: Readable.from([streamed.subarray(0, 70_000), streamed.subarray(70_000)]), ContentLength: streamed.length }));
      const got = await s3.send(new GetObjectCommand({ Bucket: REPO, Key: "main/sdk/a.bin" }));
      assert.equal((await sha256Stream(got.Body as AsyncIterable<Uint8Array>)).sha, sha256(data));
      assert.equal(got.ContentType, "application/x-test");
      assert.deepEqual(got.Metadata, { owner: "ops" });
      const s = await s3.send(new GetObjectCommand({ Bucket: REPO, Key: "main/sdk/s.bin" }));
      assert.equal((await sha256Stream(s.Body as AsyncIterable<Uint8Array>)).sha, sha256(streamed));
      const range = await s3.send(new GetObjectCommand({ Bucket: REPO, Key: "main/sdk/a.bin", Range: "bytes=1000-1999" }));
      assert.equal((await sha256Stream(range.Body as AsyncIterable<Uint8Array>)).sha, sha256(data.subarray(1000, 2000)));
      const head = await s3.send(new HeadObjectCommand({ Bucket: REPO, Key: "main/sdk/s.bin" }));
      assert.equal(head.ContentLength, streamed.length);
      await s3.send(new CopyObjectCommand({ Bucket: REPO, Key: "main/sdk/copy.bin", CopySource: `${REPO}/main/sdk/a.bin` }));
      await s3.send(new PutObjectCommand({ Bucket: REPO, Key: "main/sdk/gone.txt", Body: "short-lived" }));
      await s3.send(new DeleteObjectCommand({ Bucket: REPO, Key: "main/sdk/gone.txt" }));
      const list = await s3.send(new ListObjectsV2Command({ Bucket: REPO, Prefix: "main/sdk/" }));
      assert.deepEqual(list.Contents?.map((o) => o.Key), ["main/sdk/a.bin", "main/sdk/copy.bin", "main/sdk/s.bin"]);
      expected.set("sdk/a.bin", sha256(data));
      expected.set("sdk/s.bin", sha256(streamed));
      expected.set("sdk/copy.bin", sha256(data));
    });

    if (options.multipart) it("@aws-sdk/client-s3: a multipart Upload (11 MB in 5 MB parts, streamed)", async () => {
      const data = randomBytes(11 * MB + 7);
      const upload = new Upload({ client: s3, params: { Bucket: REPO, Key: "main/sdk/multi.bin", Body: Readable.from([data.subarray(0, 4 * MB), data.subarray(4 * MB)]) }, partSize: 5 * MB, queueSize: 2 });
      await upload.done();
      const got = await s3.send(new GetObjectCommand({ Bucket: REPO, Key: "main/sdk/multi.bin" }));
      assert.deepEqual(await sha256Stream(got.Body as AsyncIterable<Uint8Array>), { sha: sha256(data), size: data.length });
      assert.match((await c.client.statObject({ repository: REPO, ref: "main", path: "sdk/multi.bin" })).checksum, /-3$/, "three parts");
      expected.set("sdk/multi.bin", sha256(data));
    });

    it("a commit through the CLI holds exactly what the gateway wrote, read back by commit id and by tag", async () => {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: REPO, Prefix: "main/" }));
      const want = [...expected.keys()].sort();
      assert.deepEqual(listed.Contents?.map((o) => o.Key!.slice("main/".length)), want, "the branch through the gateway");
      const commit = JSON.parse(await tarnOk(["-o", "json", "commit", `tarn://${REPO}/main`, "-m", "written through tarn gateway"], c.cliEnv)) as { id: string };
      assert.match(commit.id, /^[0-9a-f]{16,}$/);
      await tarnOk(["tag", "create", `tarn://${REPO}/v1`, commit.id], c.cliEnv);
      const files = JSON.parse(await tarnOk(["-o", "json", "fs", "ls", "--recursive", `tarn://${REPO}/${commit.id}/`], c.cliEnv)) as { path: string }[];
      assert.deepEqual(files.map((f) => f.path).sort(), want, "the commit as the CLI lists it");
      for (const ref of [commit.id, "v1"]) {
        for (const [key, sha] of expected) {
          const got = await s3.send(new GetObjectCommand({ Bucket: REPO, Key: `${ref}/${key}` }));
          assert.equal((await sha256Stream(got.Body as AsyncIterable<Uint8Array>)).sha, sha, `${ref}/${key}`);
        }
      }
      // A later gateway write to the branch changes neither the commit nor the tag.
      await s3.send(new PutObjectCommand({ Bucket: REPO, Key: "main/cli/small.txt", Body: "rewritten" }));
      const old = await s3.send(new GetObjectCommand({ Bucket: REPO, Key: "v1/cli/small.txt" }));
      assert.equal(await old.Body!.transformToString(), "hello cluster gateway\n");
    });
  });
}
