// Issue 6's bad input: each answers with the right S3 error, and none leaves a partial object visible or
// staged (checked through the metadata service, and no stray files in the store).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { GetObjectCommand, PutObjectCommand, S3ServiceException, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { code, send, signedHeaders, unsignedChunked } from "./raw";
import { startGateway, type TestGateway } from "./support";
import { s3ClientFor } from "../support/s3-clients";

describe("gateway: bad input", () => {
  let g: TestGateway;
  let s3: S3Client;
  const client = (accessKeyId: string, secretAccessKey: string) =>
    s3ClientFor(g, { accessKeyId, secretAccessKey });
  const failure = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      if (err instanceof S3ServiceException) return { code: err.name, status: err.$metadata.httpStatusCode };
      throw err;
    }
    return assert.fail("expected an S3 error");
  };
  const raw = (method: string, key: string, headers: Record<string, string>, payloadHash: string, query = "") => {
    const url = new URL(`${g.endpoint}/bad/${key}${query}`);
    return { url, headers: signedHeaders({ method, url, headers, payloadHash, accessKeyId: g.accessKeyId, secretAccessKey: g.secretAccessKey }) };
  };
  /** Nothing staged or committed at the path, and no half-written file left in the store. */
  const nothingAt = async (p: string) => {
    await assert.rejects(g.service.client.statObject({ repository: "bad", ref: "main", path: p }), (err: Error & { code?: string }) => err.code === "NOT_FOUND");
    const store = path.join(g.service.namespace("bad").slice("local://".length), "data");
    const stray = fs.existsSync(store) ? fs.readdirSync(store).filter((f) => f.includes(".gw-")) : [];
    assert.deepEqual(stray, []);
  };

  before(async () => {
    g = await startGateway(["bad"]);
    s3 = client(g.accessKeyId, g.secretAccessKey);
  });
  after(async () => {
    s3?.destroy();
    await g?.close();
  });

  it("refuses a wrong secret, an unknown key, no signature and an expired presigned URL", async () => {
    assert.deepEqual(await failure(client(g.accessKeyId, "wrong-secret-wrong-secret-wrong").send(new PutObjectCommand({ Bucket: "bad", Key: "main/a", Body: "x" }))), { code: "SignatureDoesNotMatch", status: 403 });
    assert.deepEqual(await failure(client("AKIAUNKNOWNKEY000000", "whatever-secret").send(new GetObjectCommand({ Bucket: "bad", Key: "main/a" }))), { code: "InvalidAccessKeyId", status: 403 });
    const anonymous = await fetch(`${g.endpoint}/bad/main/a`);
    assert.equal(anonymous.status, 403);
    assert.equal(code({ status: 403, body: await anonymous.text() }), "AccessDenied");
    const expired = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "bad", Key: "main/a" }), { expiresIn: 1, signingDate: new Date(Date.now() - 60_000) });
    const res = await fetch(expired);
    const body = await res.text();
    assert.equal(res.status, 403);
    assert.equal(code({ status: 403, body }), "AccessDenied");
    assert.match(body, /expired/);
    await nothingAt("a");
  });

  it("refuses writes to a tag or a commit", async () => {
    const commit = await g.service.client.commit({ repository: "bad", branch: "main", message: "empty", allowEmpty: true });
    await g.service.client.createTag({ repository: "bad", id: "v1", ref: commit.id });
    assert.deepEqual(await failure(s3.send(new PutObjectCommand({ Bucket: "bad", Key: "v1/x.txt", Body: "x" }))), { code: "MethodNotAllowed", status: 405 });
    assert.deepEqual(await failure(s3.send(new PutObjectCommand({ Bucket: "bad", Key: `${commit.id}/x.txt`, Body: "x" }))), { code: "MethodNotAllowed", status: 405 });
  });

  it("refuses keys with '..', NUL or over 1024 bytes", async () => {
    assert.deepEqual(await failure(s3.send(new PutObjectCommand({ Bucket: "bad", Key: "main/a/../b", Body: "x" }))), { code: "InvalidArgument", status: 400 });
    assert.deepEqual(await failure(s3.send(new PutObjectCommand({ Bucket: "bad", Key: "main/a\0b", Body: "x" }))), { code: "InvalidArgument", status: 400 });
    assert.deepEqual(await failure(s3.send(new PutObjectCommand({ Bucket: "bad", Key: "main/" + "k".repeat(1100), Body: "x" }))), { code: "KeyTooLongError", status: 400 });
  });

  it("refuses wrong checksums: Content-MD5, x-amz-checksum-crc32, x-amz-content-sha256 and a trailer", async () => {
    const wrongMd5 = Buffer.alloc(16).toString("base64");
    assert.deepEqual(await failure(s3.send(new PutObjectCommand({ Bucket: "bad", Key: "main/md5", Body: "payload", ContentMD5: wrongMd5 }))), { code: "BadDigest", status: 400 });
    await nothingAt("md5");
    assert.deepEqual(await failure(s3.send(new PutObjectCommand({ Bucket: "bad", Key: "main/crc", Body: "payload", ChecksumCRC32: "AAAAAA==" }))), { code: "BadDigest", status: 400 });
    await nothingAt("crc");
    const body = Buffer.from("payload");
    const sha = raw("PUT", "main/sha", { "content-length": String(body.length) }, "0".repeat(64));
    const r1 = await send("PUT", sha.url, sha.headers, [body]);
    assert.equal(code(r1), "XAmzContentSHA256Mismatch");
    await nothingAt("sha");
    const framed = unsignedChunked([body], { "x-amz-checksum-crc32": Buffer.alloc(4).toString("base64") });
    const tr = raw("PUT", "main/trailer", { "content-length": String(framed.length), "content-encoding": "aws-chunked", "x-amz-decoded-content-length": String(body.length), "x-amz-trailer": "x-amz-checksum-crc32" }, "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    const r2 = await send("PUT", tr.url, tr.headers, [framed]);
    assert.equal(code(r2), "BadDigest");
    await nothingAt("trailer");
    // The right trailer is accepted, to show the refusals above are about the values.
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    const good = unsignedChunked([body.subarray(0, 3), body.subarray(3)], { "x-amz-checksum-crc32": crc.toString("base64") });
    const ok = raw("PUT", "main/trailer", { "content-length": String(good.length), "content-encoding": "aws-chunked", "x-amz-decoded-content-length": String(body.length), "x-amz-trailer": "x-amz-checksum-crc32" }, "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    assert.equal((await send("PUT", ok.url, ok.headers, [good])).status, 200);
  });

  it("refuses bodies shorter or longer than declared, and a client hanging up mid-upload", async () => {
    const body = randomBytes(1000);
    // aws-chunked carrying more bytes than x-amz-decoded-content-length.
    const framed = unsignedChunked([body], {});
    const longer = raw("PUT", "main/longer", { "content-length": String(framed.length), "content-encoding": "aws-chunked", "x-amz-decoded-content-length": "500" }, "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    const r1 = await send("PUT", longer.url, longer.headers, [framed]);
    assert.equal(r1.status, 400);
    assert.equal(code(r1), "InvalidRequest");
    await nothingAt("longer");
    // aws-chunked ending before the declared length.
    const shorter = raw("PUT", "main/shorter", { "content-length": String(framed.length), "content-encoding": "aws-chunked", "x-amz-decoded-content-length": "2000" }, "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    const r2 = await send("PUT", shorter.url, shorter.headers, [framed]);
    assert.equal(code(r2), "IncompleteBody");
    await nothingAt("shorter");
    // A plain body that stops half way: the client hangs up.
    const torn = raw("PUT", "main/torn", { "content-length": String(4 * 1024 * 1024) }, "UNSIGNED-PAYLOAD");
    await send("PUT", torn.url, torn.headers, [randomBytes(1024 * 1024)], true);
    await new Promise((r) => setTimeout(r, 300));
    await nothingAt("torn");
    // The same with a small body, which the gateway reads whole before writing anything.
    const tornSmall = raw("PUT", "main/torn-small", { "content-length": "100000" }, "UNSIGNED-PAYLOAD");
    await send("PUT", tornSmall.url, tornSmall.headers, [randomBytes(10_000)], true);
    await new Promise((r) => setTimeout(r, 300));
    await nothingAt("torn-small");
  });

  it("refuses malformed XML in DeleteObjects and CompleteMultipartUpload", async () => {
    const xml = Buffer.from("<Delete><Object><Key>main/x</Key></Delete>");
    const md5 = (await import("node:crypto")).createHash("md5").update(xml).digest("base64");
    const del = raw("POST", "", { "content-length": String(xml.length), "content-md5": md5 }, "UNSIGNED-PAYLOAD", "?delete");
    const r1 = await send("POST", del.url, del.headers, [xml]);
    assert.equal(r1.status, 400);
    assert.equal(code(r1), "MalformedXML");
    const created = raw("POST", "main/mp", {}, "UNSIGNED-PAYLOAD", "?uploads");
    const uploadId = /<UploadId>([^<]+)</.exec((await send("POST", created.url, created.headers)).body)![1];
    const bad = Buffer.from("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>");
    const complete = raw("POST", "main/mp", { "content-length": String(bad.length) }, "UNSIGNED-PAYLOAD", `?uploadId=${uploadId}`);
    const r2 = await send("POST", complete.url, complete.headers, [bad]);
    assert.equal(r2.status, 400);
    assert.equal(code(r2), "MalformedXML");
    await nothingAt("mp");
  });
});
