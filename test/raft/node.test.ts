// Three RaftNodes in one process over real gRPC on loopback, each with its own durable log: they elect a
// leader, replicate writes proposed on the leader and forwarded by followers, serve ReadIndex reads, hand
// leadership over, survive a member restart, and take a new member through learner to voter.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Logger, NotLeaderError, RaftNode } from "../../raft/node";
import { LogCorruptionError } from "../../raft/storage";
import { encodePut, freePorts, KvStateMachine } from "./process-kv";

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

interface Member {
  id: string;
  node: RaftNode;
  kv: KvStateMachine;
  dir: string;
}

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("raft node over gRPC (three in-process members)", () => {
  let root: string;
  let members: Member[] = [];
  let addresses: Record<string, string>;

  async function startMember(id: string, extra: { join?: boolean; members?: Record<string, string>; snapshotEntries?: number } = {}): Promise<Member> {
    const dir = path.join(root, id);
    const kv = new KvStateMachine(path.join(dir, "snapshots"));
    const node = await RaftNode.start({
      id,
      members: extra.members ?? addresses,
      join: extra.join,
      dataDir: path.join(dir, "log"),
      cluster: "node-test",
      secret: "node-test-secret",
      stateMachine: kv,
      listen: extra.members?.[id] ?? addresses[id],
      tickMs: 20,
      snapshotEntries: extra.snapshotEntries ?? 50,
      logger: process.env.RAFT_DEBUG ? { ...quiet, info: (m) => console.log(id, "INFO", m), warn: (m) => console.log(id, "WARN", m), error: (m) => console.log(id, "ERR", m) } : quiet,
    });
    return { id, node, kv, dir };
  }

  const leader = () => members.find((m) => m.node.isLeader());

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-raftnode-"));
    const ports = await freePorts(4);
    addresses = { n1: `127.0.0.1:${ports[0]}`, n2: `127.0.0.1:${ports[1]}`, n3: `127.0.0.1:${ports[2]}` };
    members = [];
    for (const id of Object.keys(addresses)) members.push(await startMember(id));
    await until("a leader", () => leader() !== undefined && members.every((m) => m.node.leaderId() === leader()!.id));
  });

  afterEach(async () => {
    await Promise.all(members.map((m) => m.node.stop()));
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("replicates concurrent proposals from the leader and forwarded ones from followers", async () => {
    const l = leader()!;
    const follower = members.find((m) => m !== l)!;
    const writes = Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? follower : l).node.propose(encodePut(`k${i}`, Buffer.from(`v${i}`))));
    const results = (await Promise.all(writes)).map((r) => Number(Buffer.from(r).toString()));
    assert.equal(new Set(results).size, 200, "every write applied at its own index");
    await until("all members applied everything", () => members.every((m) => m.kv.data.size === 200));
    for (const m of members) {
      assert.equal(m.kv.data.get("k123")?.toString(), "v123");
      assert.deepEqual(m.kv.serialize(), l.kv.serialize());
    }
    // A linearizable read on a follower sees a write acknowledged just before.
    await l.node.propose(encodePut("fresh", Buffer.from("yes")));
    await follower.node.readIndex();
    assert.equal(follower.kv.data.get("fresh")?.toString(), "yes");
    // More than snapshotEntries writes were applied: the log was compacted behind a snapshot.
    assert.ok(l.node.status().applied > 200);
    assert.ok(fs.readdirSync(path.join(l.dir, "snapshots")).length > 0, "a snapshot was taken");
  });

  it("refuses to restart a member whose log is corrupt in the middle, naming the file and the index", async () => {
    const l = leader()!;
    for (let i = 0; i < 20; i++) await l.node.propose(encodePut(`c${i}`, Buffer.alloc(100, i)));
    const victim = members.find((m) => m !== l)!;
    await until("the victim applied everything", () => victim.kv.data.size === 20);
    await victim.node.stop();
    members = members.filter((m) => m !== victim);
    const logDir = path.join(victim.dir, "log");
    const file = path.join(logDir, fs.readdirSync(logDir).find((f) => f.endsWith(".wal"))!);
    const bytes = fs.readFileSync(file);
    const at = bytes.indexOf(Buffer.alloc(100, 7)); // the value of c7, inside its entry record
    assert.ok(at > 0);
    bytes[at + 50] ^= 0xff;
    fs.writeFileSync(file, bytes);
    await assert.rejects(startMember(victim.id), (err: Error) => {
      assert.ok(err instanceof LogCorruptionError, String(err));
      assert.equal(err.file, file);
      assert.ok(err.index > 1 && err.index < 30, `index ${err.index}`);
      assert.match(err.message, new RegExp(`entry index ${err.index}`));
      return true;
    });
    assert.deepEqual(fs.readFileSync(file), bytes, "the log is left as found");
  });

  it("transfers leadership, restarts a member that catches up, and promotes a learner", async () => {
    const old = leader()!;
    const target = members.find((m) => m !== old)!;
    await old.node.transferLeadership(target.id);
    await until("the new leader", () => target.node.isLeader());
    assert.equal(old.node.isLeader(), false);
    await assert.rejects(old.node.addVoter("n9", "127.0.0.1:1"), NotLeaderError);

    // Restart a follower; writes made while it is down reach it after the restart.
    const down = members.find((m) => m !== target)!;
    await down.node.stop();
    for (let i = 0; i < 120; i++) await target.node.propose(encodePut(`while-down-${i}`, Buffer.from("x")));
    const restarted = await startMember(down.id);
    members = members.map((m) => (m === down ? restarted : m));
    await until("the restarted member caught up", () => restarted.kv.data.size === 120);
    assert.deepEqual(restarted.kv.serialize(), target.kv.serialize());

    // A fourth member joins as a learner, catches up (from the snapshot), then becomes a voter.
    const [port] = await freePorts(1);
    const joinerAddress = `127.0.0.1:${port}`;
    const joiner = await startMember("n4", { join: true, members: { ...addresses, n4: joinerAddress } });
    members.push(joiner);
    const asLearner = await target.node.addLearner("n4", joinerAddress);
    assert.ok(asLearner.learners.includes("n4"));
    await until("the learner caught up", () => joiner.kv.data.size === 120);
    const asVoter = await target.node.addVoter("n4", joinerAddress);
    assert.deepEqual([...asVoter.voters].sort(), ["n1", "n2", "n3", "n4"]);
    await target.node.propose(encodePut("after-join", Buffer.from("4")));
    await until("the new voter applied the next write", () => joiner.kv.data.get("after-join")?.toString() === "4");

    // The new member restarts: its state comes back from the snapshot it fetched, then the log after it.
    await joiner.node.stop();
    members = members.filter((m) => m !== joiner);
    await target.node.propose(encodePut("while-n4-down", Buffer.from("y")));
    const again = await startMember("n4", { join: true, members: { ...addresses, n4: joinerAddress } });
    members.push(again);
    assert.equal(again.kv.data.get("while-down-7")?.toString(), "x", "restored from the local snapshot copy at start-up");
    await until("the restarted new member caught up", () => again.kv.data.get("while-n4-down")?.toString() === "y");
    assert.deepEqual(again.kv.serialize(), target.kv.serialize());
  });
});
