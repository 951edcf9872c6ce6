// Presigned data I/O on Azure Blob (Azurite): the client PUTs bytes with a SAS URL, stages large objects as
// blocks and commits the block list itself, and reads back through a SAS GET; the service stages metadata.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { azurite, AzuriteServer } from "../support/azurite";
import { chunked, startService, TestService } from "./support";

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("metadata service: presigned upload and download on Azure (Azurite)", () => {
  let az: AzuriteServer;
  let t: TestService;
  before(async () => {
    az = await azurite();
    t = await startService({ storeConfig: { azure: { accountName: az.accountName, accountKey: az.accountKey, endpoint: az.endpoint } } });
    await t.client.createRepository({ name: "blobs", storageNamespace: `azure://${az.accountName}/${az.container}/metadata-test` });
  });
  after(async () => {
    await t?.close();
  });

  it("uploads with a SAS PUT and as blocks, and downloads with a SAS GET", async () => {
    const c = t.client;
    const small = Buffer.from("tiny blob");
    const s = await c.upload("blobs", "main", "small", small, { contentType: "text/plain" });
    assert.equal(s.sizeBytes, small.length);
    const big = randomBytes(11 * MiB);
    const b = await c.upload("blobs", "main", "big", chunked(big, 300 * 1024), { partSize: 5 * MiB, contentType: "application/octet-stream" });
    assert.equal(b.sizeBytes, big.length);
    await c.commit({ repository: "blobs", branch: "main", message: "blobs" });
    assert.equal((await c.downloadBuffer("blobs", "main", "small")).toString(), "tiny blob");
    assert.equal((await c.statObject({ repository: "blobs", ref: "main", path: "small" })).contentType, "text/plain");
    assert.equal(sha(await c.downloadBuffer("blobs", "main", "big")), sha(big));
  });
});
