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

  async function startMember(
    id: string,
    extra: { join?: boolean; members?: Record<string, string>; snapshotEntries?: number; logger?: Logger } = {},
  ): Promise<Member> {
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
      logger: extra.logger ?? (process.env.RAFT_DEBUG ? { ...quiet, info: (m) => console.log(id, "INFO", m), warn: (m) => console.log(id, "WARN", m), error: (m) => console.log(id, "ERR", m) } : quiet),
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

  it("brings back a member whose data dir was wiped, though the leader's log was never compacted past it", async () => {
    // The members restart without snapshots: the leader keeps every entry, so nothing but the log can bring
    // the wiped member back (a snapshot would hide the bug: the leader probed at the old match for ever).
    await Promise.all(members.map((m) => m.node.stop()));
    const warnings: string[] = [];
    const leaderLog = (id: string): Logger => ({ ...quiet, warn: (m, f) => warnings.push(`${id} ${m} ${JSON.stringify(f)}`) });
    members = [];
    for (const id of Object.keys(addresses)) members.push(await startMember(id, { snapshotEntries: 1_000_000, logger: leaderLog(id) }));
    await until("a leader", () => leader() !== undefined && members.every((m) => m.node.leaderId() === leader()!.id));
    const l = leader()!;
    for (let i = 0; i < 60; i++) await l.node.propose(encodePut(`before-${i}`, Buffer.from("b")));
    const victim = members.find((m) => m !== l)!;
    await until("the victim applied everything", () => victim.kv.data.size === 60);
    const ackedByVictim = l.node.status().progress![victim.id].match;
    await victim.node.stop();
    fs.rmSync(victim.dir, { recursive: true, force: true });
    for (let i = 0; i < 40; i++) await l.node.propose(encodePut(`while-wiped-${i}`, Buffer.from("w")));
    assert.equal(l.node.status().progress![victim.id].match, ackedByVictim, "the leader still counts what the victim acknowledged");
    assert.equal(fs.existsSync(path.join(l.dir, "snapshots")) && fs.readdirSync(path.join(l.dir, "snapshots")).length > 0, false, "no snapshot");

    const wiped = await startMember(victim.id, { snapshotEntries: 1_000_000, logger: leaderLog(victim.id) });
    members = members.map((m) => (m === victim ? wiped : m));
    await until("the wiped member caught up", () => wiped.kv.data.size === 100);
    assert.deepEqual(wiped.kv.serialize(), l.kv.serialize());
    await until("the leader's match for it", () => l.node.status().progress![wiped.id].match === l.node.status().lastIndex);
    const lost = warnings.filter((w) => w.includes("lost entries it had acknowledged"));
    assert.equal(lost.length, 1, warnings.join("\n"));
    assert.match(lost[0], new RegExp(`^${l.id} .*"to":"${victim.id}","match":${ackedByVictim},"followerLastIndex":0`));
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
