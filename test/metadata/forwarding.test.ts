// Leader forwarding with two "members" in this process: B is a follower whose ClusterView names A as the
// leader. Calls to B reach A (unary and streaming), come back with x-tarn-leader, and the client goes
// straight to A afterwards. Without a leader, B answers UNAVAILABLE and the client retries with backoff.
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { signRequest } from "../../src/auth";
import { ApiError } from "../../src/client";
import { ClusterStatusInfo, ClusterView, FORWARDED_HEADER, LocalClusterView, messageType, methodPath } from "../../src/metadata";
import { collect, startService, TestService } from "./support";

/** A member whose leadership the test decides. */
class FakeClusterView implements ClusterView {
  current: { id: string; address: string } | undefined;
  constructor(
    readonly selfId: string,
    public leading: boolean,
  ) {}
  advertise(address: string) {
    if (this.leading) this.current = { id: this.selfId, address };
  }
  leader() {
    return this.current;
  }
  isLeader() {
    return this.leading;
  }
  async status(): Promise<ClusterStatusInfo> {
    return { ...(await new LocalClusterView(this.selfId, this.current?.address ?? "").status()), leaderId: this.current?.id ?? "" };
  }
  addMember(): Promise<ClusterStatusInfo> {
    return this.status();
  }
  removeMember(): Promise<ClusterStatusInfo> {
    return this.status();
  }
  transferLeader(): Promise<ClusterStatusInfo> {
    return this.status();
  }
}

async function forwardedCount(t: TestService): Promise<number> {
  const metric = await t.svc.server.metrics.registry.getSingleMetric("tarn_grpc_forwarded_total")!.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

describe("metadata service: leader forwarding", () => {
  let a: TestService;
  let b: TestService;
  let viewB: FakeClusterView;
  before(async () => {
    a = await startService({ cluster: new FakeClusterView("a", true) });
    viewB = new FakeClusterView("b", false);
    b = await startService({ cluster: viewB });
    viewB.current = { id: "a", address: a.address };
  });
  after(async () => {
    await b?.close();
    await a?.close();
  });

  it("forwards a follower's calls to the leader, returns x-tarn-leader, and the client then goes straight there", async () => {
    const viaB = b.clientWith(a.svc.admin!, [b.address]);
    const repo = await viaB.createRepository({ name: "fwd", storageNamespace: a.namespace("fwd") });
    assert.equal(repo.id, "fwd");
    assert.equal(viaB.leader, a.address);
    assert.equal(await forwardedCount(b), 1);
    // Created on A (the leader), not on B.
    assert.equal((await a.client.getRepository({ repository: "fwd" })).id, "fwd");
    await assert.rejects(b.svc.graveler.getRepository("fwd"), { code: "NOT_FOUND" });

    await viaB.upload("fwd", "main", "k", Buffer.from("v"));
    assert.equal((await viaB.downloadBuffer("fwd", "main", "k")).toString(), "v");
    assert.equal(await forwardedCount(b), 1, "calls after the first went straight to the leader");
  });

  it("forwards streaming calls and keeps the caller's identity", async () => {
    const viaB = b.clientWith(a.svc.admin!, [b.address]);
    const listing = await collect(viaB.objects({ repository: "fwd", ref: "main" }));
    assert.deepEqual(listing.map((o) => o.path), ["k"]);
    assert.equal(viaB.leader, a.address);
    const again = b.clientWith(a.svc.admin!, [b.address]);
    assert.equal((await again.whoAmI()).accessKeyId, a.svc.admin!.accessKeyId);
    // B's own admin does not exist on A: the leader authenticates, not the follower.
    const bAdmin = b.clientWith(b.svc.admin!, [b.address]);
    await assert.rejects(bAdmin.whoAmI(), (err: unknown) => err instanceof ApiError && err.statusName === "UNAUTHENTICATED");
  });

  it("answers UNAVAILABLE while no leader is known, and the client's retries succeed once one is", async () => {
    viewB.current = undefined;
    try {
      const impatient = b.clientWith(a.svc.admin!, [b.address]);
      await assert.rejects(impatient.getRepository({ repository: "fwd" }), (err: unknown) => err instanceof ApiError && err.statusName === "UNAVAILABLE" && /no leader yet, retry/.test(err.message));
      const patient = b.clientWith(a.svc.admin!, [b.address], { attempts: 20, baseMs: 20, maxMs: 40 });
      const electing = setTimeout(() => (viewB.current = { id: "a", address: a.address }), 150);
      try {
        assert.equal((await patient.getRepository({ repository: "fwd" })).id, "fwd");
      } finally {
        clearTimeout(electing);
      }
      assert.equal(patient.leader, a.address);
    } finally {
      viewB.current = { id: "a", address: a.address };
    }
  });

  it("refuses to forward a call twice", async () => {
    const admin = a.svc.admin!;
    const path = methodPath("AuthService", "WhoAmI");
    const body = Buffer.from(messageType("WhoAmIRequest").encode({}).finish());
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(signRequest({ method: path, ...admin, body }))) md.set(k, v);
    md.set(FORWARDED_HEADER, "c");
    const raw = new grpc.Client(b.address, grpc.credentials.createInsecure());
    try {
      await assert.rejects(
        new Promise((resolve, reject) => raw.makeUnaryRequest(path, (x: Buffer) => x, (x: Buffer) => x, body, md, {}, (err, reply) => (err ? reject(err) : resolve(reply)))),
        (err: grpc.ServiceError) => err.code === grpc.status.UNAVAILABLE && /forwarded by c but is not the leader/.test(err.details),
      );
    } finally {
      raw.close();
    }
  });
});
