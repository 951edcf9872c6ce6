import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { openObjectStore } from "../../src/block";
import { s3Server } from "../support/s3server";
import { runObjectStoreConformance } from "./conformance";

before(async function () {
  this.timeout(600_000); // the first run on a machine builds versitygw (go install, ~90 s or more)
  await s3Server();
});

// Each test gets a fresh prefix in the shared bucket of the shared versitygw process.
runObjectStoreConformance("s3 (versitygw)", async () => {
  const s3 = await s3Server();
  return openObjectStore(`s3://${s3.bucket}/conformance-${randomBytes(6).toString("hex")}`, {
    s3: { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
});

describe("s3 object store", () => {
  it("uses the SDK's default credential chain when no keys are configured", async () => {
    const s3 = await s3Server();
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
    const store = openObjectStore(`s3://${s3.bucket}/chain-${randomBytes(4).toString("hex")}`, { s3: { endpoint: s3.endpoint } });
    try {
      await store.put("k", Buffer.from("from the environment's keys"));
      assert.equal((await store.getBuffer("k")).toString(), "from the environment's keys");
    } finally {
      await store.close();
      restore("AWS_ACCESS_KEY_ID", saved.id);
      restore("AWS_SECRET_ACCESS_KEY", saved.secret);
    }
  });

  it("keeps objects of different prefixes apart in one bucket", async () => {
    const s3 = await s3Server();
    const config = { s3: { endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } };
    const tag = randomBytes(4).toString("hex");
    const a = openObjectStore(`s3://${s3.bucket}/iso-${tag}/a`, config);
    const b = openObjectStore(`s3://${s3.bucket}/iso-${tag}/a-b`, config);
    try {
      await a.put("k", Buffer.from("a"));
      await b.put("k", Buffer.from("b"));
      assert.deepEqual((await a.list()).objects.map((o) => o.key), ["k"]);
      assert.equal((await b.getBuffer("k")).toString(), "b");
    } finally {
      await a.close();
      await b.close();
    }
  });
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
