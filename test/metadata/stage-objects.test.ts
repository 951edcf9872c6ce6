// StageObjects: many staging writes in one call, answered in request order, each item staged or refused on
// its own with the error its own StageObject would have given; the items written go in one key-value write.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ApiError, TarnClient } from "../../src/client";
import type { StageObjectsItem } from "../../src/client";
import { LevelKv, type KvBatch, type KvScanOptions, type KvStore } from "../../src/graveler";
import { LocalService, openLocalService, silentLogger } from "../../src/metadata";
import { CLUSTER_SECRET } from "./support";

/** A real LevelDB store that counts the writes that reach it, and can run something just before the next one. */
class CountingKv implements KvStore {
  writes = 0;
  beforeNextWrite?: () => Promise<unknown>;
  constructor(private readonly inner: LevelKv) {}
  get = (key: Buffer) => this.inner.get(key);
  scan = (options: KvScanOptions) => this.inner.scan(options);
  close = () => this.inner.close();
  async write(batch: KvBatch): Promise<void> {
    this.writes++;
    const before = this.beforeNextWrite;
    this.beforeNextWrite = undefined;
    if (before) await before();
    return this.inner.write(batch);
  }
}

describe("metadata: StageObjects", () => {
  let dir: string;
  let kv: CountingKv;
  let svc: LocalService;
  let client: TarnClient;
  let connect: (keys: { accessKeyId: string; secretAccessKey: string }) => TarnClient;
  const clients: TarnClient[] = [];
  const REPO = "batch";
  const item = (p: string, extra: Partial<StageObjectsItem> = {}): Partial<StageObjectsItem> => ({ branch: "main", path: p, physicalAddress: "data/shared", sizeBytes: 6, checksum: `sum-${p}`, ...extra });
  const stage = (objects: Partial<StageObjectsItem>[], c = client) => c.stageObjects({ repository: REPO, objects: objects as StageObjectsItem[] });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-stage-objects-"));
    kv = new CountingKv(await LevelKv.open(path.join(dir, "kv")));
    svc = await openLocalService({ dataDir: dir, kv, clusterSecret: CLUSTER_SECRET, logger: silentLogger });
    const port = await svc.server.listen("127.0.0.1:0");
    connect = (keys) => {
      const c = new TarnClient({ endpoints: [`127.0.0.1:${port}`], ...keys, retry: { attempts: 2, baseMs: 5, maxMs: 20 }, coalesceStaging: false });
      clients.push(c);
      return c;
    };
    client = connect(svc.admin!);
    const ns = path.join(dir, "stores", REPO);
    await client.createRepository({ name: REPO, storageNamespace: `local://${ns}` });
    await client.createBranch({ repository: REPO, name: "dev", source: "main" });
    fs.mkdirSync(path.join(ns, "data"), { recursive: true });
    fs.writeFileSync(path.join(ns, "data", "shared"), "shared");
  });
  after(async () => {
    for (const c of clients) c.close();
    await svc?.close();
    await kv?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("answers in request order, staged entries and per-item errors side by side, in one write", async () => {
    await client.stageObject({ repository: REPO, ...item("taken") });
    const writes = kv.writes;
    const { results } = await stage([
      item("a.txt"),
      item("", {}),
      item("taken", { ifAbsent: true }),
      item("x", { branch: "no-such-branch" }),
      item("x", { branch: "bad name!" }),
      item("outside", { physicalAddress: "../elsewhere" }),
      item("b.txt", { branch: "dev", userMetadata: { k: "v" } }),
      item("c.txt", { ifAbsent: true }),
    ]);
    assert.equal(kv.writes - writes, 1, "the staged items went in one write");
    assert.deepEqual(
      results.map((r) => r.errorCode),
      ["", "INVALID_ARGUMENT", "FAILED_PRECONDITION", "NOT_FOUND", "INVALID_ARGUMENT", "INVALID_ARGUMENT", "", ""],
    );
    assert.match(results[2].errorMessage, /taken already exists on branch main/);
    assert.match(results[3].errorMessage, /branch no-such-branch not found/);
    for (const [i, p, ref] of [[0, "a.txt", "main"], [6, "b.txt", "dev"], [7, "c.txt", "main"]] as const) {
      assert.equal(results[i].stats?.path, p);
      // The same entry as StatObject finds, and as StageObject would have answered.
      assert.deepEqual(results[i].stats, await client.statObject({ repository: REPO, ref, path: p }));
    }
    assert.equal(results[6].stats?.userMetadata.k, "v");
    await assert.rejects(client.statObject({ repository: REPO, ref: "main", path: "b.txt" }), (err: unknown) => err instanceof ApiError && err.code === "NOT_FOUND");
  });

  it("gives each item the error its own StageObject gives", async () => {
    const cases = [item("taken", { ifAbsent: true }), item("x", { branch: "nope" }), item("outside", { physicalAddress: "../elsewhere" }), item("neg", { sizeBytes: -1 })];
    const { results } = await stage(cases);
    for (const [i, c] of cases.entries()) {
      const alone = await client.stageObject({ repository: REPO, ...c }).then(
        () => assert.fail("StageObject accepted it"),
        (err: unknown) => err as ApiError,
      );
      assert.equal(results[i].errorCode, alone.statusName);
      assert.equal(results[i].errorMessage, alone.message);
    }
  });

  it("applies items in order: an if_absent item sees the items before it", async () => {
    const { results } = await stage([
      item("twice", { ifAbsent: true, checksum: "first" }),
      item("twice", { ifAbsent: true, checksum: "second" }),
      item("plain-then-guarded", { checksum: "plain" }),
      item("plain-then-guarded", { ifAbsent: true, checksum: "guarded" }),
      item("guarded-then-plain", { ifAbsent: true, checksum: "guarded" }),
      item("guarded-then-plain", { checksum: "plain" }),
      item("twice", { branch: "dev", ifAbsent: true, checksum: "dev" }),
    ]);
    assert.deepEqual(
      results.map((r) => r.errorCode),
      ["", "FAILED_PRECONDITION", "", "FAILED_PRECONDITION", "", "", ""],
    );
    assert.match(results[1].errorMessage, /twice already exists on branch main .*if_absent/);
    const etag = async (ref: string, p: string) => (await client.statObject({ repository: REPO, ref, path: p })).checksum;
    assert.equal(await etag("main", "twice"), "first");
    assert.equal(await etag("main", "plain-then-guarded"), "plain");
    assert.equal(await etag("main", "guarded-then-plain"), "plain");
    assert.equal(await etag("dev", "twice"), "dev", "another branch is another path");
  });

  it("lets exactly one of many concurrent batches guarding the same new path win", async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, (_, b) => stage([item(`race/${b}`), item("race/shared", { ifAbsent: true, checksum: `batch ${b}` })])));
    const won = answers.flatMap((a, b) => (a.results[1].errorCode === "" ? [b] : []));
    assert.equal(won.length, 1, `${won.length} batches won`);
    for (const a of answers) assert.equal(a.results[0].errorCode, "", "the other item of each batch is staged");
    assert.equal((await client.statObject({ repository: REPO, ref: "main", path: "race/shared" })).checksum, `batch ${won[0]}`);
  });

  it("retries the whole batch into the new staging token when a commit sealed the one it read", async () => {
    // A commit lands between the batch's read of the branch and its write: the write is refused at apply
    // time, the branch read again, and every item written into the new token, in one more write.
    await client.stageObject({ repository: REPO, ...item("before-seal") });
    kv.beforeNextWrite = () => svc.graveler.commit(REPO, "main", { message: "seal main's token meanwhile" });
    const writes = kv.writes;
    const { results } = await stage(Array.from({ length: 20 }, (_, i) => item(`sealed/${i}`)));
    assert.deepEqual(results.map((r) => r.errorCode), Array(20).fill(""));
    // The refused write, the commit's own writes, the retried write.
    assert.ok(kv.writes - writes >= 3);
    for (let i = 0; i < 20; i++) assert.equal((await client.statObject({ repository: REPO, ref: "main", path: `sealed/${i}` })).path, `sealed/${i}`);
    // Staged after the commit: uncommitted on main, not in its head.
    await assert.rejects(client.statObject({ repository: REPO, ref: "main@", path: "sealed/0" }), (err: unknown) => err instanceof ApiError && err.code === "NOT_FOUND");
    assert.equal((await client.statObject({ repository: REPO, ref: "main@", path: "before-seal" })).path, "before-seal");
  });

  it("refuses more than 1000 items, malformed requests and callers without write permission as a whole", async () => {
    const tooMany = Array.from({ length: 1001 }, (_, i) => item(`p${i}`));
    await assert.rejects(stage(tooMany), (err: unknown) => err instanceof ApiError && err.code === "INVALID_ARGUMENT" && /1001 objects .* at most 1000/.test(err.message));
    assert.deepEqual((await stage([])).results, []);
    const { results } = await client.stageObjects({ repository: "Bad Name", objects: [item("a") as StageObjectsItem] });
    assert.equal(results[0].errorCode, "INVALID_ARGUMENT");
    const missing = await client.stageObjects({ repository: "no-such-repo", objects: [item("a") as StageObjectsItem] });
    assert.equal(missing.results[0].errorCode, "NOT_FOUND");
    // A body that is not a StageObjectsRequest.
    await assert.rejects(
      client.transport.unary("/tarn.metadata.v1.ObjectService/StageObjects", Buffer.from([0x12, 0x05, 0x0a])),
      (err: unknown) => err instanceof ApiError && err.code === "INVALID_ARGUMENT",
    );
    await client.createUser({ id: "reader", policy: { statements: [{ effect: "EFFECT_ALLOW", actions: ["repos:Read"], resources: [`tarn:repo:${REPO}`] }] } });
    await client.createUser({ id: "elsewhere", policy: { statements: [{ effect: "EFFECT_ALLOW", actions: ["repos:Read", "repos:Write"], resources: ["tarn:repo:other"] }] } });
    for (const user of ["reader", "elsewhere"]) {
      const c = connect(await client.createAccessKey({ userId: user }));
      const writes = kv.writes;
      await assert.rejects(stage([item(`denied/${user}`)], c), (err: unknown) => err instanceof ApiError && err.code === "PERMISSION_DENIED");
      assert.equal(kv.writes, writes, `nothing written for ${user}`);
    }
  });
});
