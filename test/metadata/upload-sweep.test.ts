// The leader's sweep of abandoned multipart uploads recorded in the replicated state (upload-sweep.ts),
// against real parts: LevelDB on disk, versitygw for S3, Azurite for Azure, and a three-member Raft group
// for "only the leader sweeps". Records are made old by rewriting their `initiated` time through the
// key-value store (as if written 8 days ago) or by the sweep's injected clock; nothing waits for days.
import { ListMultipartUploadsCommand, S3Client } from "@aws-sdk/client-s3";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Registry } from "prom-client";
import { openObjectStore, type ObjectStore, type ObjectStoreConfig } from "../../src/block";
import { TarnClient } from "../../src/client";
import { DEFAULT_UPLOAD_MAX_AGE_MS } from "../../src/gateway/multipart-sweep";
import { branchId, repositoryId, type KvBatch, type KvStore } from "../../src/graveler";
import { LocalService, silentLogger, Storage, type MultipartUploadRecord } from "../../src/metadata";
import { putUploadRecord } from "../../src/metadata/upload-records";
import { UploadSweep, type UploadSweepOptions } from "../../src/metadata/upload-sweep";
import { uploadMaxAgeFromEnv } from "../../src/server/service";
import { StateNode } from "../../src/state";
import { azurite, AzuriteServer } from "../support/azurite";
import { waitUntil } from "../support/processes";
import { s3Server, S3Server } from "../support/s3server";
import { startRaftMembers, startService, TestService } from "./support";

const DAY = 24 * 3600 * 1000;
const DAY_S = 24 * 3600;

/** Rewrites a record as if its upload had started `seconds` earlier: the same write RecordMultipartUpload makes. */
async function backdate(kv: KvStore, repo: string, u: MultipartUploadRecord, seconds: number): Promise<void> {
  const value = {
    physicalAddress: u.physicalAddress, initiated: Number(u.initiated) - seconds, contentType: u.contentType,
    ...(Object.keys(u.userMetadata).length > 0 ? { userMetadata: u.userMetadata } : {}),
    ...(u.clientUploadId ? { clientUploadId: u.clientUploadId } : {}),
  };
  await kv.write({ mutations: [putUploadRecord(repositoryId(repo), branchId(u.branch), u.path, u.uploadId, value)] });
}

async function listed(c: TarnClient, repository: string): Promise<string[]> {
  return (await c.listMultipartUploads({ repository })).uploads.map((u) => u.uploadId);
}

async function sweptCount(registry: Registry, store: string): Promise<number> {
  const metric = registry.getSingleMetric("tarn_multipart_uploads_swept_total");
  if (!metric) return 0;
  return (await metric.get()).values.find((v) => v.labels.store === store)?.value ?? 0;
}

function s3Config(s3: S3Server): ObjectStoreConfig {
  return { s3: { endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true } };
}

/** Upload ids of the store's own multipart uploads under a key prefix of the test bucket. */
async function storeUploads(s3: S3Server, prefix: string): Promise<string[]> {
  const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
  try {
    const out = await client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: prefix }));
    return (out.Uploads ?? []).map((u) => u.UploadId!).sort();
  } finally {
    client.destroy();
  }
}

/** A service with `config` and one repository on `namespace`, and sweeps over its state (stopped at the end). */
function sweepFixture(config: () => ObjectStoreConfig, repository: string, namespace: () => string) {
  const f = { t: undefined as unknown as TestService, storage: undefined as unknown as Storage, sweeps: [] as UploadSweep[] };
  before(async () => {
    f.t = await startService({ storeConfig: config() });
    f.storage = new Storage({ openStore: (ns) => openObjectStore(ns, config()), config: config() });
    await f.t.client.createRepository({ name: repository, storageNamespace: namespace() });
  });
  after(async () => {
    for (const s of f.sweeps) await s.stop();
    await f.storage?.close();
    await f.t?.close();
  });
  const sweep = (extra: Partial<UploadSweepOptions> = {}) => {
    const s = new UploadSweep({ kv: f.t.svc.kv, repositories: f.t.svc.graveler, storage: f.storage, isLeader: () => true, logger: silentLogger, maxAgeMs: DEFAULT_UPLOAD_MAX_AGE_MS, ...extra });
    f.sweeps.push(s);
    return s;
  };
  return { f, sweep };
}

