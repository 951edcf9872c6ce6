// `tarn gateway` mode: one gateway-signed client, credentials from AuthService.GetCredentialForGateway, and
// every call made on behalf of the S3 caller, so the service still applies each user's own policy.
import assert from "node:assert/strict";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException, type S3Client } from "@aws-sdk/client-s3";
import { startGateway, type TestGateway } from "./support";
import { KeyedClients, s3ClientFor, s3Outcome } from "../support/s3-clients";

describe("gateway: sidecar mode (gateway key, on behalf of users)", () => {
  let g: TestGateway;
  const keyed = new KeyedClients(() => g);
  const as = (accessKeyId: string, secretAccessKey: string) => keyed.as(accessKeyId, secretAccessKey);
  before(async () => {
    g = await startGateway(["team"], { sidecar: true });
  });
  after(async () => {
    keyed.destroy();
    await g?.close();
  });

  it("writes and reads back through the gateway as the admin", async () => {
    const admin = as(g.accessKeyId, g.secretAccessKey);
    await admin.send(new PutObjectCommand({ Bucket: "team", Key: "main/a/b.txt", Body: "sidecar bytes" }));
    const got = await admin.send(new GetObjectCommand({ Bucket: "team", Key: "main/a/b.txt" }));
    assert.equal(await got.Body?.transformToString(), "sidecar bytes");
    const listed = await admin.send(new ListObjectsV2Command({ Bucket: "team", Prefix: "main/a/" }));
    assert.deepEqual(listed.Contents?.map((o) => o.Key), ["main/a/b.txt"]);
  });

  it("applies the caller's own policy: a reader reads and may not write", async () => {
    await g.service.client.createUser({ id: "reader", policy: { statements: [{ effect: "EFFECT_ALLOW", actions: ["repos:Read"], resources: ["tarn:repo:*"] }] } });
    const key = await g.service.client.createAccessKey({ userId: "reader" });
    const reader = as(key.accessKeyId, key.secretAccessKey);
    const got = await reader.send(new GetObjectCommand({ Bucket: "team", Key: "main/a/b.txt" }));
    assert.equal(await got.Body?.transformToString(), "sidecar bytes");
    assert.equal(await s3Outcome(reader.send(new PutObjectCommand({ Bucket: "team", Key: "main/mine.txt", Body: "x" }))), "AccessDenied");
    await assert.rejects(g.service.client.statObject({ repository: "team", ref: "main", path: "mine.txt" }));
  });

  it("an unknown key or a wrong secret is refused", async () => {
    assert.equal(await s3Outcome(as("AKIANOSUCHKEY0000000", "x".repeat(40)).send(new GetObjectCommand({ Bucket: "team", Key: "main/a/b.txt" }))), "InvalidAccessKeyId");
    assert.equal(await s3Outcome(as(g.accessKeyId, "y".repeat(40)).send(new GetObjectCommand({ Bucket: "team", Key: "main/a/b.txt" }))), "SignatureDoesNotMatch");
  });
});

describe("gateway: concurrent reads are batched into StatObjects and each gets its own answer", () => {
  let g: TestGateway;
  let c: S3Client;
  before(async () => {
    g = await startGateway(["batch"]);
    c = s3ClientFor(g);
    for (let i = 0; i < 20; i++) await c.send(new PutObjectCommand({ Bucket: "batch", Key: `main/o${i}`, Body: `body ${i}` }));
  });
  after(async () => {
    c.destroy();
    await g?.close();
  });

  it("40 GETs at once, half of them missing", async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_v, i) =>
        c.send(new GetObjectCommand({ Bucket: "batch", Key: `main/o${i}` })).then(
          (r) => r.Body!.transformToString(),
          (err: unknown) => (err instanceof S3ServiceException ? err.name : Promise.reject(err)),
        ),
      ),
    );
    assert.deepEqual(answers, Array.from({ length: 40 }, (_v, i) => (i < 20 ? `body ${i}` : "NoSuchKey")));
  });
});
