// The optional read cache: a write through this gateway is visible at once; a write that bypasses it shows
// after the TTL, as documented.
import assert from "node:assert/strict";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3ServiceException, type S3Client } from "@aws-sdk/client-s3";
import { startGateway, type TestGateway } from "./support";
import { s3ClientFor } from "../support/s3-clients";

/** Long enough that a write around the gateway on a busy machine usually lands inside it (see the test). */
const TTL_MS = 1500;

describe("gateway: read cache", () => {
  let g: TestGateway;
  let s3: S3Client;
  before(async () => {
    g = await startGateway(["cached"], { readCacheMs: TTL_MS });
    s3 = s3ClientFor(g);
  });
  after(async () => {
    s3?.destroy();
    await g?.close();
  });
  const read = async (key: string) => {
    try {
      return await (await s3.send(new GetObjectCommand({ Bucket: "cached", Key: key }))).Body!.transformToString();
    } catch (err) {
      if (err instanceof S3ServiceException) return err.name;
      throw err;
    }
  };

  it("drops a path on writes through the gateway, and expires entries written elsewhere", async () => {
    await s3.send(new PutObjectCommand({ Bucket: "cached", Key: "main/k", Body: "one" }));
    assert.equal(await read("main/k"), "one");
    await s3.send(new PutObjectCommand({ Bucket: "cached", Key: "main/k", Body: "two" }));
    assert.equal(await read("main/k"), "two");
    await s3.send(new DeleteObjectCommand({ Bucket: "cached", Key: "main/k" }));
    assert.equal(await read("main/k"), "NoSuchKey");
    await s3.send(new PutObjectCommand({ Bucket: "cached", Key: "main/k", Body: "three" }));
    const cachedAt = performance.now();
    assert.equal(await read("main/k"), "three");
    // Written around the gateway: the cached answer holds until the TTL passes. That is only checkable while
    // the TTL has not run out already (a heavily loaded machine can take longer than it for the upload).
    await g.service.client.upload("cached", "main", "k", Buffer.from("four"));
    const seen = await read("main/k");
    if (performance.now() - cachedAt < TTL_MS) assert.equal(seen, "three");
    await new Promise((r) => setTimeout(r, TTL_MS + 100));
    assert.equal(await read("main/k"), "four");
  });
});