describe("sweep of recorded multipart uploads: S3 (versitygw)", () => {
  let s3: S3Server;
  before(async () => {
    s3 = await s3Server();
  });
  const { f, sweep } = sweepFixture(() => s3Config(s3), "sweep", () => `s3://${s3.bucket}/sweep-test`);
  let t: TestService;
  before(() => {
    t = f.t;
  });
  afterEach(async () => {
    // Each case starts with no upload listed.
    for (const u of (await t.client.listMultipartUploads({ repository: "sweep" })).uploads) {
      await t.client.abortMultipartUpload({ repository: "sweep", branch: u.branch, path: u.path, physicalAddress: u.physicalAddress, multipartUploadId: u.uploadId }).catch(() => undefined);
      await t.client.forgetMultipartUpload({ repository: "sweep", branch: u.branch, path: u.path, uploadId: u.uploadId }).catch(() => undefined);
    }
  });

  it("aborts an old upload on the store and forgets its record; a young one is kept", async () => {
    const c = t.client;
    const prepare = (p: string) => c.prepareUpload({ repository: "sweep", branch: "main", path: p, presign: true, partCount: 2 });
    const old = await prepare("old.bin");
    const young = await prepare("young.bin");
    assert.equal((await fetch(old.partUrls[0], { method: "PUT", body: Buffer.from("a part of the old upload") })).status, 200);
    const oldRecord = (await c.listMultipartUploads({ repository: "sweep" })).uploads.find((u) => u.uploadId === old.multipartUploadId)!;
    await backdate(t.svc.kv, "sweep", oldRecord, 8 * DAY_S);
    assert.deepEqual(await storeUploads(s3, "sweep-test/"), [old.multipartUploadId, young.multipartUploadId].sort());

    const registry = new Registry();
    const result = await sweep({ registry }).runPass();
    assert.deepEqual(result, { scanned: 2, swept: 1, failed: 0, wrapped: true });
    assert.deepEqual(await listed(c, "sweep"), [young.multipartUploadId]);
    assert.deepEqual(await storeUploads(s3, "sweep-test/"), [young.multipartUploadId], "the store no longer has the old upload");
    assert.equal((await fetch(old.partUrls[1], { method: "PUT", body: Buffer.from("late part") })).status, 404, "a part of the swept upload is refused");
    assert.equal((await fetch(young.partUrls[0], { method: "PUT", body: Buffer.from("a part of the young upload") })).status, 200);
    assert.equal(await sweptCount(registry, "s3"), 1);

    // Six days on, the young upload is still kept; eight days on, it goes too.
    assert.deepEqual(await sweep({ now: () => Date.now() + 6 * DAY }).runPass(), { scanned: 1, swept: 0, failed: 0, wrapped: true });
    assert.deepEqual(await listed(c, "sweep"), [young.multipartUploadId]);
    assert.deepEqual(await sweep({ now: () => Date.now() + 8 * DAY }).runPass(), { scanned: 1, swept: 1, failed: 0, wrapped: true });
    assert.deepEqual(await listed(c, "sweep"), []);
    assert.deepEqual(await storeUploads(s3, "sweep-test/"), []);
  });

  it("keeps a record re-recorded during the sweep; an upload the store no longer knows is forgotten", async () => {
    const c = t.client;
    const target = { repository: "sweep", branch: "main", path: "own.bin", uploadId: "not-a-store-upload" };
    await c.recordMultipartUpload({ ...target, physicalAddress: "data/own", contentType: "text/plain" });
    const record = (await c.listMultipartUploads({ repository: "sweep" })).uploads[0];
    await backdate(t.svc.kv, "sweep", record, 8 * DAY_S);

    // Between the sweep's read and its delete, a client records the same upload again (RecordMultipartUpload).
    let raced = false;
    const racingKv: KvStore = {
      get: (key) => t.svc.kv.get(key),
      scan: (o) => t.svc.kv.scan(o),
      close: async () => undefined,
      write: async (batch: KvBatch) => {
        if (!raced) {
          raced = true;
          await c.recordMultipartUpload({ ...target, physicalAddress: "data/own", contentType: "text/html" });
        }
        return t.svc.kv.write(batch);
      },
    };
    assert.deepEqual(await sweep({ kv: racingKv }).runPass(), { scanned: 1, swept: 0, failed: 0, wrapped: true });
    const kept = (await c.listMultipartUploads({ repository: "sweep" })).uploads;
    assert.deepEqual(kept.map((u) => [u.uploadId, u.contentType]), [["not-a-store-upload", "text/html"]], "the record written meanwhile stays");

    // Once old, it goes: the store's NoSuchUpload counts as aborted.
    assert.deepEqual(await sweep({ now: () => Date.now() + 8 * DAY }).runPass(), { scanned: 1, swept: 1, failed: 0, wrapped: true });
    assert.deepEqual(await listed(c, "sweep"), []);
  });

  it("keeps an upload whose abort fails (refused credentials, missing bucket) and sweeps it on a later pass", async () => {
    const c = t.client;
    const up = await c.prepareUpload({ repository: "sweep", branch: "main", path: "stuck.bin", presign: true, partCount: 2 });
    await backdate(t.svc.kv, "sweep", (await c.listMultipartUploads({ repository: "sweep" })).uploads[0], 8 * DAY_S);
    const wrongKeys: ObjectStoreConfig = { s3: { ...s3Config(s3).s3, secretAccessKey: "not-the-secret" } };
    const broken = [
      new Storage({ openStore: (ns) => openObjectStore(ns, wrongKeys), config: wrongKeys }),
      new Storage({ openStore: (ns) => openObjectStore(ns.replace(s3.bucket, "no-such-bucket"), s3Config(s3)), config: s3Config(s3) }),
    ];
    try {
      for (const storage of broken) {
        assert.deepEqual(await sweep({ storage }).runPass(), { scanned: 1, swept: 0, failed: 1, wrapped: true });
        assert.deepEqual(await listed(c, "sweep"), [up.multipartUploadId]);
        assert.deepEqual(await storeUploads(s3, "sweep-test/"), [up.multipartUploadId]);
      }
    } finally {
      for (const storage of broken) await storage.close();
    }
    assert.deepEqual(await sweep().runPass(), { scanned: 1, swept: 1, failed: 0, wrapped: true });
    assert.deepEqual(await storeUploads(s3, "sweep-test/"), []);
  });

  it("reads a bounded number of records per pass and continues where the last pass stopped", async () => {
    const c = t.client;
    for (const p of ["a", "b", "c"]) await c.recordMultipartUpload({ repository: "sweep", branch: "main", path: p, uploadId: `up-${p}`, physicalAddress: `data/${p}`, contentType: "" });
    const s = sweep({ now: () => Date.now() + 8 * DAY, maxScannedPerPass: 2 });
    assert.deepEqual(await s.runPass(), { scanned: 2, swept: 2, failed: 0, wrapped: false });
    assert.deepEqual(await listed(c, "sweep"), ["up-c"]);
    assert.deepEqual(await s.runPass(), { scanned: 1, swept: 1, failed: 0, wrapped: true });
    assert.deepEqual(await listed(c, "sweep"), []);
  });

  it("a member that does not lead does nothing", async () => {
    const c = t.client;
    await c.recordMultipartUpload({ repository: "sweep", branch: "main", path: "f", uploadId: "up-f", physicalAddress: "data/f", contentType: "" });
    assert.equal(await sweep({ isLeader: () => false, now: () => Date.now() + 8 * DAY }).runPass(), undefined);
    assert.deepEqual(await listed(c, "sweep"), ["up-f"]);
  });

  it("TARN_UPLOAD_MAX_AGE_DAYS sets the age limit; a bad value is one clear error", () => {
    assert.equal(uploadMaxAgeFromEnv({}), undefined);
    assert.equal(uploadMaxAgeFromEnv({ TARN_UPLOAD_MAX_AGE_DAYS: "1.5" }), 1.5 * DAY);
    for (const bad of ["0", "-1", "a week", "Infinity"]) {
      assert.throws(() => uploadMaxAgeFromEnv({ TARN_UPLOAD_MAX_AGE_DAYS: bad }), { code: "INVALID_ARGUMENT", message: /TARN_UPLOAD_MAX_AGE_DAYS must be a positive number of days/ });
    }
  });
});

