// Malformed peer messages: `step` refuses each with an InvalidMessageError naming what is wrong, and the
// node's state is exactly as before (nothing half-applied); the cluster works on afterwards.
import assert from "node:assert/strict";
import { InvalidMessageError, MemoryStorage, MessageType, RaftError } from "../../raft";
import type { Message } from "../../raft";
import { InteractionEnv } from "./interaction/env";

function cluster(): InteractionEnv {
  const env = new InteractionEnv();
  const confState = { voters: ["1", "2", "3"], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  for (const id of ["1", "2", "3"]) {
    const storage = new MemoryStorage({ confState });
    storage.applySnapshot({ metadata: { index: 2, term: 1, confState }, reference: "boot" });
    storage.setHardState({ term: 1, vote: "", commit: 2 });
    env.addNode(id, storage, { preVote: true, checkQuorum: true, readOnly: "safe", applied: 2 });
  }
  env.node("1").rn.campaign();
  env.stabilize(["1", "2", "3"]);
  env.node("1").rn.propose(new TextEncoder().encode("x"));
  env.stabilize(["1", "2", "3"]);
  return env;
}

const bytes = (s: string) => new TextEncoder().encode(s);
const entry = (term: number, index: number) => ({ term, index, type: 0, data: bytes("e") });

/** A valid append from leader 1 to follower 2 at the current term, to be broken one field at a time. */
function app(env: InteractionEnv, over: Record<string, unknown>): Message {
  const term = env.node("1").rn.status().term;
  const last = env.node("2").rn.status().lastIndex;
  return {
    type: MessageType.App,
    from: "1",
    to: "2",
    term,
    index: last,
    logTerm: term,
    entries: [entry(term, last + 1)],
    commit: last,
    reject: false,
    rejectHint: 0,
    ...over,
  } as Message;
}

const fingerprint = (env: InteractionEnv, id: string) => {
  const n = env.node(id);
  return JSON.stringify({ status: n.rn.status(), hasReady: n.rn.hasReady(), msgs: n.rn.raft.msgs.length, log: n.rn.raft.raftLog.unstableEntries() });
};

describe("raft bad peer input", () => {
  const cases: [string, (env: InteractionEnv) => unknown, RegExp][] = [
    ["not an object", () => null, /not an object/],
    ["an unknown type", (env) => app(env, { type: "MsgBogus" }), /unknown type "MsgBogus"/],
    ["a local-only type (Hup)", (env) => app(env, { type: MessageType.Hup, entries: [] }), /Hup is local-only/],
    ["a local-only type (SnapStatus)", (env) => app(env, { type: MessageType.SnapStatus, entries: [] }), /SnapStatus is local-only/],
    ["a negative index", (env) => app(env, { index: -1 }), /index is -1/],
    ["a non-integer term", (env) => app(env, { term: 2.5 }), /term is 2.5/],
    ["a term beyond 2^53", (env) => app(env, { term: 2 ** 53 + 2 }), /term is 9007199254740994, not an integer in \[0, 2\^53\)/],
    ["a commit that is not a number", (env) => app(env, { commit: "7" }), /commit is 7/],
    ["NaN as logTerm", (env) => app(env, { logTerm: NaN }), /logTerm is NaN/],
    ["entries that are not contiguous", (env) => {
      const m = app(env, {});
      return { ...m, entries: [entry(m.term, m.index + 1), entry(m.term, m.index + 3)] };
    }, /entries not contiguous: entry 1 has index/],
    ["entries that do not follow index", (env) => {
      const m = app(env, {});
      return { ...m, entries: [entry(m.term, m.index + 5)] };
    }, /entries not contiguous: entry 0/],
    ["an entry from a later term than the message", (env) => {
      const m = app(env, {});
      return { ...m, entries: [entry(m.term + 1, m.index + 1)] };
    }, /has term .* outside/],
    ["an entry with a negative index", (env) => {
      const m = app(env, {});
      return { ...m, entries: [entry(m.term, -4)] };
    }, /entry 0: index is -4/],
    ["entry data that is not bytes", (env) => {
      const m = app(env, {});
      return { ...m, entries: [{ ...entry(m.term, m.index + 1), data: "oops" }] };
    }, /data is not bytes/],
    ["an unknown entry type", (env) => {
      const m = app(env, {});
      return { ...m, entries: [{ ...entry(m.term, m.index + 1), type: 7 }] };
    }, /unknown entry type 7/],
    ["a message addressed to another node", (env) => app(env, { to: "3" }), /addressed to "3", not 2/],
    ["no sender", (env) => app(env, { from: "" }), /without a sender/],
    ["term 0 on an append", (env) => app(env, { term: 0 }), /term 0/],
    ["entries on a heartbeat", (env) => app(env, { type: MessageType.Heartbeat }), /Heartbeat may not carry entries/],
    ["a snapshot message without a snapshot", (env) => app(env, { type: MessageType.Snap, entries: [] }), /Snap without a snapshot/],
    ["a snapshot with a malformed membership", (env) =>
      app(env, {
        type: MessageType.Snap,
        entries: [],
        snapshot: { metadata: { index: 9, term: 2, confState: { voters: [3] } }, reference: "r" },
      }), /voters is not a list of node ids/],
    ["a snapshot from a later term than the message", (env) =>
      app(env, {
        type: MessageType.Snap,
        entries: [],
        snapshot: { metadata: { index: 9, term: 99, confState: { voters: ["1"], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } }, reference: "r" },
      }), /snapshot term 99 is above the message term/],
    ["a response from an unknown member", (env) => app(env, { type: MessageType.AppResp, from: "9", entries: [] }), /AppResp from 9, which is not a member/],
    ["a leadership transfer request from an unknown member", (env) => app(env, { type: MessageType.TransferLeader, from: "9", entries: [] }), /not a member/],
  ];

  for (const [what, make, error] of cases) {
    it(`refuses ${what} without changing state`, () => {
      const env = cluster();
      const before = fingerprint(env, "2");
      assert.throws(
        () => env.node("2").rn.step(make(env) as Message),
        (err: unknown) => err instanceof InvalidMessageError && err instanceof RaftError && err.code === "INVALID_MESSAGE" && error.test(err.message),
      );
      assert.equal(fingerprint(env, "2"), before);
    });
  }

  it("the leader refuses bad input too, and the cluster keeps working afterwards", () => {
    const env = cluster();
    const before = fingerprint(env, "1");
    const m = app(env, { from: "2", to: "1", type: MessageType.AppResp, index: -3, entries: [] });
    assert.throws(() => env.node("1").rn.step(m), InvalidMessageError);
    assert.equal(fingerprint(env, "1"), before);
    env.node("1").rn.propose(bytes("after-bad-input"));
    env.stabilize(["1", "2", "3"]);
    for (const id of ["1", "2", "3"]) assert.deepEqual(env.node(id).applied, ["x", "after-bad-input"]);
  });

  it("a well-formed append still works (the fixture is valid)", () => {
    const env = cluster();
    env.node("2").rn.step(app(env, {}));
    assert.equal(env.node("2").rn.status().lastIndex, env.node("1").rn.status().lastIndex + 1);
  });
});
