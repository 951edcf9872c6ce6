// Signed calls over a real gRPC connection (grpc-js on loopback): the client signs the serialized request
// bytes it sends, the server hashes the bytes it received, and AuthManager decides. This is the pattern the
// metadata service and the SDK use; here with AuthService/WhoAmI from proto/metadata.proto.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protobuf from "protobufjs";
import { AuthManager, Caller, deriveClusterKeys, MemoryCredentialStore, NewAccessKey, signRequest } from "../../src/auth";
import { TarnError } from "../../src/errors";

function protoFile(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, "proto", "metadata.proto");
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`proto/metadata.proto not found above ${__dirname}`);
}

const METHOD = "/tarn.metadata.v1.AuthService/WhoAmI";
const root = protobuf.loadSync(protoFile());
const WhoAmIRequest = root.lookupType("tarn.metadata.v1.WhoAmIRequest");
const WhoAmIResponse = root.lookupType("tarn.metadata.v1.WhoAmIResponse");

/** The server keeps the received bytes beside the decoded message, so it can check the signed hash. */
interface Received {
  raw: Buffer;
  message: protobuf.Message;
}

const identity = (b: Buffer) => b;

describe("auth: signed calls over gRPC", () => {
  let server: grpc.Server;
  let client: grpc.Client;
  let admin: NewAccessKey;

  before(async () => {
    const manager = new AuthManager({ store: new MemoryCredentialStore(), credentialKey: deriveClusterKeys("grpc test cluster secret").credentialKey });
    admin = (await manager.bootstrapAdmin())!;
    server = new grpc.Server();
    const definition: grpc.ServiceDefinition = {
      WhoAmI: {
        path: METHOD,
        requestStream: false,
        responseStream: false,
        requestDeserialize: (raw: Buffer): Received => ({ raw, message: WhoAmIRequest.decode(raw) }),
        requestSerialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    };
    server.addService(definition, {
      WhoAmI: (call: grpc.ServerUnaryCall<Received, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        manager
          .authenticate({ method: call.getPath(), headers: call.metadata.getMap(), body: call.request.raw })
          .then((caller: Caller) => {
            const reply = WhoAmIResponse.fromObject({ user: { id: caller.user.id, creationDate: caller.user.createdAt }, accessKeyId: caller.accessKeyId });
            callback(null, Buffer.from(WhoAmIResponse.encode(reply).finish()));
          })
          .catch((err: unknown) => {
            const code = err instanceof TarnError && err.code === "UNAUTHENTICATED" ? grpc.status.UNAUTHENTICATED : grpc.status.INTERNAL;
            callback({ code, details: (err as Error).message });
          });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    await new Promise<void>((resolve) => (server ? server.tryShutdown(() => resolve()) : resolve()));
  });

  function call(body: Buffer, headers: Record<string, string>): Promise<protobuf.Message> {
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
    return new Promise((resolve, reject) =>
      client.makeUnaryRequest(METHOD, identity, (b: Buffer) => WhoAmIResponse.decode(b), body, metadata, {}, (err, reply) => (err ? reject(err) : resolve(reply!))),
    );
  }

  const body = () => Buffer.from(WhoAmIRequest.encode(WhoAmIRequest.create({})).finish());
  const sign = (b: Buffer, secret = admin.secretAccessKey) => signRequest({ method: METHOD, accessKeyId: admin.accessKeyId, secretAccessKey: secret, body: b });

  it("answers a signed call with the caller's identity", async () => {
    const b = body();
    const reply = WhoAmIResponse.toObject(await call(b, sign(b)));
    assert.equal(reply.accessKeyId, admin.accessKeyId);
    assert.equal(reply.user.id, "admin");
  });

  it("refuses unsigned, wrongly signed, replayed and altered calls with UNAUTHENTICATED", async () => {
    const refused = async (promise: Promise<unknown>, message: RegExp) =>
      assert.rejects(promise, (err: grpc.ServiceError) => err.code === grpc.status.UNAUTHENTICATED && message.test(err.details));
    await refused(call(body(), {}), /missing x-tarn-access-key-id header/);
    await refused(call(body(), sign(body(), "not-the-secret-not-the-secret")), /signature does not match/);
    const b = body();
    const headers = sign(b);
    await call(b, headers);
    await refused(call(b, headers), /replayed request/);
    // Same signed headers, different bytes on the wire (an unknown field appended).
    const altered = Buffer.concat([body(), Buffer.from([0x08, 0x01])]);
    await refused(call(altered, sign(body())), /request message does not match its x-tarn-content-sha256/);
  });
});
