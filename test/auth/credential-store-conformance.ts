// The behaviour every CredentialStore must have. The in-memory store runs it here; the metadata service
// runs it against its replicated-KV-backed store: `credentialStoreConformance("kv", () => makeStore())`.
import assert from "node:assert/strict";
import { adminPolicy, CredentialRecord, CredentialStore, readOnlyPolicy, UserRecord } from "../../src/auth";
import { TarnError } from "../../src/errors";

const user = (id: string): UserRecord => ({ id, createdAt: 1_800_000_000, policy: readOnlyPolicy(["r1"]) });
const cred = (accessKeyId: string, userId: string): CredentialRecord => ({ accessKeyId, userId, createdAt: 1_800_000_001, encryptedSecret: `v1.${accessKeyId}` });

async function rejectsWith(promise: Promise<unknown>, code: string) {
  await assert.rejects(promise, (err: unknown) => err instanceof TarnError && err.code === code);
}

export function credentialStoreConformance(name: string, makeStore: () => Promise<CredentialStore>, dispose: (store: CredentialStore) => Promise<void> = async () => {}): void {
  describe(`CredentialStore conformance: ${name}`, () => {
    let store: CredentialStore;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await dispose(store);
    });

    it("creates, reads, updates and deletes users", async () => {
      assert.equal(await store.getUser("alice"), undefined);
      await store.createUser(user("alice"));
      assert.deepEqual(await store.getUser("alice"), user("alice"));
      await rejectsWith(store.createUser(user("alice")), "ALREADY_EXISTS");
      await store.updateUser({ ...user("alice"), policy: adminPolicy() });
      assert.deepEqual((await store.getUser("alice"))?.policy, adminPolicy());
      await rejectsWith(store.updateUser(user("nobody")), "NOT_FOUND");
      await store.deleteUser("alice");
      assert.equal(await store.getUser("alice"), undefined);
      await rejectsWith(store.deleteUser("alice"), "NOT_FOUND");
    });

    it("returns copies: changing a returned record changes nothing stored", async () => {
      await store.createUser(user("alice"));
      const got = await store.getUser("alice");
      got!.policy.statements.length = 0;
      assert.deepEqual(await store.getUser("alice"), user("alice"));
    });

    it("lists users sorted by id with prefix, after and amount", async () => {
      for (const id of ["carol", "alice", "bob", "al"]) await store.createUser(user(id));
      const ids = async (page: Parameters<CredentialStore["listUsers"]>[0]) => {
        const result = await store.listUsers(page);
        return [result.items.map((u) => u.id), result.hasMore];
      };
      assert.deepEqual(await ids({ amount: 10 }), [["al", "alice", "bob", "carol"], false]);
      assert.deepEqual(await ids({ amount: 2 }), [["al", "alice"], true]);
      assert.deepEqual(await ids({ amount: 2, after: "alice" }), [["bob", "carol"], false]);
      assert.deepEqual(await ids({ amount: 10, prefix: "al" }), [["al", "alice"], false]);
      assert.deepEqual(await ids({ amount: 10, prefix: "al", after: "al" }), [["alice"], false]);
    });

    it("stores credentials for existing users only, one per key id", async () => {
      await rejectsWith(store.createCredential(cred("AKIA1", "alice")), "NOT_FOUND");
      await store.createUser(user("alice"));
      await store.createUser(user("bob"));
      await store.createCredential(cred("AKIA1", "alice"));
      assert.deepEqual(await store.getCredential("AKIA1"), cred("AKIA1", "alice"));
      await rejectsWith(store.createCredential(cred("AKIA1", "bob")), "ALREADY_EXISTS");
      await store.deleteCredential("AKIA1");
      assert.equal(await store.getCredential("AKIA1"), undefined);
      await rejectsWith(store.deleteCredential("AKIA1"), "NOT_FOUND");
    });

    it("lists one user's credentials, sorted and paginated", async () => {
      await store.createUser(user("alice"));
      await store.createUser(user("bob"));
      for (const id of ["AKIA3", "AKIA1", "AKIA2"]) await store.createCredential(cred(id, "alice"));
      await store.createCredential(cred("AKIA0", "bob"));
      const first = await store.listCredentials("alice", { amount: 2 });
      assert.deepEqual(first.items.map((c) => c.accessKeyId), ["AKIA1", "AKIA2"]);
      assert.equal(first.hasMore, true);
      const rest = await store.listCredentials("alice", { amount: 2, after: "AKIA2" });
      assert.deepEqual(rest.items.map((c) => c.accessKeyId), ["AKIA3"]);
      assert.equal(rest.hasMore, false);
    });

    it("deletes a user's credentials with the user", async () => {
      await store.createUser(user("alice"));
      await store.createUser(user("bob"));
      await store.createCredential(cred("AKIA1", "alice"));
      await store.createCredential(cred("AKIA2", "bob"));
      await store.deleteUser("alice");
      assert.equal(await store.getCredential("AKIA1"), undefined);
      assert.deepEqual(await store.getCredential("AKIA2"), cred("AKIA2", "bob"));
    });
  });
}