describe("sweep of recorded multipart uploads: Azure (Azurite)", () => {
  let az: AzuriteServer;
  before(async () => {
    az = await azurite();
  });
  const { f, sweep } = sweepFixture(() => ({ azure: { accountName: az.accountName, accountKey: az.accountKey, endpoint: az.endpoint } }), "blobsweep", () => `azure://${az.accountName}/${az.container}/sweep-test`);
  let t: TestService;
  before(() => {
    t = f.t;
  });

  it("forgets an old upload's record without writing to the store, keeps a young one, and waits for the SAS URL to expire", async () => {
    const c = t.client;
    // As the gateway starts an Azure upload: a fresh address with a SAS URL, then a record keyed by a nonce.
    const start = async (p: string, nonce: string) => {
      const prepared = await c.prepareUpload({ repository: "blobsweep", branch: "main", path: p, presign: true, partCount: 0 });
      await c.recordMultipartUpload({ repository: "blobsweep", branch: "main", path: p, uploadId: nonce, physicalAddress: prepared.physicalAddress, contentType: "", clientUploadId: `z.${nonce}` });
      return prepared;
    };
    const old = await start("old.bin", "00000000000000aa");
    await start("young.bin", "00000000000000bb");
    const oldRecord = (await c.listMultipartUploads({ repository: "blobsweep" })).uploads.find((u) => u.uploadId === "00000000000000aa")!;
    await backdate(t.svc.kv, "blobsweep", oldRecord, 8 * DAY_S);

    const registry = new Registry();
    assert.deepEqual(await sweep({ registry }).runPass(), { scanned: 2, swept: 1, failed: 0, wrapped: true });
    assert.deepEqual(await listed(c, "blobsweep"), ["00000000000000bb"]);
    assert.equal(await sweptCount(registry, "azure"), 1);
    const store = f.storage.store(`azure://${az.accountName}/${az.container}/sweep-test`);
    await assert.rejects(store.head(old.physicalAddress), { code: "NOT_FOUND" }, "the sweep wrote no blob at the upload's address");

    // With an age limit shorter than the SAS URL's life (15 minutes), a record stays until the URL expired.
    const short = (minutes: number) => sweep({ maxAgeMs: 1000, now: () => Date.now() + minutes * 60_000 });
    assert.deepEqual(await short(10).runPass(), { scanned: 1, swept: 0, failed: 0, wrapped: true });
    assert.deepEqual(await listed(c, "blobsweep"), ["00000000000000bb"]);
    assert.deepEqual(await short(16).runPass(), { scanned: 1, swept: 1, failed: 0, wrapped: true });
    assert.deepEqual(await listed(c, "blobsweep"), []);
  });
});

