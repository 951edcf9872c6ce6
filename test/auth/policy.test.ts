import assert from "node:assert/strict";
import fc from "fast-check";
import { adminPolicy, authorize, AUTH_RESOURCE, checkPolicy, CLUSTER_RESOURCE, Policy, readOnlyPolicy, readWritePolicy, repoResource, requirePermission, requiredPermission, wildcardMatch } from "../../src/auth";
import { TarnError } from "../../src/errors";

const user = (policy: Policy) => ({ id: "u1", policy });

describe("auth: policies", () => {
  it("admin may do everything", () => {
    const admin = user(adminPolicy());
    for (const [action, resource] of [
      ["repos:Write", repoResource("x")],
      ["repos:Manage", repoResource("new-repo")],
      ["auth:Manage", AUTH_RESOURCE],
      ["cluster:Manage", CLUSTER_RESOURCE],
    ] as const) {
      assert.equal(authorize(admin, action, resource).allowed, true, `${action} ${resource}`);
    }
  });

  it("read-only reads the named repositories and nothing else", () => {
    const reader = user(readOnlyPolicy(["sales", "ml-data"]));
    assert.equal(authorize(reader, "repos:Read", repoResource("sales")).allowed, true);
    assert.equal(authorize(reader, "repos:Read", repoResource("ml-data")).allowed, true);
    assert.equal(authorize(reader, "repos:Read", repoResource("salesx")).allowed, false);
    assert.equal(authorize(reader, "repos:Write", repoResource("sales")).allowed, false);
    assert.equal(authorize(reader, "cluster:Read", CLUSTER_RESOURCE).allowed, true);
    assert.equal(authorize(reader, "cluster:Manage", CLUSTER_RESOURCE).allowed, false);
    assert.equal(authorize(reader, "auth:Manage", AUTH_RESOURCE).allowed, false);
  });

  it("read-write on every repository still cannot create or delete repositories", () => {
    const writer = user(readWritePolicy("*"));
    assert.equal(authorize(writer, "repos:Write", repoResource("anything")).allowed, true);
    assert.equal(authorize(writer, "repos:Read", repoResource("anything")).allowed, true);
    assert.equal(authorize(writer, "repos:Manage", repoResource("anything")).allowed, false);
  });

  it("a matching deny wins over any allow, whatever the order", () => {
    const policy: Policy = {
      statements: [
        { effect: "deny", actions: ["repos:Write"], resources: [repoResource("prod-*")] },
        ...adminPolicy().statements,
      ],
    };
    assert.equal(authorize(user(policy), "repos:Write", repoResource("prod-eu")).allowed, false);
    assert.match(authorize(user(policy), "repos:Write", repoResource("prod-eu")).reason, /statement 1 of user u1's policy denies repos:Write on tarn:repo:prod-eu/);
    assert.equal(authorize(user(policy), "repos:Read", repoResource("prod-eu")).allowed, true);
    assert.equal(authorize(user(policy), "repos:Write", repoResource("dev")).allowed, true);
  });

  it("requirePermission throws PERMISSION_DENIED naming user, action and resource", () => {
    assert.throws(
      () => requirePermission(user(readOnlyPolicy(["a-repo"])), "repos:Write", repoResource("a-repo")),
      (err: unknown) => err instanceof TarnError && err.code === "PERMISSION_DENIED" && /no statement of user u1's policy allows repos:Write on tarn:repo:a-repo/.test(err.message),
    );
  });

  it("matches '*' wildcards and nothing else", () => {
    assert.equal(wildcardMatch("tarn:repo:*", "tarn:repo:x"), true);
    assert.equal(wildcardMatch("tarn:repo:*", "tarn:auth"), false);
    assert.equal(wildcardMatch("a*b*c", "abc"), true);
    assert.equal(wildcardMatch("a*b*c", "axxbyyc"), true);
    assert.equal(wildcardMatch("a*b*c", "acb"), false);
    assert.equal(wildcardMatch("ab*ba", "aba"), false);
    assert.equal(wildcardMatch("tarn:repo:a.c", "tarn:repo:abc"), false);
    assert.equal(wildcardMatch("*", ""), true);
  });

  it("refuses malformed policies naming the statement and what is wrong", () => {
    const bad: Array<[unknown, RegExp]> = [
      [{}, /it needs a list of statements/],
      [{ statements: [{ effect: "maybe", actions: ["*"], resources: ["*"] }] }, /statement 1: effect must be 'allow' or 'deny'/],
      [{ statements: [{ effect: "allow", actions: ["repos:Fly"], resources: ["*"] }] }, /unknown action 'repos:Fly'/],
      [{ statements: [adminPolicy().statements[0], { effect: "allow", actions: ["repos:Read"], resources: ["s3://bucket"] }] }, /statement 2: unknown resource 's3:\/\/bucket'/],
      [{ statements: [{ effect: "allow", actions: [], resources: ["*"] }] }, /at least one action/],
    ];
    for (const [policy, message] of bad) {
      assert.throws(() => checkPolicy(policy as Policy), (err: unknown) => err instanceof TarnError && err.code === "INVALID_ARGUMENT" && message.test(err.message));
    }
    assert.doesNotThrow(() => checkPolicy(readWritePolicy(["a-b"])));
    assert.doesNotThrow(() => checkPolicy({ statements: [] }), "a user may start with no permissions");
    assert.equal(authorize(user({ statements: [] }), "repos:Read", repoResource("x")).allowed, false);
  });

  it("maps API methods to what they need", () => {
    assert.deepEqual(requiredPermission("/tarn.metadata.v1.ObjectService/StageObject", { repository: "r1" }, "u"), { kind: "permission", action: "repos:Write", resource: "tarn:repo:r1" });
    assert.deepEqual(requiredPermission("/tarn.metadata.v1.RepositoryService/CreateRepository", { name: "new" }, "u"), { kind: "permission", action: "repos:Manage", resource: "tarn:repo:new" });
    assert.deepEqual(requiredPermission("/tarn.metadata.v1.AuthService/CreateAccessKey", { userId: "u" }, "u"), { kind: "authenticated" });
    assert.deepEqual(requiredPermission("/tarn.metadata.v1.AuthService/CreateAccessKey", { user_id: "other" }, "u"), { kind: "permission", action: "auth:Manage", resource: AUTH_RESOURCE });
    assert.deepEqual(requiredPermission("/tarn.metadata.v1.ClusterService/TransferLeader", {}, "u"), { kind: "permission", action: "cluster:Manage", resource: CLUSTER_RESOURCE });
  });
});

describe("auth: wildcard matching, property-based", () => {
  /** The obvious, slow reference: the pattern as an anchored regular expression. */
  const naive = (pattern: string, value: string) =>
    new RegExp("^" + pattern.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$", "s").test(value);
  const text = fc.string({ unit: fc.constantFrom("a", "b", ":", "*"), maxLength: 10 });

  it("agrees with a regular-expression reference", () => {
    fc.assert(
      fc.property(text, text.map((s) => s.replace(/\*/g, "")), (pattern, value) => {
        assert.equal(wildcardMatch(pattern, value), naive(pattern, value), `'${pattern}' vs '${value}'`);
      }),
      { numRuns: 3000 },
    );
  });
});
