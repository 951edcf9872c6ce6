// Multipart uploads through the gateway on an Azure Blob store (Azurite): parts staged as blocks through the
// address's SAS URL, the upload id carrying everything (src/gateway/multipart-azure.ts). The happy path with
// a copied part and ListParts, then every refusal the stateless design promises: a wrong ETag, a second completion, a
// completion after abort, an upload id used for another key.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand,
  ListMultipartUploadsCommand, ListPartsCommand, PutObjectCommand, S3ServiceException, UploadPartCommand, UploadPartCopyCommand, type S3Client,
} from "@aws-sdk/client-s3";
import { sha256, startGateway, type TestGateway } from "./support";
import { s3ClientFor } from "../support/s3-clients";

const MB = 1024 * 1024;

async function bytes(body: unknown): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

async function s3Error(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof S3ServiceException) return err.name;
    throw err;
  }
  assert.fail("the call succeeded but an S3 error was expected");
}

const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");

describe("gateway: multipart uploads on an Azure Blob store (Azurite)", () => {
  let g: TestGateway;
  let s3: S3Client;
  before(async () => {
    g = await startGateway(["repo"], { store: "azure" });
    s3 = s3ClientFor(g);
  });
  after(async () => {
    s3?.destroy();
    await g?.close();
  });

  const start = async (key: string, contentType?: string) => (await s3.send(new CreateMultipartUploadCommand({ Bucket: "repo", Key: key, ContentType: contentType }))).UploadId!;
  const part = async (key: string, UploadId: string, PartNumber: number, Body: Buffer) => (await s3.send(new UploadPartCommand({ Bucket: "repo", Key: key, UploadId, PartNumber, Body }))).ETag!;
  const complete = (key: string, UploadId: string, parts: Array<[number, string]>) => s3.send(new CompleteMultipartUploadCommand({
    Bucket: "repo", Key: key, UploadId, MultipartUpload: { Parts: parts.map(([PartNumber, ETag]) => ({ PartNumber, ETag })) },
  }));

  it("joins uploaded and copied parts in the listed order, with the multipart ETag and the content type", async () => {
    const src = randomBytes(6 * MB);
    await s3.send(new PutObjectCommand({ Bucket: "repo", Key: "main/mp/source.bin", Body: src }));
    const key = "main/mp/joined.bin";
    const id = await start(key, "application/x-joined");
    const p1 = randomBytes(5 * MB);
    const p3 = randomBytes(1234);
    // Out of order, and part 1 uploaded twice: the last upload of a part is the one committed.
    const e3 = await part(key, id, 3, p3);
    await part(key, id, 1, randomBytes(5 * MB));
    const e1 = await part(key, id, 1, p1);
    assert.equal(e1, `"${md5(p1)}"`);
    const e2 = (await s3.send(new UploadPartCopyCommand({ Bucket: "repo", Key: key, UploadId: id, PartNumber: 2, CopySource: "repo/main/mp/source.bin", CopySourceRange: `bytes=0-${5 * MB - 1}` }))).CopyPartResult!.ETag!;
    assert.equal(e2, `"${md5(src.subarray(0, 5 * MB))}"`);
    // ListParts: from the blob's uncommitted blocks, the re-uploaded part 1 with its latest ETag; paged.
    const listed = await s3.send(new ListPartsCommand({ Bucket: "repo", Key: key, UploadId: id }));
    assert.deepEqual(listed.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size]), [[1, e1, 5 * MB], [2, e2, 5 * MB], [3, e3, 1234]]);
    assert.equal(listed.IsTruncated, false);
    const page = await s3.send(new ListPartsCommand({ Bucket: "repo", Key: key, UploadId: id, MaxParts: 2 }));
    assert.deepEqual(page.Parts?.map((p) => p.PartNumber), [1, 2]);
    assert.equal(page.IsTruncated, true);
    assert.equal(String(page.NextPartNumberMarker), "2");
    const rest = await s3.send(new ListPartsCommand({ Bucket: "repo", Key: key, UploadId: id, PartNumberMarker: "2" }));
    assert.deepEqual(rest.Parts?.map((p) => p.PartNumber), [3]);
    assert.equal(await s3Error(s3.send(new HeadObjectCommand({ Bucket: "repo", Key: key }))), "NotFound");
    // The metadata service records the upload: listed with the id create gave, until completed.
    const inProgress = await s3.send(new ListMultipartUploadsCommand({ Bucket: "repo", Prefix: key }));
    assert.deepEqual(inProgress.Uploads?.map((u) => [u.Key, u.UploadId]), [[key, id]]);

    const done = await complete(key, id, [[1, e1], [2, e2], [3, e3]]);
    const expectedEtag = createHash("md5").update(Buffer.concat([p1, src.subarray(0, 5 * MB), p3].map((b) => createHash("md5").update(b).digest()))).digest("hex");
    assert.equal(done.ETag, `"${expectedEtag}-3"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: "repo", Key: key }));
    assert.equal(got.ContentType, "application/x-joined");
    assert.equal(got.ETag, `"${expectedEtag}-3"`);
    const body = await bytes(got.Body);
    assert.equal(body.length, 10 * MB + 1234);
    assert.equal(sha256(body), sha256(Buffer.concat([p1, src.subarray(0, 5 * MB), p3])));

    // The same upload id cannot complete twice.
    assert.equal(await s3Error(complete(key, id, [[1, e1], [2, e2], [3, e3]])), "NoSuchUpload");
    assert.equal(await s3Error(s3.send(new ListPartsCommand({ Bucket: "repo", Key: key, UploadId: id }))), "NoSuchUpload");
    assert.equal((await s3.send(new ListMultipartUploadsCommand({ Bucket: "repo", Prefix: key }))).Uploads?.length ?? 0, 0, "a completed upload is no longer listed");
  });

  it("refuses a wrong ETag or a part never uploaded (InvalidPart), then completes with the right ones", async () => {
    const key = "main/mp/checked.bin";
    const id = await start(key);
    const p1 = randomBytes(5 * MB);
    const p2 = randomBytes(100);
    const e1 = await part(key, id, 1, p1);
    const e2 = await part(key, id, 2, p2);
    assert.equal(await s3Error(complete(key, id, [[1, e1], [2, `"${md5(Buffer.from("other bytes"))}"`]])), "InvalidPart");
    assert.equal(await s3Error(complete(key, id, [[1, e1], [2, e2], [3, e2]])), "InvalidPart");
    assert.equal(await s3Error(complete(key, id, [[2, e2], [1, e1]])), "InvalidPartOrder");
    await complete(key, id, [[1, e1], [2, e2]]);
    assert.equal(sha256(await bytes((await s3.send(new GetObjectCommand({ Bucket: "repo", Key: key }))).Body)), sha256(Buffer.concat([p1, p2])));
  });

  it("abort makes the upload id unusable for completion, and a second abort says NoSuchUpload", async () => {
    const key = "main/mp/aborted.bin";
    const id = await start(key);
    assert.deepEqual((await s3.send(new ListPartsCommand({ Bucket: "repo", Key: key, UploadId: id }))).Parts ?? [], [], "no part yet");
    const e1 = await part(key, id, 1, Buffer.from("tiny"));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: "repo", Key: key, UploadId: id }));
    assert.equal(await s3Error(s3.send(new ListPartsCommand({ Bucket: "repo", Key: key, UploadId: id }))), "NoSuchUpload");
    assert.equal(await s3Error(complete(key, id, [[1, e1]])), "NoSuchUpload");
    assert.equal(await s3Error(s3.send(new AbortMultipartUploadCommand({ Bucket: "repo", Key: key, UploadId: id }))), "NoSuchUpload");
    assert.equal(await s3Error(s3.send(new HeadObjectCommand({ Bucket: "repo", Key: key }))), "NotFound");
    assert.equal((await s3.send(new ListMultipartUploadsCommand({ Bucket: "repo", Prefix: key }))).Uploads?.length ?? 0, 0, "an aborted upload is no longer listed");
  });

  it("refuses an upload id for another key, and one it did not issue", async () => {
    const id = await start("main/mp/mine.bin");
    assert.equal(await s3Error(s3.send(new UploadPartCommand({ Bucket: "repo", Key: "main/mp/theirs.bin", UploadId: id, PartNumber: 1, Body: Buffer.from("x") }))), "NoSuchUpload");
    assert.equal(await s3Error(s3.send(new UploadPartCommand({ Bucket: "repo", Key: "main/mp/mine.bin", UploadId: "z.bm90LWpzb24", PartNumber: 1, Body: Buffer.from("x") }))), "NoSuchUpload");
    assert.equal(await s3Error(complete("main/mp/theirs.bin", id, [[1, `"${md5(Buffer.from("x"))}"`]])), "NoSuchUpload");
  });

  it("lists an expired upload until it is aborted; aborting it drops its record without touching the blob", async () => {
    const key = "main/mp/expired.bin";
    const id = await start(key);
    // The same upload as its URL would look once expired (the record is keyed by the upload's nonce).
    const fields = JSON.parse(Buffer.from(id.slice(2), "base64url").toString("utf8")) as { e: number };
    const expired = `z.${Buffer.from(JSON.stringify({ ...fields, e: Math.floor(Date.now() / 1000) - 60 })).toString("base64url")}`;
    assert.equal(await s3Error(s3.send(new UploadPartCommand({ Bucket: "repo", Key: key, UploadId: expired, PartNumber: 1, Body: Buffer.from("x") }))), "NoSuchUpload");
    assert.deepEqual((await s3.send(new ListMultipartUploadsCommand({ Bucket: "repo", Prefix: key }))).Uploads?.map((u) => u.UploadId), [id]);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: "repo", Key: key, UploadId: expired }));
    assert.equal((await s3.send(new ListMultipartUploadsCommand({ Bucket: "repo", Prefix: key }))).Uploads?.length ?? 0, 0, "the aborted record is gone");
    // The blob was left alone: the (unexpired) original id still works on it.
    const e1 = await part(key, id, 1, Buffer.from("late"));
    await complete(key, id, [[1, e1]]);
    assert.equal((await bytes((await s3.send(new GetObjectCommand({ Bucket: "repo", Key: key }))).Body)).toString(), "late");
  });
});
