// The KV-backed CredentialStore (and the cache in front of it) pass auth's conformance suite over a real
// classic-level database.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LevelKv } from "../../src/graveler";
import { CachedCredentialStore, KvCredentialStore } from "../../src/metadata";
import { credentialStoreConformance } from "../auth/credential-store-conformance";

const open = new Map<KvCredentialStore, { kv: LevelKv; dir: string }>();
const cached = new Map<CachedCredentialStore, { kv: LevelKv; dir: string }>();

credentialStoreConformance(
  "KvCredentialStore over classic-level",
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-credstore-"));
    const kv = await LevelKv.open(dir);
    const store = new KvCredentialStore(kv);
    open.set(store, { kv, dir });
    return store;
  },
  async (store) => {
    const o = open.get(store as KvCredentialStore)!;
    open.delete(store as KvCredentialStore);
    await o.kv.close();
    fs.rmSync(o.dir, { recursive: true, force: true });
  },
);

// The cache in front of it behaves the same for everything written through it.
credentialStoreConformance(
  "CachedCredentialStore over KvCredentialStore",
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-credstore-"));
    const kv = await LevelKv.open(dir);
    const store = new CachedCredentialStore(new KvCredentialStore(kv), 60_000);
    cached.set(store, { kv, dir });
    return store;
  },
  async (store) => {
    const o = cached.get(store as CachedCredentialStore)!;
    cached.delete(store as CachedCredentialStore);
    await o.kv.close();
    fs.rmSync(o.dir, { recursive: true, force: true });
  },
);

describe("CachedCredentialStore", () => {
  it("serves lookups from the cache until the TTL passes, and forgets what it writes at once", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-credstore-"));
    const kv = await LevelKv.open(dir);
    try {
      const inner = new KvCredentialStore(kv);
      let now = 1000;
      const store = new CachedCredentialStore(inner, 500, () => now);
      const user = { id: "u", createdAt: 1, policy: { statements: [] } };
      await store.createUser(user);
      assert.deepEqual(await store.getUser("u"), user);
      // A change behind the cache's back shows after the TTL, not before.
      await inner.updateUser({ ...user, createdAt: 2 });
      assert.equal((await store.getUser("u"))?.createdAt, 1);
      now += 501;
      assert.equal((await store.getUser("u"))?.createdAt, 2);
      // Deleting through the cache takes effect at once, for the user and their keys.
      await store.createCredential({ accessKeyId: "AKIAK1", userId: "u", createdAt: 1, encryptedSecret: "v1.x" });
      assert.ok(await store.getCredential("AKIAK1"));
      await store.deleteUser("u");
      assert.equal(await store.getUser("u"), undefined);
      assert.equal(await store.getCredential("AKIAK1"), undefined);
    } finally {
      await kv.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
