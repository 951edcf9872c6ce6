// Gateway-signed calls: AuthService.GetCredentialForGateway and acting on behalf of a user.
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { gatewayKeyFrom, gatewayTokenFor, openGatewayCredential, deriveClusterKeys, signPeerRequest, signRequest } from "../../src/auth";
import { ApiError, TarnClient } from "../../src/client";
import { encodeMessage, methodPath, apiMethods } from "../../src/metadata/proto";
import { CLUSTER_SECRET, startService, TestService } from "./support";

const LOOKUP = methodPath("AuthService", "GetCredentialForGateway");

/** One raw unary call with the given signature headers, answered as an ApiError code or "OK". */
async function rawCall(address: string, path: string, request: object, headers: (body: Buffer) => Record<string, string>): Promise<string> {
  const m = apiMethods().get(path)!;
  const body = encodeMessage(m.requestType, request);
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers(body))) md.set(k, v);
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  try {
    return await new Promise<string>((resolve) =>
      client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, body, md, (err) => resolve(err ? grpc.status[err.code] : "OK")),
    );
  } finally {
    client.close();
  }
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err.code;
  }
}

describe("metadata: gateway-signed calls", () => {
  let t: TestService;
  let gateway: TarnClient;
  let bob: { accessKeyId: string; secretAccessKey: string };
  const gatewayKey = gatewayKeyFrom(CLUSTER_SECRET);

  before(async () => {
    t = await startService();
    await t.client.createRepository({ name: "shared", storageNamespace: t.namespace("shared"), defaultBranch: "main" });
    await t.client.createUser({ id: "bob", policy: { statements: [{ effect: "EFFECT_ALLOW", actions: ["repos:Read"], resources: ["tarn:repo:*"] }] } });
    bob = await t.client.createAccessKey({ userId: "bob" });
    gateway = new TarnClient({ endpoints: [t.address], gateway: { key: gatewayKey, id: "gw-test" } });
  });
  after(async () => {
    gateway.close();
    await t.close();
  });

  it("a gateway-signed lookup returns the key's owner and its secret, sealed for the gateway", async () => {
    const found = await gateway.getCredentialForGateway({ accessKeyId: bob.accessKeyId });
    assert.equal(found.userId, "bob");
    assert.equal(found.accessKeyId, bob.accessKeyId);
    assert.ok(found.cacheSeconds > 0);
    assert.ok(!Buffer.from(found.encryptedSecret).toString("latin1").includes(bob.secretAccessKey), "the secret is not sent in the clear");
    assert.equal(openGatewayCredential(gatewayKey, found.accessKeyId, found.userId, found.encryptedSecret), bob.secretAccessKey);
    // Opened with the key bound to another user, it does not decrypt.
    assert.throws(() => openGatewayCredential(gatewayKey, found.accessKeyId, "admin", found.encryptedSecret), /does not decrypt/);
  });

  it("a gateway holding only its gateway token can look keys up too", async () => {
    const tokenKey = gatewayKeyFrom(gatewayTokenFor(CLUSTER_SECRET));
    const viaToken = new TarnClient({ endpoints: [t.address], gateway: { key: tokenKey, id: "gw-token" } });
    try {
      const found = await viaToken.getCredentialForGateway({ accessKeyId: bob.accessKeyId });
      assert.equal(openGatewayCredential(tokenKey, found.accessKeyId, found.userId, found.encryptedSecret), bob.secretAccessKey);
    } finally {
      viaToken.close();
    }
  });

  it("an unknown access key is NOT_FOUND", async () => {
    assert.equal(await codeOf(gateway.getCredentialForGateway({ accessKeyId: "AKIANOSUCHKEY000000" })), "NOT_FOUND");
  });

  it("user signatures get PERMISSION_DENIED, even the admin's", async () => {
    assert.equal(await codeOf(t.client.getCredentialForGateway({ accessKeyId: bob.accessKeyId })), "PERMISSION_DENIED");
    assert.equal(await codeOf(t.clientWith(bob).getCredentialForGateway({ accessKeyId: bob.accessKeyId })), "PERMISSION_DENIED");
  });

  it("member signatures get PERMISSION_DENIED", async () => {
    const { memberKey } = deriveClusterKeys(CLUSTER_SECRET);
    const code = await rawCall(t.address, LOOKUP, { accessKeyId: bob.accessKeyId }, (body) => signPeerRequest({ role: "member", key: memberKey, peerId: "m1", method: LOOKUP, body }));
    assert.equal(code, "PERMISSION_DENIED");
  });

  it("a gateway signature with the wrong key is UNAUTHENTICATED", async () => {
    const wrong = new TarnClient({ endpoints: [t.address], gateway: { key: gatewayKeyFrom("some other cluster's secret, long"), id: "gw-x" } });
    try {
      assert.equal(await codeOf(wrong.getCredentialForGateway({ accessKeyId: bob.accessKeyId })), "UNAUTHENTICATED");
    } finally {
      wrong.close();
    }
  });

  it("on behalf of a user, a gateway gets exactly that user's permissions", async () => {
    const asBob = gateway.forUser("bob");
    assert.equal((await asBob.whoAmI()).user.id, "bob");
    assert.equal((await asBob.getRepository({ repository: "shared" })).id, "shared");
    assert.equal(await codeOf(asBob.createBranch({ repository: "shared", name: "b", source: "main" })), "PERMISSION_DENIED");
    assert.equal(await codeOf(asBob.getCredentialForGateway({ accessKeyId: bob.accessKeyId })), "PERMISSION_DENIED");
    const asAdmin = gateway.forUser("admin");
    assert.equal((await asAdmin.createBranch({ repository: "shared", name: "b", source: "main" })).id, "b");
    assert.equal(await codeOf(gateway.forUser("nobody").whoAmI()), "UNAUTHENTICATED");
  });

  it("a gateway acting for itself may call nothing but the credential lookup", async () => {
    assert.equal(await codeOf(gateway.whoAmI()), "PERMISSION_DENIED");
    assert.equal(await codeOf(gateway.listRepositories()), "PERMISSION_DENIED");
  });

  it("on-behalf-of from a non-gateway is refused", async () => {
    const whoAmI = methodPath("AuthService", "WhoAmI");
    // A user signature with the header added.
    const asUser = await rawCall(t.address, whoAmI, {}, (body) => ({
      ...signRequest({ method: whoAmI, accessKeyId: bob.accessKeyId, secretAccessKey: bob.secretAccessKey, body }),
      "x-tarn-peer-on-behalf-of": "admin",
    }));
    assert.equal(asUser, "PERMISSION_DENIED");
    // A member signature acting for a user.
    const { memberKey } = deriveClusterKeys(CLUSTER_SECRET);
    const asMember = await rawCall(t.address, whoAmI, {}, (body) => signPeerRequest({ role: "member", key: memberKey, peerId: "m1", method: whoAmI, body, onBehalfOf: "admin" }));
    assert.equal(asMember, "PERMISSION_DENIED");
    // Sanity: the same user signature without the header is accepted.
    const plain = await rawCall(t.address, whoAmI, {}, (body) => signRequest({ method: whoAmI, accessKeyId: bob.accessKeyId, secretAccessKey: bob.secretAccessKey, body }));
    assert.equal(plain, "OK");
  });

  it("a deleted key stops working at once through this member", async () => {
    const k = await t.client.createAccessKey({ userId: "bob" });
    const c = t.clientWith(k);
    assert.equal((await c.whoAmI()).user.id, "bob");
    await t.client.deleteAccessKey({ userId: "bob", accessKeyId: k.accessKeyId });
    assert.equal(await codeOf(c.whoAmI()), "UNAUTHENTICATED");
    assert.equal(await codeOf(gateway.getCredentialForGateway({ accessKeyId: k.accessKeyId })), "NOT_FOUND");
  });
});
