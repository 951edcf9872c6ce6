// Bad input against real servers: a missing bucket or container, wrong credentials and an unreachable
// endpoint each give one clear TarnError naming the store (and the bucket, key or endpoint involved).
import * as assert from "node:assert/strict";
import { openObjectStore } from "../../src/block";
import type { ObjectStore } from "../../src/block/types";
import { azurite } from "../support/azurite";
import { freePort } from "../support/ports";
import { startProcess, waitUntil } from "../support/processes";
import { s3Server } from "../support/s3server";
import { ensureAptTool } from "../support/tools";
import { rejectsWith } from "./helpers";

async function closed<T>(store: ObjectStore, body: (store: ObjectStore) => Promise<T>): Promise<T> {
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

/**
 * An endpoint where TCP connects hang, like a firewalled address: a listener with a backlog of 0 that
 * never accepts, its queue filled by its own connections, so the kernel drops further SYNs.
 */
async function hangingEndpoint(): Promise<string> {
  const python = ensureAptTool("python3", "python3-minimal");
  const port = await freePort();
  const script = [
    "import socket, time",
    "s = socket.socket(); s.bind(('127.0.0.1', " + port + ")); s.listen(0)",
    "held = []",
    "for _ in range(4):",
    "    c = socket.socket(); c.setblocking(False); held.append(c)",
    "    try: c.connect(('127.0.0.1', " + port + "))",
    "    except BlockingIOError: pass",
    "print('ready', flush=True)",
    "time.sleep(600)",
  ].join("\n");
  const proc = startProcess(python, ["-c", script]);
  await waitUntil("hanging listener", async () => proc.output().includes("ready"), 10_000, proc);
  return `http://127.0.0.1:${port}`;
}

describe("object store errors: S3", () => {
  before(async function () {
    this.timeout(600_000); // the first run on a machine builds versitygw (go install, ~90 s or more)
    await s3Server();
  });

  it("names a missing bucket on every kind of call", async () => {
    const s3 = await s3Server();
    const config = { s3: { endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } };
    await closed(openObjectStore("s3://no-such-bucket/ns", config), async (store) => {
      const missing = ["s3://no-such-bucket/ns/", "bucket 'no-such-bucket' does not exist"];
      await rejectsWith(store.put("k", Buffer.from("x")), "NOT_FOUND", ...missing);
      await rejectsWith(store.getBuffer("k"), "NOT_FOUND", ...missing);
      await rejectsWith(store.head("k"), "NOT_FOUND", ...missing);
      await rejectsWith(store.exists("k"), "NOT_FOUND", ...missing); // not a silent "false"
      await rejectsWith(store.list(), "NOT_FOUND", ...missing);
      await rejectsWith(store.delete("k"), "NOT_FOUND", ...missing);
    });
  });

  it("says the credentials were rejected", async () => {
    const s3 = await s3Server();
    const config = { s3: { endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: "wrong-secret" } };
    await closed(openObjectStore(`s3://${s3.bucket}/ns`, config), async (store) => {
      const err = await rejectsWith(store.put("k", Buffer.from("x")), "UNAUTHENTICATED", `s3://${s3.bucket}/ns/`, "credentials were rejected", "'k'");
      assert.match(err.message, /SignatureDoesNotMatch/);
      await rejectsWith(store.list(), "UNAUTHENTICATED", `s3://${s3.bucket}/ns/`);
      await rejectsWith(store.head("k"), ["UNAUTHENTICATED", "PERMISSION_DENIED"], `s3://${s3.bucket}/ns/`, "'k'");
    });
    const unknownKey = { s3: { endpoint: s3.endpoint, accessKeyId: "nobody", secretAccessKey: "x" } };
    await closed(openObjectStore(`s3://${s3.bucket}/ns`, unknownKey), async (store) => {
      await rejectsWith(store.getBuffer("k"), "UNAUTHENTICATED", "credentials were rejected");
      await rejectsWith(store.head("k"), "UNAUTHENTICATED", "credentials were rejected"); // HEAD errors have no body
    });
  });

  it("says the endpoint is unreachable, after bounded retries", async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`; // nothing listens there
    await closed(openObjectStore("s3://some-bucket/ns", { s3: { endpoint, accessKeyId: "a", secretAccessKey: "b" } }), async (store) => {
      await rejectsWith(store.getBuffer("k"), "UNAVAILABLE", "s3://some-bucket/ns/", `endpoint ${endpoint} is unreachable`, "ECONNREFUSED");
      await rejectsWith(store.put("k", Buffer.from("x")), "UNAVAILABLE", endpoint);
    });
  });
});

describe("object store errors: endpoints that never answer a connect", () => {
  // The default connect timeout is 2 s with 3 attempts; shortened here to keep the test quick.
  const network = { connectTimeoutMs: 300, maxAttempts: 2 };

  it("S3 gives UNAVAILABLE instead of hanging", async () => {
    const endpoint = await hangingEndpoint();
    await closed(openObjectStore("s3://some-bucket/ns", { s3: { endpoint, accessKeyId: "a", secretAccessKey: "b" }, network }), async (store) => {
      await rejectsWith(store.head("k"), "UNAVAILABLE", "s3://some-bucket/ns/", `endpoint ${endpoint} is unreachable`);
    });
  });

  it("Azure gives UNAVAILABLE instead of hanging", async () => {
    const endpoint = `${await hangingEndpoint()}/devstoreaccount1`;
    const config = { azure: { accountKey: Buffer.alloc(64, 1).toString("base64"), endpoint }, network };
    await closed(openObjectStore("azure://devstoreaccount1/container/ns", config), async (store) => {
      await rejectsWith(store.head("k"), "UNAVAILABLE", "azure://devstoreaccount1/container/ns/", `endpoint ${endpoint} is unreachable`, "ETIMEDOUT");
    });
  });
});

describe("object store errors: Azure", () => {
  it("names a missing container on every kind of call", async () => {
    const az = await azurite();
    const config = { azure: { accountKey: az.accountKey, endpoint: az.endpoint } };
    await closed(openObjectStore(`azure://${az.accountName}/no-such-container/ns`, config), async (store) => {
      const missing = [`azure://${az.accountName}/no-such-container/ns/`, "container 'no-such-container' does not exist"];
      await rejectsWith(store.put("k", Buffer.from("x")), "NOT_FOUND", ...missing);
      await rejectsWith(store.getBuffer("k"), "NOT_FOUND", ...missing);
      await rejectsWith(store.head("k"), "NOT_FOUND", ...missing);
      await rejectsWith(store.exists("k"), "NOT_FOUND", ...missing);
      await rejectsWith(store.list(), "NOT_FOUND", ...missing);
      await rejectsWith(store.delete("k"), "NOT_FOUND", ...missing);
    });
  });

  it("says the credentials were rejected", async () => {
    const az = await azurite();
    const wrongKey = Buffer.alloc(64, 7).toString("base64");
    await closed(openObjectStore(`azure://${az.accountName}/${az.container}/ns`, { azure: { accountKey: wrongKey, endpoint: az.endpoint } }), async (store) => {
      const rejected = ["UNAUTHENTICATED", "PERMISSION_DENIED"] as const;
      await rejectsWith(store.put("k", Buffer.from("x")), [...rejected], `azure://${az.accountName}/${az.container}/ns/`, "credentials", "'k'");
      await rejectsWith(store.list(), [...rejected], "credentials");
    });
  });

  it("refuses a connection string for another account", () => {
    assert.throws(
      () => openObjectStore("azure://otheraccount/container/ns", { azure: { connectionString: "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;" } }),
      /INVALID_ARGUMENT|connection string is for account 'devstoreaccount1', not 'otheraccount'/,
    );
  });

  it("says the endpoint is unreachable, after bounded retries", async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}/devstoreaccount1`;
    const config = { azure: { accountKey: Buffer.alloc(64, 1).toString("base64"), endpoint } };
    await closed(openObjectStore("azure://devstoreaccount1/container/ns", config), async (store) => {
      await rejectsWith(store.getBuffer("k"), "UNAVAILABLE", "azure://devstoreaccount1/container/ns/", `endpoint ${endpoint} is unreachable`, "ECONNREFUSED");
      await rejectsWith(store.put("k", Buffer.from("x")), "UNAVAILABLE", endpoint);
    });
  });
});
