// Membership changes on the progress tracker: simple changes, joint consensus, learners, and rebuilding a
// configuration from a ConfState.
import assert from "node:assert/strict";
import fc from "fast-check";
import { Changer, restoreConfig } from "../../raft/confchange";
import { ProgressTracker } from "../../raft/tracker";
import { ConfChangeType } from "../../raft";
import type { ConfChangeSingle, ConfState } from "../../raft";

const v = (node: string): ConfChangeSingle => ({ type: ConfChangeType.AddVoter, node });
const l = (node: string): ConfChangeSingle => ({ type: ConfChangeType.AddLearner, node });
const r = (node: string): ConfChangeSingle => ({ type: ConfChangeType.RemoveNode, node });

/** Applies each step to a fresh tracker and returns the resulting ConfState (or the error message). */
function run(steps: ((c: Changer) => ReturnType<Changer["simple"]>)[]): ConfState | string {
  const trk = new ProgressTracker(10);
  try {
    for (const step of steps) {
      const res = step(new Changer(trk, 10));
      trk.config = res.config;
      trk.progress = res.progress;
    }
  } catch (err) {
    return (err as Error).message;
  }
  return trk.confState();
}

const cs = (voters: string[], extra: Partial<ConfState> = {}): ConfState => ({
  voters,
  learners: [],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
  ...extra,
});

describe("raft confchange", () => {
  it("adds and removes one voter at a time without a joint phase", () => {
    assert.deepEqual(
      run([(c) => c.simple([v("1")]), (c) => c.simple([v("2")]), (c) => c.simple([v("3")]), (c) => c.simple([r("2")])]),
      cs(["1", "3"]),
    );
  });

  it("refuses a simple change of more than one voter", () => {
    assert.match(run([(c) => c.simple([v("1")]), (c) => c.simple([v("2"), v("3")])]) as string, /more than one voter changed/);
  });

  it("refuses to remove every voter", () => {
    assert.match(run([(c) => c.simple([v("1")]), (c) => c.simple([r("1")])]) as string, /removed all voters/);
  });

  it("adds learners freely, and promotes and demotes them", () => {
    assert.deepEqual(
      run([(c) => c.simple([v("1")]), (c) => c.simple([l("2"), l("3")]), (c) => c.simple([v("2")])]),
      cs(["1", "2"], { learners: ["3"] }),
    );
    assert.deepEqual(run([(c) => c.simple([v("1")]), (c) => c.simple([v("2")]), (c) => c.simple([l("2")])]), cs(["1"], { learners: ["2"] }));
  });

  it("enters a joint configuration with the old voters outgoing, and leaves it", () => {
    const joint = run([
      (c) => c.simple([v("1")]),
      (c) => c.simple([v("2")]),
      (c) => c.simple([v("3")]),
      (c) => c.enterJoint(true, [v("4"), v("5"), r("1"), r("2")]),
    ]);
    assert.deepEqual(joint, cs(["3", "4", "5"], { votersOutgoing: ["1", "2", "3"], autoLeave: true }));
    const left = run([
      (c) => c.simple([v("1")]),
      (c) => c.simple([v("2")]),
      (c) => c.simple([v("3")]),
      (c) => c.enterJoint(true, [v("4"), v("5"), r("1"), r("2")]),
      (c) => c.leaveJoint(),
    ]);
    assert.deepEqual(left, cs(["3", "4", "5"]));
  });

  it("demotes an outgoing voter to learner only when the joint configuration is left", () => {
    const steps = [(c: Changer) => c.simple([v("1")]), (c: Changer) => c.simple([v("2")]), (c: Changer) => c.enterJoint(false, [l("2"), v("3")])];
    assert.deepEqual(run(steps), cs(["1", "3"], { votersOutgoing: ["1", "2"], learnersNext: ["2"] }));
    assert.deepEqual(run([...steps, (c) => c.leaveJoint()]), cs(["1", "3"], { learners: ["2"] }));
  });

  it("refuses nested joints, simple changes while joint, and leaving when not joint", () => {
    const base = [(c: Changer) => c.simple([v("1")]), (c: Changer) => c.enterJoint(false, [v("2")])];
    assert.match(run([...base, (c) => c.enterJoint(false, [v("3")])]) as string, /already joint/);
    assert.match(run([...base, (c) => c.simple([v("3")])]) as string, /in joint config/);
    assert.match(run([(c) => c.simple([v("1")]), (c) => c.leaveJoint()]) as string, /non-joint/);
    assert.match(run([(c) => c.enterJoint(false, [v("1")])]) as string, /zero-voter/);
  });

  it("rebuilds any valid ConfState exactly (property)", () => {
    const node = fc.constantFrom<string>("1", "2", "3", "4", "5", "6");
    fc.assert(
      fc.property(fc.uniqueArray(node, { minLength: 1, maxLength: 6 }), fc.uniqueArray(node, { maxLength: 6 }), fc.boolean(), fc.nat(10), (voters, outgoingAll, autoLeave, seed) => {
        // Derive a consistent ConfState: learners are disjoint from voters; learnersNext are outgoing voters only.
        const outgoing = outgoingAll.filter((_, i) => (i + seed) % 2 === 0);
        const all = ["1", "2", "3", "4", "5", "6"];
        const learnersNext = outgoing.filter((id) => !voters.includes(id) && (id.charCodeAt(0) + seed) % 2 === 0);
        const learners = all.filter((id) => !voters.includes(id) && !outgoing.includes(id) && (id.charCodeAt(0) + seed) % 3 === 0);
        const state = cs([...voters].sort(), {
          votersOutgoing: [...outgoing].sort(),
          learners,
          learnersNext: outgoing.length > 0 ? learnersNext.sort() : [],
          autoLeave: outgoing.length > 0 && autoLeave,
        });
        const trk = new ProgressTracker(10);
        const res = restoreConfig(new Changer(trk, 10), state);
        trk.config = res.config;
        trk.progress = res.progress;
        assert.deepEqual(trk.confState(), state);
      }),
      { numRuns: 500, seed: 5 },
    );
  });
});
