// @aws-sdk/client-s3 (the current version, which sends trailing CRC32 checksums with streamed bodies and
// aws-chunked framing) against the gateway: every operation of issue 6, the bytes compared by SHA-256, and
// a commit through TarnClient holding exactly what the gateway wrote, read back by commit id and tag.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand, DeleteObjectCommand,
  DeleteObjectsCommand, GetBucketLocationCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListBucketsCommand,
  ListMultipartUploadsCommand, ListObjectsCommand, ListObjectsV2Command, ListPartsCommand, PutObjectCommand, S3ServiceException,
  UploadPartCommand, UploadPartCopyCommand, GetObjectAclCommand, type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { sha256, startGateway, type StoreKind, type TestGateway } from "./support";
import { s3ClientFor } from "../support/s3-clients";

async function bytes(body: unknown): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

async function s3Error(p: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof S3ServiceException) return { name: err.name, status: err.$metadata.httpStatusCode };
    throw err;
  }
  assert.fail("the call succeeded but an S3 error was expected");
}

for (const store of ["local", "s3"] as StoreKind[]) describe(`gateway: @aws-sdk/client-s3 (${store} store)`, () => {
  let g: TestGateway;
  let s3: S3Client;
  before(async () => {
    g = await startGateway(["repo", "other"], { store });
    s3 = s3ClientFor(g);
  });
  after(async () => {
    s3?.destroy();
    await g?.close();
  });

  it("lists repositories as buckets, heads them and answers their location", async () => {
    const buckets = await s3.send(new ListBucketsCommand({}));
    assert.deepEqual(buckets.Buckets?.map((b) => b.Name), ["other", "repo"]);
    assert.equal((await s3.send(new HeadBucketCommand({ Bucket: "repo" }))).$metadata.httpStatusCode, 200);
    assert.equal((await s3Error(s3.send(new HeadBucketCommand({ Bucket: "nope" })))).status, 404);
    const loc = await s3.send(new GetBucketLocationCommand({ Bucket: "repo" }));
    assert.equal(loc.LocationConstraint ?? "", "");
  });

  it("puts and gets objects (buffer and streamed bodies with trailing checksums), with metadata, ranges and conditions", async () => {
    const data = randomBytes(300_000);
    const put = await s3.send(new PutObjectCommand({ Bucket: "repo", Key: "main/dir/a.bin", Body: data, ContentType: "application/x-test", Metadata: { owner: "ops" } }));
    assert.match(put.ETag ?? "", /^"[0-9a-f]{32}"$/);
    // A stream of unknown hash: the SDK frames it as aws-chunked with an x-amz-checksum-crc32 trailer.
    const streamed = randomBytes(200_000);
    await s3.send(new PutObjectCommand({ Bucket: "repo", Key: "main/dir/s.bin", Body: Readable.from([streamed.subarray(0, 70_000), streamed.subarray(70_000)]), ContentLength: streamed.length }));
    const got = await s3.send(new GetObjectCommand({ Bucket: "repo", Key: "main/dir/a.bin" }));
    assert.equal(sha256(await bytes(got.Body)), sha256(data));
    assert.equal(got.ContentType, "application/x-test");
    assert.deepEqual(got.Metadata, { owner: "ops" });
    assert.equal(got.ETag, put.ETag);
    assert.equal(sha256(await bytes((await s3.send(new GetObjectCommand({ Bucket: "repo", Key: "main/dir/s.bin" }))).Body)), sha256(streamed));

    const ranged = await s3.send(new GetObjectCommand({ Bucket: "repo", Key: "main/dir/a.bin", Range: "bytes=1000-1999" }));
    assert.equal(ranged.ContentRange, `bytes 1000-1999/${data.length}`);
    assert.deepEqual(await bytes(ranged.Body), data.subarray(1000, 2000));
    const tail = await s3.send(new GetObjectCommand({ Bucket: "repo", Key: "main/dir/a.bin", Range: "bytes=-10" }));
    assert.deepEqual(await bytes(tail.Body), data.subarray(data.length - 10));
    assert.equal((await s3Error(s3.send(new GetObjectCommand({ Bucket: "repo", Key: "main/dir/a.bin", Range: `bytes=${data.length}-` })))).name, "InvalidRange");

    const head = await s3.send(new HeadObjectCommand({ Bucket: "repo", Key: "main/dir/a.bin" }));
    assert.equal(head.ContentLength, data.length);
    assert.equal((await s3.send(new GetObjectCommand({ Bucket: "repo", Key: "main/dir/a.bin", IfMatch: put.ETag }))).$metadata.httpStatusCode, 200);
    assert.equal((await s3Error(s3.send(new GetObjectCommand({ Bucket: "repo", Key: "main/dir/a.bin", IfMatch: '"0000"' })))).status, 412);
    assert.equal((await s3Error(s3.send(new GetObjectCommand({ Bucket: "repo", Key: "main/dir/a.bin", IfNoneMatch: put.ETag })))).status, 304);
    const later = new Date(Date.now() + 60_000);
    assert.equal((await s3Error(s3.send(new GetObjectCommand({ Bucket: "repo", Key: "main/dir/a.bin", IfModifiedSince: later })))).status, 304);
    assert.equal((await s3Error(s3.send(new GetObjectCommand({ Bucket: "repo", Key: "main/dir/missing" })))).name, "NoSuchKey");

    // If-None-Match: * refuses to overwrite.
    assert.equal((await s3Error(s3.send(new PutObjectCommand({ Bucket: "repo", Key: "main/dir/a.bin", Body: "x", IfNoneMatch: "*" })))).status, 412);
    await s3.send(new PutObjectCommand({ Bucket: "repo", Key: "main/dir/new.txt", Body: "new", IfNoneMatch: "*" }));
  });

  it("lists with prefix, delimiter, pagination, start-after and url encoding; a bucket without a ref lists branches", async () => {
    for (let i = 0; i < 7; i++) await s3.send(new PutObjectCommand({ Bucket: "repo", Key: `main/list/f${i}.txt`, Body: `file ${i}` }));
    await s3.send(new PutObjectCommand({ Bucket: "repo", Key: "main/list/sub/x y+z.txt", Body: "odd name" }));
    const top = await s3.send(new ListObjectsV2Command({ Bucket: "repo", Delimiter: "/" }));
    assert.deepEqual(top.CommonPrefixes?.map((p) => p.Prefix), ["main/"]);
    const keys: string[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: "repo", Prefix: "main/list/", Delimiter: "/", MaxKeys: 3, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((c) => c.Key!));
      prefixes.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix!));
      token = page.NextContinuationToken;
      pages++;
    } while (token);
    assert.deepEqual(keys, [0, 1, 2, 3, 4, 5, 6].map((i) => `main/list/f${i}.txt`));
    assert.deepEqual(prefixes, ["main/list/sub/"]);
    assert.equal(pages, 3);
    const after = await s3.send(new ListObjectsV2Command({ Bucket: "repo", Prefix: "main/list/", StartAfter: "main/list/f5.txt" }));
    assert.deepEqual(after.Contents?.map((c) => c.Key), ["main/list/f6.txt", "main/list/sub/x y+z.txt"]);
    const encoded = await s3.send(new ListObjectsV2Command({ Bucket: "repo", Prefix: "main/list/sub/", EncodingType: "url" }));
    // The JavaScript SDK leaves url-encoded keys to the caller.
    assert.deepEqual(encoded.Contents?.map((c) => c.Key), ["main/list/sub/x%20y%2Bz.txt"]);
    const v1 = await s3.send(new ListObjectsCommand({ Bucket: "repo", Prefix: "main/list/f", MaxKeys: 4 }));
    assert.equal(v1.IsTruncated, true);
    const v1next = await s3.send(new ListObjectsCommand({ Bucket: "repo", Prefix: "main/list/f", Marker: v1.Contents![3].Key }));
    assert.deepEqual(v1next.Contents?.map((c) => c.Key), ["main/list/f4.txt", "main/list/f5.txt", "main/list/f6.txt"]);
  });

  it("copies across branches and repositories, deletes one and many", async () => {
    await g.service.client.createBranch({ repository: "repo", name: "dev", source: "main" });
    await s3.send(new PutObjectCommand({ Bucket: "repo", Key: "main/c/src.txt", Body: "copy me", Metadata: { k: "v" } }));
    await s3.send(new CopyObjectCommand({ Bucket: "repo", Key: "dev/c/dst.txt", CopySource: "repo/main/c/src.txt" }));
    await s3.send(new CopyObjectCommand({ Bucket: "other", Key: "main/from-repo.txt", CopySource: "/repo/main/c/src.txt" }));
    assert.equal((await bytes((await s3.send(new GetObjectCommand({ Bucket: "repo", Key: "dev/c/dst.txt" }))).Body)).toString(), "copy me");
    const other = await s3.send(new GetObjectCommand({ Bucket: "other", Key: "main/from-repo.txt" }));
    assert.equal((await bytes(other.Body)).toString(), "copy me");
    assert.deepEqual(other.Metadata, { k: "v" });

    await s3.send(new DeleteObjectCommand({ Bucket: "repo", Key: "dev/c/dst.txt" }));
    await s3.send(new DeleteObjectCommand({ Bucket: "repo", Key: "dev/c/never-existed.txt" }));
    assert.equal((await s3Error(s3.send(new HeadObjectCommand({ Bucket: "repo", Key: "dev/c/dst.txt" })))).status, 404);
    for (const k of ["d1", "d2", "d3"]) await s3.send(new PutObjectCommand({ Bucket: "repo", Key: `main/del/${k}`, Body: k }));
    const res = await s3.send(new DeleteObjectsCommand({ Bucket: "repo", Delete: { Objects: ["d1", "d2", "nope"].map((k) => ({ Key: `main/del/${k}` })) } }));
    assert.deepEqual(res.Deleted?.map((d) => d.Key).sort(), ["main/del/d1", "main/del/d2", "main/del/nope"]);
    const left = await s3.send(new ListObjectsV2Command({ Bucket: "repo", Prefix: "main/del/" }));
    assert.deepEqual(left.Contents?.map((c) => c.Key), ["main/del/d3"]);
  });

  it("runs multipart uploads: parts, a copied part, list parts and uploads, complete, abort; and lib-storage's Upload", async () => {
    const p1 = randomBytes(5 * 1024 * 1024);
    const p3 = randomBytes(1234);
    await s3.send(new PutObjectCommand({ Bucket: "repo", Key: "main/mp/source.bin", Body: randomBytes(6 * 1024 * 1024) }));
    const src = await bytes((await s3.send(new GetObjectCommand({ Bucket: "repo", Key: "main/mp/source.bin" }))).Body);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: "repo", Key: "main/mp/joined.bin", ContentType: "application/x-joined" }));
    const e1 = await s3.send(new UploadPartCommand({ Bucket: "repo", Key: "main/mp/joined.bin", UploadId, PartNumber: 1, Body: p1 }));
    const e2 = await s3.send(new UploadPartCopyCommand({ Bucket: "repo", Key: "main/mp/joined.bin", UploadId, PartNumber: 2, CopySource: "repo/main/mp/source.bin", CopySourceRange: "bytes=0-5242879" }));
    const e3 = await s3.send(new UploadPartCommand({ Bucket: "repo", Key: "main/mp/joined.bin", UploadId, PartNumber: 3, Body: p3 }));
    // ListParts: on the S3 store through the metadata service's ListParts (the gateway has only presigned URLs).
    const parts = await s3.send(new ListPartsCommand({ Bucket: "repo", Key: "main/mp/joined.bin", UploadId }));
    assert.deepEqual(parts.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size]), [[1, e1.ETag, p1.length], [2, e2.CopyPartResult?.ETag, 5 * 1024 * 1024], [3, e3.ETag, p3.length]]);
    assert.equal(parts.IsTruncated, false);
    const page = await s3.send(new ListPartsCommand({ Bucket: "repo", Key: "main/mp/joined.bin", UploadId, MaxParts: 2 }));
    assert.deepEqual([page.Parts?.map((p) => p.PartNumber), page.IsTruncated, String(page.NextPartNumberMarker)], [[1, 2], true, "2"]);
    const rest = await s3.send(new ListPartsCommand({ Bucket: "repo", Key: "main/mp/joined.bin", UploadId, PartNumberMarker: "2" }));
    assert.deepEqual([rest.Parts?.map((p) => p.PartNumber), rest.IsTruncated], [[3], false]);
    // Listed on both stores: local from its upload directories, S3 from the metadata service's records.
    const second = await s3.send(new CreateMultipartUploadCommand({ Bucket: "repo", Key: "main/mp/deep/other.bin", Metadata: { team: "lake", owner: "x" } }));
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: "repo" }));
    assert.deepEqual(uploads.Uploads?.map((u) => [u.Key, u.UploadId]), [["main/mp/deep/other.bin", second.UploadId], ["main/mp/joined.bin", UploadId]]);
    assert.equal(uploads.IsTruncated, false);
    // Started by the admin through the gateway: the user it acted for, recorded with the upload.
    assert.deepEqual(uploads.Uploads?.map((u) => [u.Initiator?.ID, u.Owner?.ID]), [["admin", "admin"], ["admin", "admin"]]);
    const first = await s3.send(new ListMultipartUploadsCommand({ Bucket: "repo", MaxUploads: 1 }));
    assert.deepEqual([first.Uploads?.map((u) => u.Key), first.IsTruncated, first.NextKeyMarker, first.NextUploadIdMarker], [["main/mp/deep/other.bin"], true, "main/mp/deep/other.bin", second.UploadId]);
    const next = await s3.send(new ListMultipartUploadsCommand({ Bucket: "repo", KeyMarker: first.NextKeyMarker, UploadIdMarker: first.NextUploadIdMarker }));
    assert.deepEqual([next.Uploads?.map((u) => u.Key), next.IsTruncated], [["main/mp/joined.bin"], false]);
    const grouped = await s3.send(new ListMultipartUploadsCommand({ Bucket: "repo", Prefix: "main/mp/", Delimiter: "/" }));
    assert.deepEqual([grouped.Uploads?.map((u) => u.Key), grouped.CommonPrefixes?.map((c) => c.Prefix)], [["main/mp/joined.bin"], ["main/mp/deep/"]]);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: "repo", Key: "main/mp/deep/other.bin", UploadId: second.UploadId }));
    if (store === "s3") {
      // Metadata too large for the upload id: refused, and the upload the store had started is neither kept nor listed.
      const tooLarge = await s3Error(s3.send(new CreateMultipartUploadCommand({ Bucket: "repo", Key: "main/mp/fat.bin", Metadata: { big: "x".repeat(3500) } })));
      assert.equal(tooLarge.name, "InvalidArgument");
      assert.equal((await s3.send(new ListMultipartUploadsCommand({ Bucket: "repo", Prefix: "main/mp/fat" }))).Uploads?.length ?? 0, 0);
    }
    // Not yet visible.
    assert.equal((await s3Error(s3.send(new HeadObjectCommand({ Bucket: "repo", Key: "main/mp/joined.bin" })))).status, 404);
    const done = await s3.send(new CompleteMultipartUploadCommand({
      Bucket: "repo", Key: "main/mp/joined.bin", UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag }, { PartNumber: 2, ETag: e2.CopyPartResult?.ETag }, { PartNumber: 3, ETag: e3.ETag }] },
    }));
    assert.match(done.ETag ?? "", /-3"$/);
    const joined = await s3.send(new GetObjectCommand({ Bucket: "repo", Key: "main/mp/joined.bin" }));
    assert.equal(joined.ContentType, "application/x-joined");
    assert.equal(sha256(await bytes(joined.Body)), sha256(Buffer.concat([p1, src.subarray(0, 5 * 1024 * 1024), p3])));
    assert.equal((await s3.send(new ListMultipartUploadsCommand({ Bucket: "repo" }))).Uploads?.length ?? 0, 0, "completed and aborted uploads are no longer listed");

    const aborted = await s3.send(new CreateMultipartUploadCommand({ Bucket: "repo", Key: "main/mp/aborted.bin" }));
    await s3.send(new UploadPartCommand({ Bucket: "repo", Key: "main/mp/aborted.bin", UploadId: aborted.UploadId, PartNumber: 1, Body: "tiny" }));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: "repo", Key: "main/mp/aborted.bin", UploadId: aborted.UploadId }));
    assert.equal((await s3Error(s3.send(new ListPartsCommand({ Bucket: "repo", Key: "main/mp/aborted.bin", UploadId: aborted.UploadId })))).name, "NoSuchUpload");
    if (store !== "local") assert.equal((await s3Error(s3.send(new AbortMultipartUploadCommand({ Bucket: "repo", Key: "main/mp/aborted.bin", UploadId: aborted.UploadId })))).name, "NoSuchUpload");
    assert.equal((await s3Error(s3.send(new HeadObjectCommand({ Bucket: "repo", Key: "main/mp/aborted.bin" })))).status, 404);

    const big = randomBytes(12 * 1024 * 1024 + 17);
    await new Upload({ client: s3, params: { Bucket: "repo", Key: "main/mp/lib-storage.bin", Body: Readable.from([big]) }, partSize: 5 * 1024 * 1024, queueSize: 2 }).done();
    assert.equal(sha256(await bytes((await s3.send(new GetObjectCommand({ Bucket: "repo", Key: "main/mp/lib-storage.bin" }))).Body)), sha256(big));
  });

  it("answers NotImplemented in S3 XML for unsupported sub-resources", async () => {
    const e = await s3Error(s3.send(new GetObjectAclCommand({ Bucket: "repo", Key: "main/dir/a.bin" })));
    assert.deepEqual(e, { name: "NotImplemented", status: 501 });
  });

  it("a commit through TarnClient holds exactly what the gateway wrote; commit ids and tags read it back", async () => {
    await g.service.client.createBranch({ repository: "other", name: "snap", source: "main" });
    const files = new Map<string, Buffer>([["snap/x/one.bin", randomBytes(1000)], ["snap/x/two.bin", randomBytes(70_000)]]);
    for (const [k, v] of files) await s3.send(new PutObjectCommand({ Bucket: "other", Key: k, Body: v }));
    await s3.send(new DeleteObjectCommand({ Bucket: "other", Key: "snap/from-repo.txt" }));
    const commit = await g.service.client.commit({ repository: "other", branch: "snap", message: "through the gateway" });
    const committed: string[] = [];
    for await (const o of g.service.client.objects({ repository: "other", ref: commit.id })) committed.push(o.path);
    assert.deepEqual(committed, ["x/one.bin", "x/two.bin"]);
    await g.service.client.createTag({ repository: "other", id: "v1", ref: commit.id });
    // Later writes to the branch do not change what the commit and the tag show.
    await s3.send(new PutObjectCommand({ Bucket: "other", Key: "snap/x/one.bin", Body: "changed" }));
    for (const ref of [commit.id, "v1"]) {
      for (const [k, v] of files) {
        const key = `${ref}/${k.slice("snap/".length)}`;
        assert.equal(sha256(await bytes((await s3.send(new GetObjectCommand({ Bucket: "other", Key: key }))).Body)), sha256(v), key);
      }
    }
  });
});
