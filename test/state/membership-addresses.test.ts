// A member that learns the membership from a snapshot gets the members' addresses with it: a joiner that
// was told only the leader's address follows a new leader after the original one is handed over and removed.
import assert from "node:assert/strict";
import * as path from "node:path";
import { StateNode } from "../../src/state";
import { freePort } from "../support/ports";
import { b, quiet, startCluster, TestCluster, until, untilLeader } from "./cluster";

describe("state: peer addresses travel with the membership", () => {
  let cluster: TestCluster | undefined;
  let joiner: StateNode | undefined;
  afterEach(async () => {
    await joiner?.stop();
    joiner = undefined;
    await cluster?.stop();
    cluster = undefined;
  });

  it("a joiner that knew only the old leader follows the next one after the old one is removed", async () => {
    const c = (cluster = await startCluster({ size: 3, snapshotEntries: 25 }));
    const first = c.leader();
    for (let i = 0; i < 60; i++) await first.kv.write({ mutations: [{ op: "put", key: b(`k${i}`), value: b(String(i)) }] });
    await until("a snapshot", () => first.status().lastSnapshot !== undefined);

    const address = `127.0.0.1:${await freePort()}`;
    joiner = await StateNode.start({
      join: true,
      id: "n4",
      dataDir: path.join(c.root, "n4"),
      // Only itself and the member that adds it: the rest must come from the snapshot.
      members: { n4: address, [first.id]: c.addresses[first.id] },
      clusterSecret: "state-test-secret",
      clusterName: "state-test",
      snapshotStore: c.store,
      snapshotEntries: 25,
      listen: address,
      tickMs: 20,
      electionTicks: 10,
      timeoutMs: 10_000,
      logger: quiet,
    });
    await first.addLearner("n4", address);
    await until("the joiner restored the snapshot", () => joiner!.status().lastRestore !== undefined);
    await first.addVoter("n4", address);

    const next = [...c.nodes.values()].find((n) => n !== first)!;
    await first.raft.transferLeadership(next.id);
    await next.removeMember(first.id);
    await c.stopNode(first.id);
    const rest = [...c.nodes.values()];
    await untilLeader({ ...c, nodes: new Map([...rest, joiner].map((n) => [n.id, n])) } as TestCluster);

    await next.kv.write({ mutations: [{ op: "put", key: b("after-removal"), value: b("leader") }] });
    await joiner.kv.write({ mutations: [{ op: "put", key: b("from-joiner"), value: b("n4") }] });
    await until("the joiner applied the new leader's writes", async () => (await joiner!.machine.get(b("after-removal")))?.value.toString() === "leader");
    for (const n of rest) await until(`${n.id} applied the joiner's write`, async () => (await n.machine.get(b("from-joiner")))?.value.toString() === "n4");
    assert.equal(joiner.raft.addressOf(next.id), c.addresses[next.id], "the joiner knows the new leader's address");
  });
});
