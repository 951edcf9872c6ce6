// The service over the real replicated state: three Raft members (src/state StateNode) in this process, each
// serving the metadata API and the peer API on one gRPC port. A client that knows only a follower is
// forwarded to the leader, learns its address, and reads its writes from any member's state after a
// leadership transfer.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { openObjectStore, ObjectStore } from "../../src/block";
import { TarnClient } from "../../src/client";
import { collect, startRaftMembers, type RaftMember } from "./support";

type Member = RaftMember;

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("metadata service over a three-member Raft group", () => {
  let dir: string;
  let snapshots: ObjectStore;
  const members: Member[] = [];
  const clients: TarnClient[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-metadata-raft-"));
    snapshots = openObjectStore(`local://${path.join(dir, "snapshots")}`);
    members.push(...(await startRaftMembers(dir, snapshots)));
    await waitFor("a leader", () => members.find((m) => m.node.isLeader()));
  });

  after(async () => {
    for (const c of clients) c.close();
    // Raft first (it ends its peer streams on the shared servers), then the services.
    for (const m of members) await m.node.stop();
    for (const m of members) await m.svc.close();
    await snapshots?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("forwards from a follower to the leader, and keeps serving after a leadership transfer", async () => {
    const leader = members.find((m) => m.node.isLeader())!;
    const admin = (await leader.svc.auth.bootstrapAdmin())!;
    const follower = members.find((m) => m !== leader)!;
    const client = new TarnClient({ endpoints: [follower.address], ...admin, retry: { attempts: 30, baseMs: 20, maxMs: 300 } });
    clients.push(client);

    const status = await client.getClusterStatus();
    assert.equal(status.leaderId, leader.id);
    assert.equal(status.members.length, 3);
    assert.equal(client.leader, leader.address, "x-tarn-leader came back from the follower");

    await client.createRepository({ name: "replicated", storageNamespace: `local://${path.join(dir, "lake")}` });
    await client.upload("replicated", "main", "a.txt", Buffer.from("alpha"));
    await client.commit({ repository: "replicated", branch: "main", message: "a" });

    const target = members.find((m) => m !== leader && m !== follower)!;
    await client.transferLeader({ targetId: target.id });
    await waitFor("the new leader", () => (target.node.isLeader() ? true : undefined));
    // The client's cached leader now forwards (or refuses) and names the new one; the caller sees no error.
    await client.upload("replicated", "main", "b.txt", Buffer.from("beta"));
    assert.equal((await client.downloadBuffer("replicated", "main", "a.txt")).toString(), "alpha");
    assert.deepEqual((await collect(client.objects({ repository: "replicated", ref: "main" }))).map((o) => o.path), ["a.txt", "b.txt"]);
    await waitFor("the client to follow the new leader", () => (client.leader === target.address ? true : undefined));
    await client.getRepository({ repository: "replicated" });
    assert.equal(client.leader, target.address);
  });
});
