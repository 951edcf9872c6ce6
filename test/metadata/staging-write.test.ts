// Staging writes built from this member's database as it is (no ReadIndex): a stale branch record only makes
// the write's precondition fail, and the retry lands in the branch's current staging token.
import assert from "node:assert/strict";
import { MemoryKv, type KvStore } from "../../src/graveler";
import { keys } from "../../src/graveler/keys";
import { encodeRecord } from "../../src/graveler/refs/records";
import { repositoryAndBranch, stageOnBranch, stagingTarget } from "../../src/metadata/staging-write";

const repo = { id: "stale", storageNamespace: "local:///tmp/stale", defaultBranch: "main", creationDate: "2026-11-24T00:00:00.000Z" };
const branchRecord = (token: string) => encodeRecord({ commitId: "c".repeat(64), stagingToken: token, sealedTokens: [] });

async function seed(kv: KvStore, token: string): Promise<void> {
  await kv.write({
    mutations: [
      { op: "put", key: keys.repository(repo.id as never), value: encodeRecord(repo) },
      { op: "put", key: keys.branch(repo.id as never, "main" as never), value: branchRecord(token) },
    ],
  });
}

describe("metadata: staging writes from a member's local reads", () => {
  it("retries a write built from a stale branch record into the current staging token", async () => {
    const current = new MemoryKv();
    const stale = new MemoryKv();
    await seed(current, "token-after-commit");
    await seed(stale, "token-before-commit");
    let synced = 0;
    const deps = { kv: current, memberReads: () => ({ local: stale, sync: async () => void synced++ }) };

    const target = await stagingTarget(deps, repo.id, "main");
    assert.equal(target.branch.record.stagingToken, "token-before-commit", "the first read is the member's own, stale one");
    await stageOnBranch(deps, target, (token) => [{ op: "put", key: keys.staged(token as never, "a/b"), value: Buffer.from("entry") }]);

    assert.equal((await current.get(keys.staged("token-after-commit" as never, "a/b")))?.value.toString(), "entry");
    assert.equal(await current.get(keys.staged("token-before-commit" as never, "a/b")), undefined, "nothing staged into the sealed token");
    assert.equal(synced, 0, "no read barrier on the write path");
  });

  it("answers NOT_FOUND only after a linearizable read, not from the member's lagging database", async () => {
    const current = new MemoryKv();
    await seed(current, "t1");
    const lagging = new MemoryKv(); // has not applied the repository's creation yet
    const deps = { kv: current, memberReads: () => ({ local: lagging, sync: async () => undefined }) };
    const found = await repositoryAndBranch(deps, repo.id, "main");
    assert.equal(found.branch?.record.stagingToken, "t1");
    await assert.rejects(repositoryAndBranch(deps, "missing-repo", "main"), (err: Error & { code?: string }) => err.code === "NOT_FOUND" && /repository missing-repo not found/.test(err.message));
  });
});
