// Each caller acts with their own key: the metadata service applies that user's policy to what they do
// through the gateway. New keys work within a second of a failed lookup; deleted keys stop working.
import assert from "node:assert/strict";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { credentialResolver } from "../../src/gateway";
import { startGateway, type TestGateway } from "./support";
import { KeyedClients, s3Outcome } from "../support/s3-clients";

describe("gateway: users and keys", () => {
  let g: TestGateway;
  const keyed = new KeyedClients(() => g);
  const as = (accessKeyId: string, secretAccessKey: string) => keyed.as(accessKeyId, secretAccessKey);
  before(async () => {
    g = await startGateway(["team"]);
  });
  after(async () => {
    keyed.destroy();
    await g?.close();
  });

  it("applies the caller's own policy: a reader reads and may not write", async () => {
    await as(g.accessKeyId, g.secretAccessKey).send(new PutObjectCommand({ Bucket: "team", Key: "main/shared.txt", Body: "shared" }));
    await g.service.client.createUser({ id: "reader", policy: { statements: [{ effect: "EFFECT_ALLOW", actions: ["repos:Read"], resources: ["tarn:repo:*"] }] } });
    const key = await g.service.client.createAccessKey({ userId: "reader" });
    const reader = as(key.accessKeyId, key.secretAccessKey);
    const got = await reader.send(new GetObjectCommand({ Bucket: "team", Key: "main/shared.txt" }));
    assert.equal(await got.Body?.transformToString(), "shared");
    assert.equal(await s3Outcome(reader.send(new PutObjectCommand({ Bucket: "team", Key: "main/mine.txt", Body: "x" }))), "AccessDenied");
    await assert.rejects(g.service.client.statObject({ repository: "team", ref: "main", path: "mine.txt" }));
  });

  it("caches lookups briefly: misses for about a second, hits until the TTL", async () => {
    const table = new Map<string, { secretAccessKey: string; userId: string }>();
    let lookups = 0;
    const resolver = credentialResolver((id) => (lookups++, table.get(id)), { ttlMs: 60_000, missTtlMs: 50 });
    assert.equal(await resolver.resolve("AK1"), undefined);
    table.set("AK1", { secretAccessKey: "s", userId: "u" });
    assert.equal(await resolver.resolve("AK1"), undefined, "a miss is cached");
    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual(await resolver.resolve("AK1"), { secretAccessKey: "s", userId: "u" });
    table.delete("AK1");
    assert.deepEqual(await resolver.resolve("AK1"), { secretAccessKey: "s", userId: "u" }, "a hit is cached for the TTL");
    assert.equal(lookups, 2);
  });
});
