// A leader's view of one follower: how rejections move it, stale ones included, and a follower that lost
// entries it had acknowledged (a wiped or replaced disk).
import assert from "node:assert/strict";
import { Progress, ProgressState } from "../../raft/tracker";

/** A follower the leader has matched at `match`, in `state`. */
function at(match: number, state: ProgressState): Progress {
  const pr = new Progress(1, 8);
  pr.maybeUpdate(match);
  if (state === ProgressState.Replicate) {
    pr.becomeReplicate();
    pr.optimisticUpdate(match + 3);
    pr.inflights.add(match + 3);
  } else if (state === ProgressState.Probe) {
    pr.becomeProbe();
    pr.probeSent = true;
  } else {
    pr.becomeSnapshot(match + 10);
  }
  return pr;
}

describe("raft progress", () => {
  it("ignores a rejection at or below the match in both states, instead of resending the same probe", () => {
    for (const state of [ProgressState.Probe, ProgressState.Replicate]) {
      for (const [rejected, hint] of [[7, 4], [5, 3], [7, 0]]) {
        const pr = at(7, state);
        const before = pr.toString();
        assert.equal(pr.maybeDecrTo(rejected, hint), false, `${state} rejected=${rejected}`);
        assert.equal(pr.toString(), before);
      }
    }
    // A rejection above the match still moves the probe (etcd's rules, unchanged).
    const probing = at(7, ProgressState.Probe);
    probing.next = 10;
    assert.equal(probing.maybeDecrTo(9, 8), true);
    assert.deepEqual([probing.match, probing.next, probing.probeSent], [7, 9, false]);
    const replicating = at(7, ProgressState.Replicate);
    assert.equal(replicating.maybeDecrTo(9, 8), true);
    assert.deepEqual([replicating.match, replicating.next], [7, 8]);
  });

  it("forgets the match of a follower that lost its log and probes from where its log ends", () => {
    for (const state of [ProgressState.Probe, ProgressState.Replicate]) {
      const pr = at(7, state);
      assert.equal(pr.lostLog(4), true, state);
      assert.deepEqual([pr.state, pr.match, pr.next, pr.probeSent, pr.inflights.count], [ProgressState.Probe, 0, 5, false, 0], state);
      assert.equal(pr.isPaused(), false);
      // The same answer again (duplicated) changes nothing more.
      assert.equal(pr.lostLog(4), false);
      assert.deepEqual([pr.match, pr.next], [0, 5]);
    }
    const empty = at(7, ProgressState.Probe);
    assert.equal(empty.lostLog(0), true);
    assert.deepEqual([empty.match, empty.next], [0, 1]);
  });

  it("takes no lost-log answer at or above the match, nor while a snapshot is on its way", () => {
    const cases: [string, Progress, number][] = [
      ["an answer older than a later acknowledgement", at(7, ProgressState.Probe), 7],
      ["the same while replicating", at(7, ProgressState.Replicate), 9],
      ["a snapshot on its way", at(7, ProgressState.Snapshot), 2],
    ];
    for (const [what, pr, hint] of cases) {
      const before = pr.toString();
      assert.equal(pr.lostLog(hint), false, what);
      assert.equal(pr.toString(), before, what);
    }
  });
});
