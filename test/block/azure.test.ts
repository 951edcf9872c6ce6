import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { openObjectStore } from "../../src/block";
import { azurite } from "../support/azurite";
import { runObjectStoreConformance } from "./conformance";

// Each test gets a fresh prefix in the shared container of the shared Azurite process.
runObjectStoreConformance(
  "azure (Azurite)",
  async () => {
    const az = await azurite();
    return openObjectStore(`azure://${az.accountName}/${az.container}/conformance-${randomBytes(6).toString("hex")}`, {
      azure: { accountKey: az.accountKey, endpoint: az.endpoint },
    });
  },
  { abortForgetsUpload: false, listOrder: "utf16" },
);

describe("azure object store", () => {
  it("opens with a connection string as well as with a shared key", async () => {
    const az = await azurite();
    const store = openObjectStore(`azure://${az.accountName}/${az.container}/cs-${randomBytes(4).toString("hex")}`, {
      azure: { connectionString: az.connectionString },
    });
    try {
      await store.put("k", Buffer.from("via connection string"));
      assert.equal((await store.getBuffer("k")).toString(), "via connection string");
      const url = await store.presign("k", "GET", 60);
      assert.match(url, /[?&]sig=/);
      assert.equal(await (await fetch(url)).text(), "via connection string");
    } finally {
      await store.close();
    }
  });

  it("keeps user metadata names that Azure itself could not (hyphens, leading digits)", async () => {
    const az = await azurite();
    const store = openObjectStore(`azure://${az.accountName}/${az.container}/md-${randomBytes(4).toString("hex")}`, {
      azure: { accountKey: az.accountKey, endpoint: az.endpoint },
    });
    try {
      await store.put("k", Buffer.from("x"), { metadata: { "content-owner": "a", "9lives": "b", under_score: "c" } });
      assert.deepEqual((await store.head("k")).metadata, { "content-owner": "a", "9lives": "b", under_score: "c" });
    } finally {
      await store.close();
    }
  });

  it("hands out PUT URLs that may stage blocks and read back their own block list (the gateway lists multipart parts so)", async () => {
    const az = await azurite();
    const store = openObjectStore(`azure://${az.accountName}/${az.container}/sas-${randomBytes(4).toString("hex")}`, {
      azure: { accountKey: az.accountKey, endpoint: az.endpoint },
    });
    try {
      const url = await store.presign("data/blocks", "PUT", 60);
      const blockId = Buffer.from("block-0001").toString("base64");
      const staged = await fetch(`${url}&comp=block&blockid=${encodeURIComponent(blockId)}`, { method: "PUT", body: "part bytes" });
      assert.equal(staged.status, 201);
      const list = await fetch(`${url}&comp=blocklist&blocklisttype=uncommitted`);
      assert.equal(list.status, 200);
      assert.match(await list.text(), new RegExp(`<Name>${blockId}</Name><Size>10</Size>`));
      const other = (await store.presign("data/other", "PUT", 60)).replace("data%2Fother", "data%2Fblocks").replace("data/other", "data/blocks");
      assert.equal((await fetch(`${other}&comp=blocklist&blocklisttype=uncommitted`)).status, 403, "a URL for another address reads nothing here");
    } finally {
      await store.close();
    }
  });
});
