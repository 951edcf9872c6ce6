// Presigned data I/O against a real S3-compatible server (versitygw): the client PUTs and GETs bytes with
// presigned URLs, objects larger than one part go up as a presigned multipart upload, and the service only
// stages metadata. Commits write their range files to the same bucket.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { readOnlyPolicy } from "../../src/auth";
import { s3Server, S3Server } from "../support/s3server";
import { chunked, collect, startService, TestService } from "./support";

const MiB = 1024 * 1024;
const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");

describe("metadata service: presigned upload and download on S3 (versitygw)", () => {
  let s3: S3Server;
  let t: TestService;
  before(async () => {
    s3 = await s3Server();
    t = await startService({ storeConfig: { s3: { endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true } } });
    await t.client.createRepository({ name: "lake", storageNamespace: `s3://${s3.bucket}/metadata-test` });
  });
  after(async () => {
    await t?.close();
  });

  it("uploads through a presigned PUT and a presigned multipart upload, and reads both back through presigned GETs", async () => {
    const c = t.client;
    const small = Buffer.from("hello, object store\n");
    const staged = await c.upload("lake", "main", "small.txt", small, { contentType: "text/plain" });
    assert.equal(staged.sizeBytes, small.length);
    assert.equal(staged.checksum, md5(small));

    // 11 MiB in 5 MiB parts from a stream: three presigned parts, completed by StageObject.
    const big = randomBytes(11 * MiB);
    const bigStats = await c.upload("lake", "main", "big.bin", chunked(big, 256 * 1024), { partSize: 5 * MiB });
    assert.equal(bigStats.sizeBytes, big.length);
    assert.match(bigStats.checksum, /-3$/, "an S3 multipart ETag names its part count");

    // The bytes are in the bucket where the entries point, put there by the client.
    const direct = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    try {
      const got = await direct.send(new GetObjectCommand({ Bucket: s3.bucket, Key: `metadata-test/${staged.physicalAddress}` }));
      assert.equal(await got.Body!.transformToString(), small.toString());
    } finally {
      direct.destroy();
    }

    await c.commit({ repository: "lake", branch: "main", message: "two objects" });
    assert.deepEqual((await c.downloadBuffer("lake", "main", "small.txt")).toString(), small.toString());
    const { stats, body } = await c.download("lake", "main", "big.bin");
    assert.equal(stats.sizeBytes, big.length);
    const hash = createHash("sha256");
    for await (const chunk of body) hash.update(chunk as Buffer);
    assert.equal(hash.digest("hex"), createHash("sha256").update(big).digest("hex"));
    assert.deepEqual((await collect(c.objects({ repository: "lake", ref: "main" }))).map((o) => o.path), ["big.bin", "small.txt"]);
  });

  it("lists the parts of an upload in progress, paged; a reader is refused, a finished upload is NOT_FOUND", async () => {
    const c = t.client;
    const prepared = await c.prepareUpload({ repository: "lake", branch: "main", path: "parts.bin", presign: true, partCount: 3 });
    const bodies = [randomBytes(5 * MiB), randomBytes(5 * MiB), Buffer.from("tail")];
    // Parts 3, 1, 2 in that order, part 1 twice: the listing is by number, with the last upload of each.
    for (const i of [2, 0, 1]) await fetch(prepared.partUrls[i], { method: "PUT", body: i === 0 ? randomBytes(10) : bodies[i] });
    await fetch(prepared.partUrls[0], { method: "PUT", body: bodies[0] });
    const target = { repository: "lake", branch: "main", physicalAddress: prepared.physicalAddress, multipartUploadId: prepared.multipartUploadId };
    const all = await c.listParts(target);
    assert.deepEqual(all.parts.map((p) => [p.partNumber, p.etag, Number(p.sizeBytes)]), bodies.map((b, i) => [i + 1, md5(b), b.length]));
    assert.equal(all.isTruncated, false);
    const first = await c.listParts({ ...target, maxParts: 2 });
    assert.deepEqual([first.parts.map((p) => p.partNumber), first.isTruncated, first.nextPartNumberMarker], [[1, 2], true, 2]);
    const rest = await c.listParts({ ...target, partNumberMarker: first.nextPartNumberMarker });
    assert.deepEqual([rest.parts.map((p) => p.partNumber), rest.isTruncated, rest.nextPartNumberMarker], [[3], false, 3]);

    await c.createUser({ id: "parts-reader", policy: { statements: readOnlyPolicy(["lake"]).statements.map((st) => ({ effect: "EFFECT_ALLOW", actions: st.actions, resources: st.resources })) } });
    const reader = t.clientWith(await c.createAccessKey({ userId: "parts-reader" }));
    await assert.rejects(reader.listParts(target), { code: "PERMISSION_DENIED" });
    await assert.rejects(c.listParts({ ...target, multipartUploadId: "" }), { code: "INVALID_ARGUMENT" });
    await assert.rejects(c.listParts({ ...target, physicalAddress: "../elsewhere" }), { code: "INVALID_ARGUMENT" });

    await c.abortMultipartUpload(target);
    await assert.rejects(c.listParts(target), { code: "NOT_FOUND" });
  });

  it("refuses direct access it cannot give, and stages nothing for bytes never written", async () => {
    const prepared = await t.client.prepareUpload({ repository: "lake", branch: "main", path: "x" });
    assert.equal(prepared.direct, null, "an S3 store offers presigned URLs, not file paths");
    assert.match(prepared.presignedUrl, /X-Amz-Signature=/);
    await assert.rejects(
      t.client.stageObject({ repository: "lake", branch: "main", path: "x", physicalAddress: prepared.physicalAddress, addressType: "ADDRESS_TYPE_RELATIVE" }),
      { code: "NOT_FOUND" },
    );
    await assert.rejects(t.client.statObject({ repository: "lake", ref: "main", path: "x" }), { code: "NOT_FOUND" });
  });
});
