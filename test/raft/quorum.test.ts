// Quorum math: the optimised committed-index computation (sort once, pick the quorum position) against a
// naive one (the largest index that a majority has reached), and vote outcomes, as etcd's quorum/quick_test.
import assert from "node:assert/strict";
import fc from "fast-check";
import { jointCommitted, jointVoteResult, majorityCommitted, majorityVoteResult, VoteResult } from "../../raft/quorum";

/** The largest index that at least a majority of voters have acknowledged, by trying every candidate. */
function naiveCommitted(voters: string[], acked: Map<string, number>): number {
  if (voters.length === 0) return Infinity;
  const candidates = [0, ...voters.map((v) => acked.get(v) ?? 0)];
  let best = 0;
  for (const c of candidates) {
    const n = voters.filter((v) => (acked.get(v) ?? 0) >= c).length;
    if (n > voters.length / 2 && c > best) best = c;
  }
  return best;
}

const ids = fc.uniqueArray(fc.constantFrom("1", "2", "3", "4", "5", "6", "7"), { maxLength: 7 });
const acks = (voters: string[]) =>
  fc.array(fc.option(fc.nat(20), { nil: undefined }), { minLength: voters.length, maxLength: voters.length }).map((xs) => {
    const m = new Map<string, number>();
    voters.forEach((v, i) => {
      if (xs[i] !== undefined) m.set(v, xs[i]!);
    });
    return m;
  });

describe("raft quorum", () => {
  it("majority committed index equals the naive computation (property)", () => {
    fc.assert(
      fc.property(
        ids.chain((voters) => fc.tuple(fc.constant(voters), acks(voters))),
        ([voters, acked]) => {
          assert.equal(majorityCommitted(new Set(voters), (id) => acked.get(id)), naiveCommitted(voters, acked));
        },
      ),
      { numRuns: 2000, seed: 1 },
    );
  });

  it("joint committed index is the smaller of the two majorities (property)", () => {
    fc.assert(
      fc.property(ids, ids, fc.dictionary(fc.constantFrom("1", "2", "3", "4", "5", "6", "7"), fc.nat(20)), (a, b, d) => {
        const acked = new Map(Object.entries(d));
        const got = jointCommitted([new Set(a), new Set(b)], (id) => acked.get(id));
        assert.equal(got, Math.min(naiveCommitted(a, acked), naiveCommitted(b, acked)));
      }),
      { numRuns: 1000, seed: 2 },
    );
  });

  it("an empty configuration commits everything and wins every vote (so joint halves compose)", () => {
    assert.equal(majorityCommitted(new Set(), () => 0), Infinity);
    assert.equal(majorityVoteResult(new Set(), new Map()), VoteResult.Won);
    assert.equal(jointCommitted([new Set(["1"]), new Set()], () => 7), 7);
  });

  it("decides votes as soon as the outcome is certain", () => {
    const v = new Set(["1", "2", "3", "4", "5"]);
    const votes = (yes: string[], no: string[]) => new Map([...yes.map((y) => [y, true] as const), ...no.map((n) => [n, false] as const)]);
    assert.equal(majorityVoteResult(v, votes(["1", "2"], [])), VoteResult.Pending);
    assert.equal(majorityVoteResult(v, votes(["1", "2", "3"], [])), VoteResult.Won);
    assert.equal(majorityVoteResult(v, votes(["1", "2"], ["3", "4"])), VoteResult.Pending);
    assert.equal(majorityVoteResult(v, votes(["1"], ["3", "4", "5"])), VoteResult.Lost);
    // Votes from non-voters do not count.
    assert.equal(majorityVoteResult(new Set(["1", "2", "3"]), votes(["1", "9", "8"], [])), VoteResult.Pending);
  });

  it("a joint vote needs both halves; a loss in either loses", () => {
    const cfg: [Set<string>, Set<string>] = [new Set(["1", "2", "3"]), new Set(["3", "4", "5"])];
    const m = (o: Record<string, boolean>) => new Map(Object.entries(o));
    assert.equal(jointVoteResult(cfg, m({ 1: true, 2: true })), VoteResult.Pending);
    assert.equal(jointVoteResult(cfg, m({ 1: true, 2: true, 4: true, 5: true })), VoteResult.Won);
    assert.equal(jointVoteResult(cfg, m({ 1: true, 2: true, 4: false, 5: false })), VoteResult.Lost);
  });

  it("vote outcome matches a naive count (property)", () => {
    fc.assert(
      fc.property(ids, fc.dictionary(fc.constantFrom("1", "2", "3", "4", "5", "6", "7"), fc.boolean()), (voters, d) => {
        const votes = new Map(Object.entries(d));
        const yes = voters.filter((v) => votes.get(v) === true).length;
        const no = voters.filter((v) => votes.get(v) === false).length;
        const q = Math.floor(voters.length / 2) + 1;
        const expected = voters.length === 0 || yes >= q ? VoteResult.Won : voters.length - no >= q ? VoteResult.Pending : VoteResult.Lost;
        assert.equal(majorityVoteResult(new Set(voters), votes), expected);
      }),
      { numRuns: 1000, seed: 3 },
    );
  });
});
