// The RawNode API contract the runtime relies on.
import assert from "node:assert/strict";
import { MemoryStorage, ProposalDroppedError, RaftError, RawNode, StateRole } from "../../raft";
import type { RaftConfig } from "../../raft";
import { InteractionEnv } from "./interaction/env";

const confState = (voters: string[]) => ({ voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false });
const config = (id: string, storage: MemoryStorage, over: Partial<RaftConfig> = {}): RaftConfig => ({
  id,
  electionTick: 10,
  heartbeatTick: 1,
  storage,
  maxSizePerMsg: 1 << 20,
  maxInflightMsgs: 16,
  preVote: true,
  checkQuorum: true,
  random: () => 0.5,
  ...over,
});

function threeNodes(): InteractionEnv {
  const env = new InteractionEnv();
  for (const id of ["1", "2", "3"]) {
    const storage = new MemoryStorage({ confState: confState(["1", "2", "3"]) });
    storage.applySnapshot({ metadata: { index: 1, term: 1, confState: confState(["1", "2", "3"]) }, reference: "boot" });
    env.addNode(id, storage, { preVote: true, checkQuorum: true, readOnly: "safe", applied: 1 });
  }
  env.node("1").rn.campaign();
  env.stabilize(["1", "2", "3"]);
  return env;
}

describe("raft RawNode", () => {
  it("a single voter elects itself and commits a proposal once its own write is reported (advance)", () => {
    const storage = new MemoryStorage({ confState: confState(["1"]) });
    const rn = new RawNode(config("1", storage));
    rn.campaign();
    assert.equal(rn.status().role, StateRole.Leader);
    rn.propose(new TextEncoder().encode("hello"));
    let rd = rn.ready();
    assert.equal(rd.committedEntries.length, 0, "nothing commits before the leader's own write is persisted");
    storage.append(rd.entries);
    if (rd.hardState) storage.setHardState(rd.hardState);
    rn.advance(rd);
    rd = rn.ready();
    assert.deepEqual(
      rd.committedEntries.map((e) => new TextDecoder().decode(e.data)),
      ["", "hello"],
    );
    rn.advance(rd);
    assert.equal(rn.status().applied, 2);
  });

  it("drops a proposal on a follower with a ProposalDroppedError naming the leader", () => {
    const env = threeNodes();
    assert.throws(
      () => env.node("2").rn.propose(new Uint8Array([1])),
      (err: unknown) => err instanceof ProposalDroppedError && err.code === "PROPOSAL_DROPPED" && /the leader is 1/.test((err as Error).message),
    );
  });

  it("refuses a second ready() before advance()", () => {
    const env = threeNodes();
    const rn = env.node("1").rn;
    rn.propose(new Uint8Array([1]));
    rn.ready();
    assert.equal(rn.hasReady(), false);
    assert.throws(() => rn.ready(), (err: unknown) => err instanceof RaftError && err.code === "INVALID_STATE");
  });

  it("answers ReadIndex on the leader after a heartbeat round, and on a follower through the leader", () => {
    const env = threeNodes();
    env.node("1").rn.readIndex(new TextEncoder().encode("r1"));
    env.node("3").rn.readIndex(new TextEncoder().encode("r3"));
    const states: string[] = [];
    for (let i = 0; i < 20; i++) {
      for (const id of ["1", "2", "3"]) {
        const n = env.node(id);
        if (!n.rn.hasReady()) continue;
        const rd = n.rn.ready();
        for (const rs of rd.readStates) states.push(`${id}:${new TextDecoder().decode(rs.requestCtx)}@${rs.index}`);
        n.storage.append(rd.entries);
        env.messages.push(...rd.messages);
        n.rn.advance(rd);
      }
      for (const id of ["1", "2", "3"]) env.deliver(id);
    }
    const commit = env.node("1").rn.status().commit;
    assert.deepEqual(states.sort(), [`1:r1@${commit}`, `3:r3@${commit}`]);
  });

  it("transfers leadership with TimeoutNow", () => {
    const env = threeNodes();
    env.node("1").rn.transferLeader("3");
    env.stabilize(["1", "2", "3"]);
    assert.equal(env.node("3").rn.status().role, StateRole.Leader);
    assert.equal(env.node("1").rn.status().leader, "3");
  });

  it("rejects configurations that cannot work", () => {
    const storage = new MemoryStorage();
    assert.throws(() => new RawNode(config("", storage)), /id must be a non-empty string/);
    assert.throws(() => new RawNode(config("1", storage, { electionTick: 1 })), /electionTick/);
    assert.throws(() => new RawNode(config("1", storage, { readOnlyOption: "lease-based", checkQuorum: false })), /lease-based reads need checkQuorum/);
  });

  it("randomizes the election timeout from the injected source, within [electionTick, 2*electionTick)", () => {
    for (const r of [0, 0.3, 0.999999]) {
      const rn = new RawNode(config("1", new MemoryStorage({ confState: confState(["1", "2", "3"]) }), { random: () => r }));
      const t = rn.raft.randomizedElectionTimeout;
      assert.ok(t >= 10 && t < 20, `timeout ${t}`);
      assert.equal(t, 10 + Math.floor(r * 10));
    }
  });
});

