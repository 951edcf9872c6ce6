// Acceptance 4: every call needs valid credentials; peer traffic needs the member key derived from the
// cluster secret; a gateway (holding a gateway token) or a client (holding an access key) cannot act as a peer.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { signPeerCall } from "../../raft/transport";
import { deriveClusterKeys, gatewayTokenFor } from "../../src/auth";
import { TarnClient } from "../../src/client";
import { hasCode } from "../../src/errors";
import { freePort } from "../support/ports";
import { StartedProcess } from "../support/processes";
import { ADMIN, adminClient, CLUSTER_SECRET, cleanEnv, MemberSpec, memberSpecs, peersFlag, startMemberProcess, tarn, tempDir, waitForLeader } from "./support";

// Peer calls use Send (the Raft message stream): an empty stream from a real member is answered OK, so the
// control case needs no state. (FetchSnapshot refusals do not reach the caller; reported to raft/'s owner.)
const SEND = "/tarn.raft.v1.RaftPeer/Send";

describe("security of tarn metadata", function () {
  this.timeout(120_000);
  let root: string;
  let specs: MemberSpec[];
  const procs: StartedProcess[] = [];
  let target: string;
  let raw: grpc.Client;
  let metricsPort: number;

  before(async () => {
    root = tempDir("security");
    const env = cleanEnv({ TARN_CLUSTER_SECRET: CLUSTER_SECRET, TARN_ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId, TARN_ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey });
    specs = await memberSpecs(["s1", "s2"], root);
    metricsPort = await freePort();
    for (const m of specs) {
      const extraArgs = m.id === "s1" ? ["--metrics-listen", `127.0.0.1:${metricsPort}`] : [];
      procs.push(startMemberProcess(m, { peers: peersFlag(specs), env, logLevel: "info", extraArgs }));
    }
    const admin = adminClient(specs.map((m) => `127.0.0.1:${m.port}`));
    await waitForLeader(admin, procs[0]);
    admin.close();
    target = `127.0.0.1:${specs[0].port}`;
    raw = new grpc.Client(target, grpc.credentials.createInsecure());
  });

  after(async () => {
    raw?.close();
    await Promise.all(procs.map((p) => p.stop()));
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  const refusal = async (client: TarnClient): Promise<unknown> => {
    try {
      await client.listRepositories();
    } catch (err) {
      return err;
    } finally {
      client.close();
    }
    return undefined;
  };

  it("refuses metadata calls without valid credentials", async () => {
    const endpoints = [target];
    const wrongSecret = await refusal(new TarnClient({ endpoints, accessKeyId: ADMIN.accessKeyId, secretAccessKey: "not-the-secret-0123456789abcdef", retry: { attempts: 1 } }));
    assert.ok(hasCode(wrongSecret, "UNAUTHENTICATED"), String(wrongSecret));
    const unknownKey = await refusal(new TarnClient({ endpoints, accessKeyId: "AKIANOBODY0000000000", secretAccessKey: ADMIN.secretAccessKey, retry: { attempts: 1 } }));
    assert.ok(hasCode(unknownKey, "UNAUTHENTICATED"), String(unknownKey));

    // An unsigned call, straight over gRPC.
    const code = await new Promise<number>((resolve) =>
      raw.makeUnaryRequest("/tarn.metadata.v1.RepositoryService/ListRepositories", (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (err) => resolve(err?.code ?? 0)),
    );
    assert.equal(code, grpc.status.UNAUTHENTICATED);

    // The CLI without credentials: one line that says how to provide them.
    const cli = await tarn(["repo", "list"], cleanEnv({ TARN_ENDPOINT: target }));
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /^tarn: no credentials: set TARN_ACCESS_KEY_ID and TARN_SECRET_ACCESS_KEY/);
    assert.equal(cli.stderr.trim().split("\n").length, 1);
  });

  /** An empty Send stream to member s1 with these headers: resolves with the gRPC status. */
  const peerCall = (metadata: grpc.Metadata) =>
    new Promise<{ code: number; details: string }>((resolve) => {
      const call = raw.makeClientStreamRequest(SEND, (b: Buffer) => b, (b: Buffer) => b, metadata, { deadline: Date.now() + 10_000 }, (err) =>
        resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: "" }),
      );
      call.end();
    });
  const memberKey = deriveClusterKeys(CLUSTER_SECRET).memberKey.toString("hex");

  it("refuses peer traffic without the cluster's member key", async () => {
    assert.equal((await peerCall(new grpc.Metadata())).code, grpc.status.UNAUTHENTICATED);
    const otherCluster = deriveClusterKeys("another-cluster-secret-0123456789").memberKey.toString("hex");
    const forged = await peerCall(signPeerCall(otherCluster, "tarn", "s2", "s1"));
    assert.equal(forged.code, grpc.status.UNAUTHENTICATED);
    assert.match(forged.details, /bad HMAC/);
    // The cluster secret itself is not the member key either (members sign with a key derived from it).
    assert.equal((await peerCall(signPeerCall(CLUSTER_SECRET, "tarn", "s2", "s1"))).code, grpc.status.UNAUTHENTICATED);
  });

  it("does not let a gateway or a client act as a peer", async () => {
    const asGateway = await peerCall(signPeerCall(gatewayTokenFor(CLUSTER_SECRET), "tarn", "s2", "s1"));
    assert.equal(asGateway.code, grpc.status.UNAUTHENTICATED);
    const gatewayKey = deriveClusterKeys(CLUSTER_SECRET).gatewayKey.toString("hex");
    assert.equal((await peerCall(signPeerCall(gatewayKey, "tarn", "s2", "s1"))).code, grpc.status.UNAUTHENTICATED);
    const asClient = await peerCall(signPeerCall(ADMIN.secretAccessKey, "tarn", "s2", "s1"));
    assert.equal(asClient.code, grpc.status.UNAUTHENTICATED);
    // With the member key but a name that is not a member: refused too.
    const stranger = await peerCall(signPeerCall(memberKey, "tarn", "intruder", "s1"));
    assert.equal(stranger.code, grpc.status.PERMISSION_DENIED);
    // Control: a real member's signature is accepted.
    const member = await peerCall(signPeerCall(memberKey, "tarn", "s2", "s1"));
    assert.equal(member.code, grpc.status.OK, member.details);
  });

  it("counts refusals in Prometheus metrics and logs them as JSON lines", async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(text, /tarn_grpc_requests_total\{method="ListRepositories",code="UNAUTHENTICATED"\} [1-9]/);
    const lines = procs[0].output().split("\n").filter((l) => l.startsWith("{"));
    assert.ok(lines.length > 0);
    const refused = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "call refused" && l.code === "UNAUTHENTICATED");
    assert.ok(refused.length > 0, "a refused call is logged");
    assert.equal(refused[0].member, "s1");
  });

  it("answers /healthz on the metrics port once the member knows a leader", async () => {
    const health = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
    assert.equal(health.status, 200);
    assert.equal((await health.text()).trim(), "ok");
  });
});