interface Member {
  id: string;
  node: StateNode;
  svc: LocalService;
  storage: Storage;
  registry: Registry;
  sweep: UploadSweep;
}

describe("sweep of recorded multipart uploads: only the Raft leader sweeps (three members, versitygw)", () => {
  let s3: S3Server;
  let dir: string;
  let snapshots: ObjectStore;
  let client: TarnClient;
  const members: Member[] = [];

  before(async () => {
    s3 = await s3Server();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-upload-sweep-"));
    snapshots = openObjectStore(`local://${path.join(dir, "snapshots")}`);
    for (const { id, node, svc } of await startRaftMembers(dir, snapshots, s3Config(s3))) {
      const storage = new Storage({ openStore: (ns) => openObjectStore(ns, s3Config(s3)), config: s3Config(s3) });
      const registry = new Registry();
      // Aged by a clock 8 days ahead: every upload is old to these sweeps; only leading decides.
      const sweep = new UploadSweep({
        kv: node.kv, repositories: svc.graveler, storage, isLeader: () => node.isLeader(), logger: silentLogger, registry,
        maxAgeMs: DEFAULT_UPLOAD_MAX_AGE_MS, now: () => Date.now() + 8 * DAY, checkMs: 20, firstDelayMs: 100, intervalMs: 3600_000,
      });
      members.push({ id, node, svc, storage, registry, sweep });
    }
    await waitUntil("a leader", async () => members.some((m) => m.node.isLeader()), 20_000);
    const leader = members.find((m) => m.node.isLeader())!;
    const admin = (await leader.svc.auth.bootstrapAdmin())!;
    client = new TarnClient({ endpoints: members.map((m) => m.svc.server.address), ...admin, retry: { attempts: 30, baseMs: 20, maxMs: 300 } });
    await client.createRepository({ name: "replicated", storageNamespace: `s3://${s3.bucket}/sweep-raft` });
  });

  after(async () => {
    for (const m of members) await m.sweep.stop();
    client?.close();
    for (const m of members) await m.node.stop();
    for (const m of members) {
      await m.svc.close();
      await m.storage.close();
    }
    await snapshots?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a follower's pass does nothing; the leader sweeps a little after it became leader, also after a transfer", async () => {
    const prepare = (p: string) => client.prepareUpload({ repository: "replicated", branch: "main", path: p, presign: true, partCount: 2 });
    const first = await prepare("first.bin");
    const leader = members.find((m) => m.node.isLeader())!;
    const followers = members.filter((m) => m !== leader);
    for (const f of followers) assert.equal(await f.sweep.runPass(), undefined, `follower ${f.id} does not sweep`);
    assert.deepEqual(await listed(client, "replicated"), [first.multipartUploadId]);
    assert.deepEqual(await storeUploads(s3, "sweep-raft/"), [first.multipartUploadId]);

    for (const m of members) m.sweep.start();
    await waitUntil("the leader's sweep", async () => (await listed(client, "replicated")).length === 0, 20_000);
    assert.deepEqual(await storeUploads(s3, "sweep-raft/"), [], "aborted on the store");
    assert.equal(await sweptCount(leader.registry, "s3"), 1);
    for (const f of followers) assert.equal(await sweptCount(f.registry, "s3"), 0, `follower ${f.id} swept nothing`);

    // The old leader's next pass is an hour away; the new leader makes its first pass soon after it leads.
    const second = await prepare("second.bin");
    const next = followers[0];
    await client.transferLeader({ targetId: next.id });
    await waitUntil("the new leader", async () => next.node.isLeader(), 20_000);
    await waitUntil("the new leader's sweep", async () => (await listed(client, "replicated")).length === 0, 20_000);
    assert.deepEqual(await storeUploads(s3, "sweep-raft/"), [], `${second.multipartUploadId} aborted on the store`);
    assert.equal(await sweptCount(next.registry, "s3"), 1);
    assert.equal(await sweptCount(leader.registry, "s3"), 1, "the old leader swept nothing more");
    assert.equal(await sweptCount(followers[1].registry, "s3"), 0);
  });
});
