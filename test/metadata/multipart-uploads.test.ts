// ListMultipartUploads: the records of multipart uploads in progress, against a real S3-compatible server
// (versitygw): written by PrepareUpload with parts and by RecordMultipartUpload, listed in (key, upload id)
// order and paged, dropped by StageObject completing the upload and by AbortMultipartUpload /
// ForgetMultipartUpload.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readOnlyPolicy } from "../../src/auth";
import { s3Server, S3Server } from "../support/s3server";
import { chunked, startService, TestService } from "./support";

const MiB = 1024 * 1024;

describe("metadata service: records of multipart uploads in progress (versitygw)", () => {
  let s3: S3Server;
  let t: TestService;
  before(async () => {
    s3 = await s3Server();
    t = await startService({ storeConfig: { s3: { endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true } } });
    await t.client.createRepository({ name: "ups", storageNamespace: `s3://${s3.bucket}/uploads-test` });
    await t.client.createBranch({ repository: "ups", name: "dev", source: "main" });
  });
  after(async () => {
    await t?.close();
  });

  const keysOf = (r: { uploads: Array<{ branch: string; path: string }> }) => r.uploads.map((u) => `${u.branch}/${u.path}`);

  it("lists uploads by key then upload id, paged by markers and under a prefix; complete and abort drop them", async () => {
    const c = t.client;
    const before = Math.floor(Date.now() / 1000);
    const prepare = (branch: string, path: string) =>
      c.prepareUpload({ repository: "ups", branch, path, presign: true, partCount: 2, contentType: "application/x-test", userMetadata: { team: "lake" } });
    const b = await prepare("main", "b.bin");
    const a1 = await prepare("main", "a.bin");
    const a2 = await prepare("main", "a.bin");
    const d = await prepare("dev", "z/d.bin");
    const all = await c.listMultipartUploads({ repository: "ups" });
    assert.deepEqual(keysOf(all), ["dev/z/d.bin", "main/a.bin", "main/a.bin", "main/b.bin"]);
    const aIds = [a1.multipartUploadId, a2.multipartUploadId].sort();
    assert.deepEqual(all.uploads.slice(1, 3).map((u) => u.uploadId), aIds);
    assert.equal(all.isTruncated, false);
    const first = all.uploads[3];
    assert.deepEqual([first.uploadId, first.physicalAddress, first.contentType, first.userMetadata, first.clientUploadId], [b.multipartUploadId, b.physicalAddress, "application/x-test", { team: "lake" }, ""]);
    assert.ok(Number(first.initiated) >= before && Number(first.initiated) <= Math.floor(Date.now() / 1000) + 1, `initiated ${first.initiated}`);

    // Paging: two at a time, then from the markers; a key marker alone skips every upload of that key.
    const p1 = await c.listMultipartUploads({ repository: "ups", maxUploads: 2 });
    assert.deepEqual([keysOf(p1), p1.isTruncated, p1.nextKeyMarker, p1.nextUploadIdMarker], [["dev/z/d.bin", "main/a.bin"], true, "main/a.bin", aIds[0]]);
    const p2 = await c.listMultipartUploads({ repository: "ups", keyMarker: p1.nextKeyMarker, uploadIdMarker: p1.nextUploadIdMarker });
    assert.deepEqual([p2.uploads.map((u) => u.uploadId), p2.isTruncated, p2.nextKeyMarker], [[aIds[1], b.multipartUploadId], false, ""]);
    assert.deepEqual(keysOf(await c.listMultipartUploads({ repository: "ups", keyMarker: "main/a.bin" })), ["main/b.bin"]);
    assert.deepEqual(keysOf(await c.listMultipartUploads({ repository: "ups", prefix: "main/" })), ["main/a.bin", "main/a.bin", "main/b.bin"]);
    assert.deepEqual(keysOf(await c.listMultipartUploads({ repository: "ups", prefix: "dev/z" })), ["dev/z/d.bin"]);
    await assert.rejects(c.listMultipartUploads({ repository: "ups", uploadIdMarker: "x" }), { code: "INVALID_ARGUMENT" });
    await assert.rejects(c.listMultipartUploads({ repository: "nope" }), { code: "NOT_FOUND" });

    // Completing through StageObject drops the record with the staging; aborting (with or without the path) drops it too.
    const bytes = [randomBytes(5 * MiB), Buffer.from("tail")];
    const etags: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await fetch(b.partUrls[i], { method: "PUT", body: bytes[i] });
      etags.push(res.headers.get("etag")!.replace(/"/g, ""));
    }
    await c.stageObject({
      repository: "ups", branch: "main", path: "b.bin", physicalAddress: b.physicalAddress,
      multipart: { uploadId: b.multipartUploadId, parts: etags.map((etag, i) => ({ partNumber: i + 1, etag })) },
    });
    await c.abortMultipartUpload({ repository: "ups", branch: "main", path: "a.bin", physicalAddress: a1.physicalAddress, multipartUploadId: a1.multipartUploadId });
    await c.abortMultipartUpload({ repository: "ups", branch: "dev", physicalAddress: d.physicalAddress, multipartUploadId: d.multipartUploadId });
    const left = await c.listMultipartUploads({ repository: "ups" });
    assert.deepEqual(left.uploads.map((u) => [u.branch, u.path, u.uploadId]), [["main", "a.bin", a2.multipartUploadId]]);
    await c.abortMultipartUpload({ repository: "ups", branch: "main", path: "a.bin", physicalAddress: a2.physicalAddress, multipartUploadId: a2.multipartUploadId });

    // TarnClient's own multipart upload leaves no record behind.
    await c.upload("ups", "main", "big.bin", chunked(randomBytes(11 * MiB), 256 * 1024), { partSize: 5 * MiB });
    assert.deepEqual((await c.listMultipartUploads({ repository: "ups" })).uploads, []);
  });

  it("records an upload the client runs itself, and forgets it; a reader may not list", async () => {
    const c = t.client;
    const target = { repository: "ups", branch: "main", path: "own/x.bin", uploadId: "0123456789abcdef" };
    await c.recordMultipartUpload({ ...target, physicalAddress: "data/own-x", contentType: "text/plain", clientUploadId: "z.token" });
    const listed = await c.listMultipartUploads({ repository: "ups", prefix: "main/own/" });
    assert.deepEqual(listed.uploads.map((u) => [u.path, u.uploadId, u.physicalAddress, u.clientUploadId]), [["own/x.bin", "0123456789abcdef", "data/own-x", "z.token"]]);
    await assert.rejects(c.recordMultipartUpload({ ...target, physicalAddress: "../elsewhere" }), { code: "INVALID_ARGUMENT" });
    await assert.rejects(c.recordMultipartUpload({ ...target, uploadId: "", physicalAddress: "data/y" }), { code: "INVALID_ARGUMENT" });
    await assert.rejects(c.recordMultipartUpload({ ...target, branch: "nope", physicalAddress: "data/y" }), { code: "NOT_FOUND" });

    await c.createUser({ id: "uploads-reader", policy: { statements: readOnlyPolicy(["ups"]).statements.map((st) => ({ effect: "EFFECT_ALLOW", actions: st.actions, resources: st.resources })) } });
    const reader = t.clientWith(await c.createAccessKey({ userId: "uploads-reader" }));
    await assert.rejects(reader.listMultipartUploads({ repository: "ups" }), { code: "PERMISSION_DENIED" });

    await c.forgetMultipartUpload(target);
    assert.deepEqual((await c.listMultipartUploads({ repository: "ups", prefix: "main/own/" })).uploads, []);
  });

  it("drops a branch's records with the branch, and a repository's with the repository", async () => {
    const c = t.client;
    await c.createRepository({ name: "gone", storageNamespace: `s3://${s3.bucket}/gone-1` });
    await c.createBranch({ repository: "gone", name: "tmp", source: "main" });
    await c.createBranch({ repository: "gone", name: "tmp2", source: "main" });
    for (const branch of ["main", "tmp", "tmp2"]) await c.prepareUpload({ repository: "gone", branch, path: "x.bin", presign: true, partCount: 2 });
    await c.deleteBranch({ repository: "gone", branch: "tmp" });
    assert.deepEqual(keysOf(await c.listMultipartUploads({ repository: "gone" })), ["main/x.bin", "tmp2/x.bin"], "tmp's upload went with it, tmp2's stayed");
    await c.deleteRepository({ repository: "gone" });
    await c.createRepository({ name: "gone", storageNamespace: `s3://${s3.bucket}/gone-2` });
    assert.deepEqual((await c.listMultipartUploads({ repository: "gone" })).uploads, []);
  });
});
