// RaftNode runtime behaviour its users rely on, each on real members over gRPC on loopback with durable logs:
// campaign() starts an election, a failed start leaves no file open, a leader in the middle of a leadership
// transfer refuses proposals at once with a retryable error naming the target.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Logger, NotLeaderError, RaftNode, RaftNodeOptions } from "../../raft/node";
import type { Snapshot } from "../../raft/types";
import { encodePut, freePorts, KvStateMachine } from "./process-kv";

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Paths of the files this process has open under `dir`. */
function openFilesUnder(dir: string): string[] {
  const open: string[] = [];
  for (const fd of fs.readdirSync("/proc/self/fd")) {
    try {
      const target = fs.readlinkSync(path.join("/proc/self/fd", fd));
      if (target.startsWith(dir)) open.push(target);
    } catch {
      // closed while we looked
    }
  }
  return open;
}

describe("raft node runtime", () => {
  let root: string;
  const nodes: RaftNode[] = [];

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-raftruntime-"));
  });

  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function start(id: string, members: Record<string, string>, extra: Partial<RaftNodeOptions> = {}): Promise<RaftNode> {
    const node = await RaftNode.start({
      id,
      members,
      dataDir: path.join(root, id, "log"),
      cluster: "runtime-test",
      secret: "runtime-test-secret",
      stateMachine: new KvStateMachine(path.join(root, id, "snapshots")),
      listen: members[id],
      tickMs: 20,
      logger: quiet,
      ...extra,
    });
    nodes.push(node);
    return node;
  }

  it("campaign() makes the member a candidate and, with its peers' votes, the leader", async () => {
    const ports = await freePorts(3);
    const members = { n1: `127.0.0.1:${ports[0]}`, n2: `127.0.0.1:${ports[1]}`, n3: `127.0.0.1:${ports[2]}` };
    // Election timeouts far beyond the test: nobody campaigns unless told to.
    const started: RaftNode[] = [];
    for (const id of Object.keys(members)) started.push(await start(id, members, { electionTicks: 100_000 }));
    const n2 = started[1];
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(started.some((n) => n.isLeader()), false, "no leader before campaign()");
    n2.campaign();
    await until("n2 to lead after campaign()", () => n2.isLeader(), 10_000);
    await n2.propose(encodePut("k", Buffer.from("v")));
    await until("every member to know the leader", () => started.every((n) => n.leaderId() === "n2"));
  });

  it("refuses proposals on and forwarded to a leader that is handing over leadership, naming the target", async () => {
    const ports = await freePorts(3);
    const members = { n1: `127.0.0.1:${ports[0]}`, n2: `127.0.0.1:${ports[1]}`, n3: `127.0.0.1:${ports[2]}` };
    // A transfer is abandoned after an election timeout (here 5 s); proposals would time out only after 60 s.
    const started: RaftNode[] = [];
    for (const id of Object.keys(members)) started.push(await start(id, members, { electionTicks: 250, timeoutMs: 60_000 }));
    const [n1, n2, n3] = started;
    n1.campaign();
    await until("n1 to lead", () => n1.isLeader() && started.every((n) => n.leaderId() === "n1"));
    await n1.propose(encodePut("before", Buffer.from("1")));
    // The target is down: the transfer stays under way (the leader waits for it to catch up).
    await n3.stop();
    const transfer = n1.transferLeadership("n3").catch((err: Error) => err);
    await until("the transfer to start", () => n1.status().leadTransferee === "n3");

    const here = await n1.propose(encodePut("on-leader", Buffer.from("2"))).then(() => "applied", (err: Error) => err);
    assert.ok(here instanceof NotLeaderError, String(here));
    assert.equal(here.leader, "n3");
    assert.equal(here.leaderAddress, members.n3);
    const forwarded = await n2.propose(encodePut("via-follower", Buffer.from("3"))).then(() => "applied", (err: Error) => err);
    assert.ok(forwarded instanceof NotLeaderError, String(forwarded));
    assert.equal(forwarded.leader, "n3");
    assert.equal(n1.status().leadTransferee, "n3", "both were refused while the transfer was still under way");

    // Once the transfer is abandoned, n1 takes proposals again.
    await until("the transfer to be abandoned", () => n1.status().leadTransferee === "");
    await n1.propose(encodePut("after", Buffer.from("4")));
    void transfer;
  });

  it("takes snapshots off the loop: proposals are applied while the state machine is still writing one", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let calls = 0;
    class SlowSnapshots extends KvStateMachine {
      override async snapshot(index: number): Promise<string> {
        calls++;
        await held;
        return super.snapshot(index);
      }
    }
    const [port] = await freePorts(1);
    const members = { n1: `127.0.0.1:${port}` };
    const node = await start("n1", members, { snapshotEntries: 5, timeoutMs: 5_000, stateMachine: new SlowSnapshots(path.join(root, "n1", "snapshots")) });
    await until("a leader", () => node.isLeader());
    for (let i = 0; i < 6; i++) await node.propose(encodePut(`a${i}`, Buffer.from("v")));
    await until("a snapshot to start", () => calls === 1);
    // The snapshot is held: the loop still commits and applies.
    for (let i = 0; i < 20; i++) await node.propose(encodePut(`b${i}`, Buffer.from("v")));
    assert.equal(calls, 1, "one snapshot at a time");
    assert.equal(node.status().snapshotInProgress, true);
    release();
    await until("the held snapshot to finish and the next to run", () => calls >= 2 && !node.status().snapshotInProgress);
    await until("the log compacted", () => fs.readdirSync(path.join(root, "n1", "snapshots")).length >= 2);
  });

  it("paces snapshots by their size: a large state waits until the log since holds as many bytes, or 16 x snapshotEntries", async () => {
    // The sizes the state machine reports for its first, second, ... snapshot.
    const sizes = [5_000, 1e12, 1e12];
    const made = new Map<string, number>();
    class SizedSnapshots extends KvStateMachine {
      override async snapshot(index: number): Promise<string> {
        const reference = await super.snapshot(index);
        made.set(reference, sizes[made.size]);
        return reference;
      }
      snapshotBytes(reference: string): number | undefined {
        return made.get(reference);
      }
    }
    const [port] = await freePorts(1);
    const members = { n1: `127.0.0.1:${port}` };
    const node = await start("n1", members, { snapshotEntries: 5, stateMachine: new SizedSnapshots(path.join(root, "n1", "snapshots")) });
    await until("a leader", () => node.isLeader());
    const value = Buffer.alloc(100, 1);
    const put = async (n: number, prefix: string) => {
      for (let i = 0; i < n; i++) await node.propose(encodePut(`${prefix}${i}`, value));
    };
    // No size known yet: paced by entries alone.
    await put(6, "a");
    await until("the first snapshot", () => made.size === 1);
    // It "holds" 5 kB: a dozen entries of ~110 bytes are far from that.
    await put(12, "b");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(made.size, 1, "a small log does not rewrite a large state");
    // ~5.7 kB of commands since the first: due.
    await put(40, "c");
    await until("a snapshot once the log holds as many bytes as the state", () => made.size === 2);
    // The second "holds" a terabyte: below 16 x 5 entries it waits; at 80 the cap takes one anyway.
    await put(70, "d");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(made.size, 2, "below 16 x snapshotEntries a huge state waits");
    await put(15, "e");
    await until("the cap's snapshot", () => made.size === 3);
  });

  it("keeps pacing snapshots by size after a restart, counting the log since the last one again", async () => {
    let made = 0;
    class KnownSize extends KvStateMachine {
      override async snapshot(index: number): Promise<string> {
        made++;
        return super.snapshot(index);
      }
      snapshotBytes(): number {
        return 5_000;
      }
    }
    const [port] = await freePorts(1);
    const members = { n1: `127.0.0.1:${port}` };
    const value = Buffer.alloc(100, 1);
    let node = await start("n1", members, { snapshotEntries: 5, stateMachine: new KnownSize(path.join(root, "n1", "snapshots")) });
    await until("a leader", () => node.isLeader());
    const put = async (n: number, prefix: string) => {
      for (let i = 0; i < n; i++) await node.propose(encodePut(`${prefix}${i}`, value));
    };
    await put(6, "a");
    await until("the first snapshot", () => made === 1);
    await put(30, "b"); // ~3.3 kB of the 5 kB
    await node.stop();
    node = await start("n1", members, { snapshotEntries: 5, stateMachine: new KnownSize(path.join(root, "n1", "snapshots")) });
    await until("a leader again", () => node.isLeader());
    // Entries alone (5) would take one now; the size it knows says wait for ~5 kB of log since the last.
    await put(8, "c");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(made, 1, "no snapshot for a log smaller than the state");
    // The log from before the restart counts: ~3.3 + 0.9 + 1.1 kB.
    await put(10, "d");
    await until("a snapshot once the log since the last holds 5 kB", () => made === 2);
  });

  it("paces a follower's snapshots at four times the leader's log bytes: its snapshots bound only its own log", async () => {
    const made = new Map<string, number>(); // snapshots per member
    const sized = (id: string) =>
      new (class extends KvStateMachine {
        override async snapshot(index: number): Promise<string> {
          const reference = await super.snapshot(index);
          made.set(id, (made.get(id) ?? 0) + 1);
          return reference;
        }
        snapshotBytes(): number {
          return 5_000;
        }
      })(path.join(root, id, "snapshots"));
    const ports = await freePorts(3);
    const members = { n1: `127.0.0.1:${ports[0]}`, n2: `127.0.0.1:${ports[1]}`, n3: `127.0.0.1:${ports[2]}` };
    const started: RaftNode[] = [];
    for (const id of Object.keys(members)) started.push(await start(id, members, { snapshotEntries: 20, stateMachine: sized(id) }));
    await until("a leader", () => started.some((n) => n.isLeader()));
    const leader = started.find((n) => n.isLeader())!;
    const leaderId = Object.keys(members)[started.indexOf(leader)];
    const followers = Object.keys(members).filter((id) => id !== leaderId);
    const value = Buffer.alloc(100, 1);
    const put = async (n: number, prefix: string) => {
      for (let i = 0; i < n; i++) await leader.propose(encodePut(`${prefix}${i}`, value));
    };
    // No size known yet: every member snapshots after 20 entries.
    await put(21, "a");
    await until("a first snapshot on every member", () => Object.keys(members).every((id) => (made.get(id) ?? 0) >= 1));
    const first = new Map(made);
    // ~6.6 kB of commands: past the 5 kB state for the leader, short of 4 x 5 kB for the followers.
    await put(60, "b");
    await until("the leader's second snapshot", () => made.get(leaderId)! > first.get(leaderId)!);
    await new Promise((r) => setTimeout(r, 300));
    for (const id of followers) assert.equal(made.get(id), first.get(id), `follower ${id} waits for 20 kB of log`);
    // ~23 kB since their first (still below the 16 x 20 entries that would take one anyway): due.
    await put(150, "c");
    await until("the followers' second snapshots", () => followers.every((id) => made.get(id)! > first.get(id)!));
  });

  it("treats a failed snapshot as 'try again later': logged, counted, and the node keeps going", async () => {
    let failing = true;
    class FailingSnapshots extends KvStateMachine {
      override async snapshot(index: number): Promise<string> {
        if (failing) throw new Error("the snapshot disk is full");
        return super.snapshot(index);
      }
    }
    const warnings: string[] = [];
    const [port] = await freePorts(1);
    const members = { n1: `127.0.0.1:${port}` };
    const node = await start("n1", members, {
      snapshotEntries: 5,
      stateMachine: new FailingSnapshots(path.join(root, "n1", "snapshots")),
      logger: { ...quiet, warn: (m) => warnings.push(m) },
    });
    await until("a leader", () => node.isLeader());
    for (let i = 0; i < 12; i++) await node.propose(encodePut(`k${i}`, Buffer.from("v")));
    await until("a failed snapshot", () => node.status().snapshotFailures > 0);
    assert.equal(node.failedWith(), undefined, "the node did not stop");
    assert.ok(warnings.some((w) => /snapshot .*failed.*the snapshot disk is full/.test(w)), warnings.join("\n"));
    await node.propose(encodePut("still-writable", Buffer.from("yes")));
    failing = false;
    await until("a snapshot once the state machine takes them again", () => fs.existsSync(path.join(root, "n1", "snapshots")) && fs.readdirSync(path.join(root, "n1", "snapshots")).length > 0, 30_000);
  });

  it("closes the durable log when start fails while restoring the snapshot", async () => {
    const [port] = await freePorts(1);
    const members = { n1: `127.0.0.1:${port}` };
    const first = await start("n1", members, { snapshotEntries: 5 });
    await until("a leader", () => first.isLeader());
    for (let i = 0; i < 12; i++) await first.propose(encodePut(`k${i}`, Buffer.from("v")));
    await until("a snapshot", () => fs.existsSync(path.join(root, "n1", "snapshots")) && fs.readdirSync(path.join(root, "n1", "snapshots")).length > 0);
    await first.stop();
    nodes.splice(0);

    class BrokenRestore extends KvStateMachine {
      override restore(snapshot: Snapshot): Promise<void> {
        return Promise.reject(new Error(`snapshot ${snapshot.reference} is corrupt`));
      }
    }
    const logDir = path.join(root, "n1", "log");
    await assert.rejects(start("n1", members, { stateMachine: new BrokenRestore(path.join(root, "n1", "snapshots")) }), /is corrupt/);
    assert.deepEqual(openFilesUnder(logDir), [], "no file of the log is left open");
    // The port is free again too: a normal start on the same data dir and address works.
    const again = await start("n1", members);
    await until("the restarted member leads", () => again.isLeader());
  });
});