describe("raft RawNode lease-based reads", () => {
  it("answers ReadIndex at once on a leader that has committed in its term, with no heartbeat round", () => {
    const env = new InteractionEnv();
    for (const id of ["1", "2", "3"]) {
      const storage = new MemoryStorage({ confState: confState(["1", "2", "3"]) });
      storage.applySnapshot({ metadata: { index: 1, term: 1, confState: confState(["1", "2", "3"]) }, reference: "boot" });
      env.addNode(id, storage, { preVote: true, checkQuorum: true, readOnly: "lease-based", applied: 1 });
    }
    env.node("1").rn.campaign();
    env.stabilize(["1", "2", "3"]);
    const rn = env.node("1").rn;
    rn.readIndex(new TextEncoder().encode("lease"));
    const rd = rn.ready();
    assert.deepEqual(
      rd.readStates.map((r) => [r.index, new TextDecoder().decode(r.requestCtx)]),
      [[rn.status().commit, "lease"]],
    );
    assert.equal(rd.messages.length, 0, "no heartbeat needed");
    rn.advance(rd);
  });
});

describe("raft RawNode snapshot while applying", () => {
  it("defers a snapshot that arrives while handed-out committed entries (a conf change) are being applied", () => {
    const env = threeNodes();
    const leader = env.node("1");
    leader.rn.proposeConfChange({ changes: [{ type: 1, node: "4" }] });
    env.stabilize(["1", "2"]);
    const toThree = env.messages.filter((m) => m.to === "3");
    env.messages = env.messages.filter((m) => m.to !== "3");
    leader.rn.propose(new TextEncoder().encode("y"));
    env.stabilize(["1", "2"]);
    leader.storage.createSnapshot(leader.appliedIndex, leader.confState, "snap-1");
    const snap = leader.storage.snapshot();

    const three = env.node("3");
    for (const m of toThree) three.rn.step(m);
    const rd = three.rn.ready();
    assert.ok(rd.committedEntries.some((e) => e.type === 1), "the conf change is handed out to apply");
    const term = leader.rn.status().term;
    const snapMsg = { type: "Snap", from: "1", to: "3", term, index: 0, logTerm: 0, entries: [], commit: 0, reject: false, rejectHint: 0, snapshot: snap } as never;
    three.rn.step(snapMsg);
    assert.equal(three.rn.raft.raftLog.hasPendingSnapshot(), false, "deferred while applying");

    three.storage.append(rd.entries);
    if (rd.hardState) three.storage.setHardState(rd.hardState);
    for (const e of rd.committedEntries) if (e.type === 1) three.rn.applyConfChange({ changes: [{ type: 1, node: "4" }] });
    three.rn.advance(rd);
    three.rn.step(snapMsg);
    assert.equal(three.rn.raft.raftLog.hasPendingSnapshot(), true, "taken once applied");
    assert.deepEqual(three.rn.status().confState.learners, ["4"]);
  });
});

describe("raft RawNode flow control", () => {
  it("drops proposals once the uncommitted log exceeds maxUncommittedEntriesSize, and accepts again after commit", () => {
    const storage = new MemoryStorage({ confState: confState(["1", "2", "3"]) });
    const rn = new RawNode(config("1", storage, { maxUncommittedEntriesSize: 100 }));
    rn.campaign();
    // Win the election by hand: votes from 2 and 3.
    let rd = rn.ready();
    storage.append(rd.entries);
    if (rd.hardState) storage.setHardState(rd.hardState);
    rn.advance(rd);
    const term = rn.status().term;
    const vote = (from: string) =>
      rn.step({ type: "PreVoteResp", from, to: "1", term: term + 1, index: 0, logTerm: 0, entries: [], commit: 0, reject: false, rejectHint: 0 } as never);
    vote("2");
    rd = rn.ready();
    storage.append(rd.entries);
    if (rd.hardState) storage.setHardState(rd.hardState);
    rn.advance(rd);
    const t = rn.status().term;
    rn.step({ type: "VoteResp", from: "2", to: "1", term: t, index: 0, logTerm: 0, entries: [], commit: 0, reject: false, rejectHint: 0 } as never);
    assert.equal(rn.status().role, StateRole.Leader);
    const payload = new Uint8Array(40);
    rn.propose(payload);
    rn.propose(payload);
    assert.throws(() => rn.propose(payload), (err: unknown) => err instanceof ProposalDroppedError && /uncommitted log is full/.test((err as Error).message));
    // Persist, let 2 acknowledge everything, apply: the uncommitted budget is free again.
    rd = rn.ready();
    storage.append(rd.entries);
    rn.advance(rd);
    const last = rn.status().lastIndex;
    rn.step({ type: "AppResp", from: "2", to: "1", term: t, index: last, logTerm: 0, entries: [], commit: 0, reject: false, rejectHint: 0 } as never);
    rd = rn.ready();
    assert.equal(rd.committedEntries[rd.committedEntries.length - 1].index, last);
    rn.advance(rd);
    rn.propose(payload);
    assert.equal(rn.status().lastIndex, last + 1);
  });
});

describe("raft RawNode restart", () => {
  it("takes an applied index beyond the stored commit (applied while the hard state was being written)", () => {
    const storage = new MemoryStorage({ confState: confState(["1", "2", "3"]), hardState: { term: 2, vote: "1", commit: 1 } });
    storage.append([1, 2, 3].map((index) => ({ term: 2, index, type: 0, data: new Uint8Array([index]) })));
    const rn = new RawNode(config("1", storage, { applied: 3 }));
    assert.equal(rn.status().commit, 3);
    assert.equal(rn.status().applied, 3);
    assert.equal(rn.hasReady(), false, "nothing is applied twice");
  });

  it("refuses an applied index beyond the log", () => {
    const storage = new MemoryStorage({ confState: confState(["1"]) });
    assert.throws(() => new RawNode(config("1", storage, { applied: 5 })), /applied index 5 is beyond the last log index 0/);
  });
});
