// A three-member group under concurrent writers: a member restarted mid-stream applies nothing twice and
// loses nothing; compare-and-set rounds from different members have exactly one winner; a malformed command
// in the log is rejected alike by every member, which keep running.
import assert from "node:assert/strict";
import { hasCode, TarnError } from "../../src/errors";
import { decodeResult, ResultStatus, StateNode } from "../../src/state";
import { b, startCluster, TestCluster, until } from "./cluster";

async function contents(node: StateNode): Promise<string[]> {
  const records = await node.kv.scan({});
  return records.map((r) => `${r.key.toString()}=${r.value.toString()}@${r.version}`);
}

describe("state: replicated apply across three members", function () {
  this.timeout(120_000);
  let c: TestCluster | undefined;

  afterEach(async () => {
    await c?.stop();
    c = undefined;
  });

  it("restarts a member mid-stream: applied index and data agree, nothing applied twice or lost", async () => {
    const groups = new Map<string, [number, number][]>();
    c = await startCluster({ size: 3, onApplied: (id, first, last) => groups.set(id, [...(groups.get(id) ?? []), [first, last]]) });
    const cluster = c;
    const victim = cluster.followers()[0].id;
    const writers = [cluster.leader(), cluster.followers()[1]];
    const COUNTERS = 4;
    for (let k = 0; k < COUNTERS; k++) await writers[0].kv.write({ mutations: [{ op: "put", key: b(`counter/${k}`), value: b("0") }] });

    // Each increment is a compare-and-set on the counter's version that also records the operation under
    // its own key: applying one twice would leave the counter ahead of the records.
    let acknowledged = 0;
    let stop = false;
    const writer = async (node: StateNode, w: number) => {
      for (let i = 0; !stop; i++) {
        const key = b(`counter/${i % COUNTERS}`);
        const cur = (await node.kv.get(key))!;
        try {
          await node.kv.write({
            preconditions: [{ key, version: cur.version }],
            mutations: [
              { op: "put", key, value: b(String(Number(cur.value.toString()) + 1)) },
              { op: "put", key: b(`op/${w}/${i}`), value: key },
            ],
          });
          acknowledged++;
        } catch (err) {
          if (!hasCode(err, "FAILED_PRECONDITION")) throw err;
        }
      }
    };
    const running = writers.flatMap((n, i) => [writer(n, 2 * i), writer(n, 2 * i + 1)]);
    await until("some writes", () => acknowledged >= 40);
    await cluster.stopNode(victim);
    const appliedAtStop = groups.get(victim)!.at(-1)![1];
    const before = acknowledged;
    await until("writes while the member is down", () => acknowledged >= before + 40);
    const back = await cluster.start(victim);
    assert.equal(back.status().applied, appliedAtStop, "the reopened database has the applied index it stopped with");
    const restartedAt = groups.get(victim)!.length;
    await until("writes after the restart", () => acknowledged >= before + 120);
    stop = true;
    await Promise.all(running);

    const expected = await contents(cluster.leader());
    let total = 0;
    for (let k = 0; k < COUNTERS; k++) total += Number((await cluster.leader().kv.get(b(`counter/${k}`)))!.value.toString());
    assert.equal(total, acknowledged, "every acknowledged increment counted once");
    assert.equal(expected.filter((e) => e.startsWith("op/")).length, acknowledged);
    for (const node of cluster.nodes.values()) {
      assert.deepEqual(await contents(node), expected, `member ${node.id} holds the same records and versions`);
      assert.equal(node.status().applied, cluster.leader().status().applied);
    }
    // The member's apply groups never overlap, across the restart too: no index was applied twice.
    const seen = groups.get(victim)!;
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i][0] > seen[i - 1][1], `group ${seen[i]} after ${seen[i - 1]}`);
    assert.ok(seen[restartedAt][0] > appliedAtStop);
  });

  it("lets exactly one member win each compare-and-set round", async () => {
    c = await startCluster({ size: 3 });
    const nodes = [...c.nodes.values()];
    await nodes[0].kv.write({ mutations: [{ op: "put", key: b("head"), value: b("0") }] });
    for (let round = 1; round <= 10; round++) {
      const results = await Promise.allSettled(
        nodes.map((n) => n.kv.write({ preconditions: [{ key: b("head"), equals: b(String(round - 1)) }], mutations: [{ op: "put", key: b("head"), value: b(String(round)) }, { op: "put", key: b(`winner/${round}`), value: b(n.id) }] })),
      );
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1, `round ${round}: one winner`);
      for (const r of results) {
        if (r.status === "rejected") {
          assert.ok(hasCode(r.reason, "FAILED_PRECONDITION"), String(r.reason));
          assert.match((r.reason as TarnError).message, /key "head" changed/);
        }
      }
      for (const n of nodes) assert.equal((await n.kv.get(b("head")))?.value.toString(), String(round), `member ${n.id} reads the winner`);
    }
    const winners = await nodes[1].kv.scan({ prefix: b("winner/") });
    assert.equal(winners.length, 10);
  });

  it("rejects a malformed command in the log alike on every member, and keeps going", async () => {
    c = await startCluster({ size: 3 });
    const cluster = c;
    const follower = cluster.followers()[0];
    await follower.kv.write({ mutations: [{ op: "put", key: b("before"), value: b("1") }] });
    for (const garbage of [Buffer.from([0x01, 0x01, 0x05]), Buffer.from([0x63, 0x00]), Buffer.from("not a command at all")]) {
      const result = decodeResult(await follower.raft.propose(garbage));
      assert.equal(result.status, ResultStatus.Rejected);
      assert.match(result.message, /malformed command at index \d+/);
    }
    await cluster.leader().kv.write({ mutations: [{ op: "put", key: b("after"), value: b("2") }] });
    await until("every member applied everything", () => [...cluster.nodes.values()].every((n) => n.status().applied === cluster.leader().status().applied));
    const expected = await contents(cluster.leader());
    assert.deepEqual(expected.map((e) => e.split("@")[0]), ["after=2", "before=1"]);
    // Oversized and ill-formed batches are refused before they reach the log.
    const huge = await follower.kv.write({ mutations: [{ op: "put", key: b("huge"), value: Buffer.alloc(5 * 1024 * 1024) }] }).then(() => undefined, (e: unknown) => e);
    assert.ok(hasCode(huge, "INVALID_ARGUMENT") && /encodes to \d+ bytes, above the limit/.test((huge as Error).message), String(huge));
    const notBytes = await follower.kv.write({ mutations: [{ op: "put", key: "text" as unknown as Buffer, value: b("v") }] }).then(() => undefined, (e: unknown) => e);
    assert.ok(hasCode(notBytes, "INVALID_ARGUMENT") && /mutation 0 has no Buffer key/.test((notBytes as Error).message), String(notBytes));
    for (const node of cluster.nodes.values()) {
      assert.equal(node.status().rejectedCommands, 3, `member ${node.id}`);
      assert.deepEqual(await contents(node), expected);
      assert.equal(node.raft.failedWith(), undefined);
    }
  });

  it("reports status, and answers UNAVAILABLE 'no leader yet' without a quorum while local reads still work", async () => {
    c = await startCluster({ size: 3, extra: { timeoutMs: 1500 } });
    const cluster = c;
    const leader = cluster.leader();
    await leader.kv.write({ mutations: [{ op: "put", key: b("k"), value: b("v") }] });
    const st = leader.status();
    assert.equal(st.role, "leader");
    assert.equal(st.leader, leader.id);
    assert.equal(st.leaderAddress, cluster.addresses[leader.id]);
    assert.ok(st.term >= 1 && st.applied >= 1 && st.commit >= st.applied);
    assert.deepEqual(st.members.map((m) => `${m.id}:${m.role}:${m.address}`), Object.entries(cluster.addresses).map(([id, a]) => `${id}:voter:${a}`));

    const lone = cluster.followers()[0];
    await until("the lone member applied the write", () => lone.status().applied === st.applied);
    for (const other of [...cluster.nodes.values()].filter((n) => n !== lone)) await cluster.stopNode(other.id);
    await until("the lone member has no leader", () => lone.status().leader === undefined);
    const write = await lone.kv.write({ mutations: [{ op: "put", key: b("k"), value: b("lost") }] }).then(() => undefined, (e: unknown) => e);
    assert.ok(hasCode(write, "UNAVAILABLE"), `UNAVAILABLE, got ${String(write)}`);
    assert.match((write as Error).message, /no leader yet/);
    const read = await lone.kv.get(b("k")).then(() => undefined, (e: unknown) => e);
    assert.ok(hasCode(read, "UNAVAILABLE"), `UNAVAILABLE, got ${String(read)}`);
    assert.equal((await lone.kv.localReads().get(b("k")))?.value.toString(), "v");
  });
});
