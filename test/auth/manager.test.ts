import assert from "node:assert/strict";
import { adminPolicy, AuthManager, AUTH_HEADERS, deriveClusterKeys, GENERATED_ACCESS_KEY_ID, MemoryCredentialStore, readOnlyPolicy, signRequest } from "../../src/auth";
import { TarnError } from "../../src/errors";

const METHOD = "/tarn.metadata.v1.CommitService/Commit";

function setup() {
  const store = new MemoryCredentialStore();
  let now = Date.UTC(2026, 10, 24, 14, 0, 0);
  const manager = new AuthManager({ store, credentialKey: deriveClusterKeys("manager test cluster secret").credentialKey, now: () => now });
  return { store, manager, clock: { get: () => now, advance: (ms: number) => (now += ms) } };
}

async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof TarnError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

describe("auth: AuthManager", () => {
  it("bootstraps the admin once, with generated keys that authenticate", async () => {
    const { manager, clock } = setup();
    const admin = await manager.bootstrapAdmin();
    assert.ok(admin);
    assert.match(admin.accessKeyId, GENERATED_ACCESS_KEY_ID);
    assert.equal(admin.userId, "admin");
    assert.equal(await manager.bootstrapAdmin(), undefined, "second start creates nothing");
    const body = Buffer.from("commit request");
    const headers = signRequest({ method: METHOD, accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey, body, now: new Date(clock.get()) });
    const caller = await manager.authenticate({ method: METHOD, headers, body });
    assert.equal(caller.user.id, "admin");
    assert.equal(caller.accessKeyId, admin.accessKeyId);
    await rejectsWith(manager.authenticate({ method: METHOD, headers, body }), "UNAUTHENTICATED", /replayed request/);
  });

  it("bootstraps with the operator's TARN_ADMIN_* keys, checking their shape", async () => {
    const { manager } = setup();
    await rejectsWith(manager.bootstrapAdmin({ accessKeyId: "AKIA EXAMPLE", secretAccessKey: "x".repeat(40) }), "INVALID_ARGUMENT", /invalid access key id 'AKIA EXAMPLE'/);
    await rejectsWith(manager.bootstrapAdmin({ accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "short" }), "INVALID_ARGUMENT", /invalid secret access key for 'AKIAIOSFODNN7EXAMPLE'.*got 5 characters/);
    assert.equal((await manager.listUsers({ amount: 10 })).items.length, 0, "a refused bootstrap creates no user");
    const supplied = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
    const fresh = manager;
    const admin = await fresh.bootstrapAdmin(supplied);
    assert.deepEqual({ accessKeyId: admin?.accessKeyId, secretAccessKey: admin?.secretAccessKey }, supplied);
    assert.deepEqual(await fresh.secretOf(supplied.accessKeyId), { userId: "admin", secretAccessKey: supplied.secretAccessKey });
  });

  it("stores only the encrypted secret", async () => {
    const { manager, store } = setup();
    await manager.createUser("alice", readOnlyPolicy("*"));
    const key = await manager.createAccessKey("alice");
    const stored = await store.getCredential(key.accessKeyId);
    assert.ok(stored && !JSON.stringify(stored).includes(key.secretAccessKey));
    const listed = await manager.listAccessKeys("alice", { amount: 10 });
    assert.deepEqual(listed.items, [{ accessKeyId: key.accessKeyId, userId: "alice", createdAt: key.createdAt }]);
  });

  it("refuses unknown keys, deleted keys and keys of deleted users", async () => {
    const { manager, clock } = setup();
    await manager.bootstrapAdmin();
    await manager.createUser("bob", readOnlyPolicy("*"));
    const key = await manager.createAccessKey("bob");
    const sign = () => signRequest({ method: METHOD, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, now: new Date(clock.get()) });
    assert.equal((await manager.authenticate({ method: METHOD, headers: sign() })).user.id, "bob");
    await rejectsWith(manager.deleteAccessKey("admin", key.accessKeyId), "NOT_FOUND", new RegExp(`access key id ${key.accessKeyId} not found for user admin`));
    await manager.deleteAccessKey("bob", key.accessKeyId);
    await rejectsWith(manager.authenticate({ method: METHOD, headers: sign() }), "UNAUTHENTICATED", new RegExp(`^unknown access key id ${key.accessKeyId}$`));
    const second = await manager.createAccessKey("bob");
    await manager.deleteUser("bob");
    const headers = signRequest({ method: METHOD, accessKeyId: second.accessKeyId, secretAccessKey: second.secretAccessKey, now: new Date(clock.get()) });
    await rejectsWith(manager.authenticate({ method: METHOD, headers }), "UNAUTHENTICATED", /unknown access key id/);
  });

  it("refuses a request whose clock is off by more than 5 minutes", async () => {
    const { manager, clock } = setup();
    const admin = (await manager.bootstrapAdmin())!;
    const headers = signRequest({ method: METHOD, accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey, now: new Date(clock.get()) });
    clock.advance(5 * 60 * 1000 + 1000);
    await rejectsWith(manager.authenticate({ method: METHOD, headers }), "UNAUTHENTICATED", /request expired/);
    assert.equal(headers[AUTH_HEADERS.accessKeyId], admin.accessKeyId);
  });

  it("validates user ids and policies, and never leaves the cluster without an admin", async () => {
    const { manager } = setup();
    await rejectsWith(manager.createUser("bad user", adminPolicy()), "INVALID_ARGUMENT", /invalid user id 'bad user'/);
    await rejectsWith(manager.createUser("carol", { statements: [{ effect: "allow", actions: ["repos:Fly"], resources: ["*"] }] }), "INVALID_ARGUMENT", /unknown action 'repos:Fly'/);
    assert.equal((await manager.listUsers({ amount: 10 })).items.length, 0, "a refused user is not created");
    await manager.bootstrapAdmin();
    await rejectsWith(manager.createUser("admin", adminPolicy()), "ALREADY_EXISTS", /user admin already exists/);
    await rejectsWith(manager.deleteUser("admin"), "FAILED_PRECONDITION", /deleting user admin would leave no user allowed auth:Manage/);
    await rejectsWith(manager.putUserPolicy("admin", readOnlyPolicy("*")), "FAILED_PRECONDITION", /would leave no user allowed auth:Manage/);
    await manager.createUser("second-admin", adminPolicy());
    await manager.putUserPolicy("admin", readOnlyPolicy("*"));
    await manager.deleteUser("admin");
    await rejectsWith(manager.getUser("admin"), "NOT_FOUND", /user admin not found/);
    await rejectsWith(manager.createAccessKey("ghost"), "NOT_FOUND", /user ghost not found/);
  });
});
