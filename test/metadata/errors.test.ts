// Every error class the API promises, each with a message that says what was wrong, and refused writes
// that change nothing.
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { readOnlyPolicy, signRequest } from "../../src/auth";
import { ApiError, TarnClient } from "../../src/client";
import { methodPath, messageType } from "../../src/metadata";
import { startService, TestService } from "./support";

const identity = (b: Buffer) => b;

/** The exact status and a message matching `message`. */
const refused = (statusName: string, message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
  assert.equal(err.statusName, statusName, err.message);
  assert.match(err.message, message);
  return true;
};

describe("metadata service: errors", () => {
  let t: TestService;
  let raw: grpc.Client;
  before(async () => {
    t = await startService({ maxMessageBytes: 64 * 1024 });
    raw = new grpc.Client(t.address, grpc.credentials.createInsecure());
    await t.client.createRepository({ name: "errs", storageNamespace: t.namespace("errs") });
  });
  after(async () => {
    raw?.close();
    await t?.close();
  });

  /** A unary call with hand-made bytes and headers. */
  function rawCall(path: string, body: Buffer, headers: Record<string, string>): Promise<Buffer> {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(headers)) md.set(k, v);
    return new Promise((resolve, reject) => raw.makeUnaryRequest(path, identity, identity, body, md, {}, (err, reply) => (err ? reject(err) : resolve(reply!))));
  }
  const rawRefused = (code: grpc.status, message: RegExp) => (err: grpc.ServiceError) => err.code === code && message.test(err.details);

  it("unknown repositories, refs, objects and users are NOT_FOUND", async () => {
    const c = t.client;
    await assert.rejects(c.getRepository({ repository: "nope" }), refused("NOT_FOUND", /repository nope not found/));
    await assert.rejects(c.listBranches({ repository: "nope" }), refused("NOT_FOUND", /repository nope/));
    await assert.rejects(c.getBranch({ repository: "errs", branch: "ghost" }), refused("NOT_FOUND", /ghost/));
    await assert.rejects(c.getCommit({ repository: "errs", ref: "ghost" }), refused("NOT_FOUND", /ghost/));
    await assert.rejects(c.statObject({ repository: "errs", ref: "main", path: "no/such" }), refused("NOT_FOUND", /no\/such/));
    await assert.rejects(c.download("errs", "main", "no/such"), refused("NOT_FOUND", /no\/such/));
    await assert.rejects(c.getUser({ userId: "nobody" }), refused("NOT_FOUND", /user nobody not found/));
    await assert.rejects(c.stageObject({ repository: "errs", branch: "main", path: "p", physicalAddress: "data/never-written", addressType: "ADDRESS_TYPE_RELATIVE" }), refused("NOT_FOUND", /holds no object/));
    // Streams report it too, before any message.
    await assert.rejects(async () => {
      for await (const _ of t.client.objects({ repository: "errs", ref: "nowhere" })) void _;
    }, refused("NOT_FOUND", /nowhere/));
  });

  it("invalid names, paths and fields are INVALID_ARGUMENT saying what is wrong, and change nothing", async () => {
    const c = t.client;
    await assert.rejects(c.createRepository({ name: "Bad_Name", storageNamespace: t.namespace("bad") }), refused("INVALID_ARGUMENT", /invalid repository name "Bad_Name"/));
    await assert.rejects(c.createRepository({ name: "okname", storageNamespace: "ftp://x" }), refused("INVALID_ARGUMENT", /unknown scheme 'ftp'/));
    await assert.rejects(c.createBranch({ repository: "errs", name: "-x", source: "main" }), refused("INVALID_ARGUMENT", /invalid branch name "-x"/));
    await assert.rejects(c.createTag({ repository: "errs", id: "a b", ref: "main" }), refused("INVALID_ARGUMENT", /invalid tag name/));
    await assert.rejects(c.upload("errs", "main", "nul\0path", Buffer.from("x")), refused("INVALID_ARGUMENT", /contains NUL/));
    await assert.rejects(c.upload("errs", "main", "p".repeat(1100), Buffer.from("x")), refused("INVALID_ARGUMENT", /at most 1024/));
    await assert.rejects(c.listBranches({ repository: "errs", amount: 5000 }), refused("INVALID_ARGUMENT", /invalid amount 5000/));
    await assert.rejects(c.commit({ repository: "errs", branch: "main", message: "" }), refused("INVALID_ARGUMENT", /commit message is empty/));
    await assert.rejects(c.commit({ repository: "errs", branch: "main", message: "m", date: 1_700_000_000 }), refused("INVALID_ARGUMENT", /date override/));
    await assert.rejects(c.createUser({ id: "u1", policy: { statements: [{ effect: "EFFECT_ALLOW", actions: ["repos:Fly"], resources: ["*"] }] } }), refused("INVALID_ARGUMENT", /unknown action 'repos:Fly'/));
    await assert.rejects(c.stageObject({ repository: "errs", branch: "main", path: "p", physicalAddress: "../escape", addressType: "ADDRESS_TYPE_RELATIVE" }), refused("INVALID_ARGUMENT", /not a key inside/));
    assert.deepEqual((await c.listRepositories()).results.map((r) => r.id), ["errs"]);
    assert.deepEqual((await c.listBranches({ repository: "errs" })).results.map((b) => b.id), ["main"]);
    assert.deepEqual((await c.listUsers()).results.map((u) => u.id), ["admin"]);
  });

  it("conflicts, dirty branches, taken names and empty commits are FAILED_PRECONDITION or ALREADY_EXISTS", async () => {
    const c = t.client;
    await assert.rejects(c.createRepository({ name: "errs", storageNamespace: t.namespace("errs2") }), refused("ALREADY_EXISTS", /repository errs already exists/));
    await assert.rejects(c.createBranch({ repository: "errs", name: "main", source: "main" }), refused("ALREADY_EXISTS", /main/));
    await assert.rejects(c.createRepository({ name: "errs-twin", storageNamespace: t.namespace("errs") }), refused("ALREADY_EXISTS", /already used by repository errs/));
    await c.createRepository({ name: "gone", storageNamespace: t.namespace("gone") });
    await c.upload("gone", "main", "left-behind", Buffer.from("x"));
    await c.deleteRepository({ repository: "gone" });
    await assert.rejects(c.createRepository({ name: "again", storageNamespace: t.namespace("gone") }), refused("FAILED_PRECONDITION", /storage namespace .*gone is not empty/));
    await assert.rejects(c.commit({ repository: "errs", branch: "main", message: "nothing" }), refused("FAILED_PRECONDITION", /no changes to commit/));
    await c.upload("errs", "main", "f", Buffer.from("base"));
    await c.commit({ repository: "errs", branch: "main", message: "base" });
    await c.createBranch({ repository: "errs", name: "other", source: "main" });
    await c.upload("errs", "other", "f", Buffer.from("theirs"));
    await c.commit({ repository: "errs", branch: "other", message: "theirs" });
    await c.upload("errs", "main", "f", Buffer.from("ours"));
    await assert.rejects(c.merge({ repository: "errs", sourceRef: "other", destinationBranch: "main" }), refused("FAILED_PRECONDITION", /uncommitted changes/));
    await c.commit({ repository: "errs", branch: "main", message: "ours" });
    await assert.rejects(c.merge({ repository: "errs", sourceRef: "other", destinationBranch: "main" }), (err: unknown) => {
      refused("FAILED_PRECONDITION", /conflict.*"f"/)(err);
      assert.deepEqual((err as ApiError).conflicts, { paths: ["f"], truncated: false });
      return true;
    });
    const wins = await c.merge({ repository: "errs", sourceRef: "other", destinationBranch: "main", strategy: "MERGE_STRATEGY_SOURCE_WINS" });
    assert.equal(wins.summary.changed, 1);
    assert.equal((await c.downloadBuffer("errs", "main", "f")).toString(), "theirs");
    await assert.rejects(c.upload("errs", "main", "f", Buffer.from("again"), { ifAbsent: true }), refused("FAILED_PRECONDITION", /already exists/));
    await assert.rejects(c.deleteBranch({ repository: "errs", branch: "main" }), refused("FAILED_PRECONDITION", /default branch/));
  });

  it("refuses calls without valid credentials (UNAUTHENTICATED) and writes by a read-only user (PERMISSION_DENIED)", async () => {
    const body = Buffer.from(messageType("ListRepositoriesRequest").encode({}).finish());
    const path = methodPath("RepositoryService", "ListRepositories");
    await assert.rejects(rawCall(path, body, {}), rawRefused(grpc.status.UNAUTHENTICATED, /missing x-tarn-access-key-id/));
    const admin = t.svc.admin!;
    const wrong = t.clientWith({ accessKeyId: admin.accessKeyId, secretAccessKey: "not-the-secret-at-all-0000" });
    await assert.rejects(wrong.listRepositories(), refused("UNAUTHENTICATED", /signature does not match/));
    const stranger = t.clientWith({ accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: "whatever-secret-000000" });
    await assert.rejects(stranger.listRepositories(), refused("UNAUTHENTICATED", /unknown access key id AKIAUNKNOWNKEY000000/));
    // Signed for one method, sent to another.
    const headers = signRequest({ method: methodPath("AuthService", "WhoAmI"), accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey, body });
    await assert.rejects(rawCall(path, body, headers), rawRefused(grpc.status.UNAUTHENTICATED, /signature does not match/));

    await t.client.createUser({ id: "reader", policy: { statements: readOnlyPolicy(["errs"]).statements.map((s) => ({ effect: "EFFECT_ALLOW", actions: s.actions, resources: s.resources })) } });
    const reader = t.clientWith(await t.client.createAccessKey({ userId: "reader" }));
    assert.ok((await reader.getRepository({ repository: "errs" })).id === "errs");
    await assert.rejects(reader.upload("errs", "main", "nope", Buffer.from("x")), refused("PERMISSION_DENIED", /repos:Write on tarn:repo:errs/));
    await assert.rejects(reader.createBranch({ repository: "errs", name: "r", source: "main" }), refused("PERMISSION_DENIED", /repos:Write/));
    await assert.rejects(reader.createUser({ id: "x" }), refused("PERMISSION_DENIED", /auth:Manage/));
    await assert.rejects(reader.getUser({ userId: "admin" }), refused("PERMISSION_DENIED", /auth:Manage/));
    await assert.rejects(reader.addMember({ id: "n", address: "h:1" }), refused("PERMISSION_DENIED", /cluster:Manage/));
    await t.client.createRepository({ name: "hidden", storageNamespace: t.namespace("hidden") });
    assert.deepEqual((await reader.listRepositories()).results.map((r) => r.id), ["errs"]);
  });

  it("answers malformed protobuf with INVALID_ARGUMENT and oversized messages with RESOURCE_EXHAUSTED", async () => {
    const admin = t.svc.admin!;
    const path = methodPath("RepositoryService", "GetRepository");
    // Field 1, length-delimited, claiming far more bytes than follow.
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0x03, 0x61]);
    const headers = signRequest({ method: path, accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey, body: garbage });
    await assert.rejects(rawCall(path, garbage, headers), rawRefused(grpc.status.INVALID_ARGUMENT, /does not parse as GetRepositoryRequest/));
    const badWire = Buffer.from([0x0f, 0x01]);
    const h2 = signRequest({ method: path, accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey, body: badWire });
    await assert.rejects(rawCall(path, badWire, h2), rawRefused(grpc.status.INVALID_ARGUMENT, /does not parse/));

    const big = new TarnClient({ endpoints: [t.address], ...admin, maxMessageBytes: 1024 * 1024 });
    try {
      await assert.rejects(big.createRepository({ name: "huge", storageNamespace: `local://${"x".repeat(100 * 1024)}` }), refused("RESOURCE_EXHAUSTED", /message larger than max|exceeds|Received message larger/i));
    } finally {
      big.close();
    }
    await assert.rejects(t.client.getRepository({ repository: "huge" }), { code: "NOT_FOUND" });
  });
});
