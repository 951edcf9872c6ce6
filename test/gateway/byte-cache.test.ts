// The small-object byte cache: keyed by address and checksum, bounded, and never in the way of a fresh
// entry (an overwrite through the gateway reads back the new bytes at once).
import assert from "node:assert/strict";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ByteCache } from "../../src/gateway/byte-cache";
import type * as M from "../../src/metadata/messages";
import { startGateway, type TestGateway } from "./support";
import { s3ClientFor } from "../support/s3-clients";

const stats = (physicalAddress: string, size: number, checksum = "c"): M.ObjectStats =>
  ({ path: "p", physicalAddress, checksum, sizeBytes: size, addressType: "ADDRESS_TYPE_RELATIVE" }) as unknown as M.ObjectStats;

describe("gateway: small-object byte cache", () => {
  it("keys by repository, address and checksum; keeps only small relative objects; evicts the least recently used", () => {
    const cache = new ByteCache(10, 4);
    cache.set("r", stats("a", 4), Buffer.from("aaaa"));
    assert.equal(cache.get("r", stats("a", 4))?.toString(), "aaaa");
    assert.equal(cache.get("other", stats("a", 4)), undefined);
    assert.equal(cache.get("r", stats("a", 4, "different")), undefined);
    cache.set("r", stats("big", 5), Buffer.from("bbbbb"));
    assert.equal(cache.get("r", stats("big", 5)), undefined, "over the per-object limit");
    cache.set("r", stats("wrong", 4), Buffer.from("abc"));
    assert.equal(cache.get("r", stats("wrong", 4)), undefined, "bytes that do not match the entry's size are not kept");
    cache.set("r", stats("b", 4), Buffer.from("bbbb"));
    cache.get("r", stats("a", 4)); // a is now the most recent
    cache.set("r", stats("c", 4), Buffer.from("cccc")); // 12 bytes > 10: b goes
    assert.equal(cache.get("r", stats("b", 4)), undefined);
    assert.equal(cache.get("r", stats("a", 4))?.toString(), "aaaa");
    assert.equal(cache.get("r", stats("c", 4))?.toString(), "cccc");
    assert.equal(cache.get("r", { ...stats("a", 4), addressType: "ADDRESS_TYPE_FULL" } as M.ObjectStats), undefined);
  });

  describe("through the gateway", () => {
    let g: TestGateway;
    let c: S3Client;
    before(async () => {
      g = await startGateway(["bytes"]);
      c = s3ClientFor(g);
    });
    after(async () => {
      c.destroy();
      await g?.close();
    });

    it("an overwritten or deleted object never reads back its old bytes", async () => {
      const read = async () => (await c.send(new GetObjectCommand({ Bucket: "bytes", Key: "main/k" }))).Body!.transformToString();
      await c.send(new PutObjectCommand({ Bucket: "bytes", Key: "main/k", Body: "first" }));
      assert.equal(await read(), "first");
      assert.equal(await read(), "first");
      await c.send(new PutObjectCommand({ Bucket: "bytes", Key: "main/k", Body: "second!" }));
      assert.equal(await read(), "second!");
      const part = await c.send(new GetObjectCommand({ Bucket: "bytes", Key: "main/k", Range: "bytes=1-3" }));
      assert.equal(await part.Body!.transformToString(), "eco");
      await g.service.client.deleteObject({ repository: "bytes", branch: "main", path: "k" });
      await assert.rejects(read(), (err: Error) => err.name === "NoSuchKey");
    });
  });
});
