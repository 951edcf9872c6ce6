// ReadIndex rounds shared by concurrent reads: a read never rides on a round issued before it arrived.
import assert from "node:assert/strict";
import { ReadBarrier } from "../../src/state/read-barrier";

describe("state: shared ReadIndex rounds", () => {
  it("issues one round in flight and one queued, and never resolves a read with an earlier round", async () => {
    const rounds: { resolve: () => void; reject: (e: Error) => void }[] = [];
    const barrier = new ReadBarrier(() => new Promise<void>((resolve, reject) => rounds.push({ resolve, reject })));
    const done: string[] = [];
    const first = barrier.wait().then(() => done.push("first"));
    const sameTurn = barrier.wait().then(() => done.push("same turn"));
    await Promise.resolve(); // a later turn: the round is no longer joinable
    const later = Array.from({ length: 100 }, (_, i) => barrier.wait().then(() => done.push(`later${i}`)));
    assert.equal(rounds.length, 1, "one round in flight");
    rounds[0].resolve();
    await Promise.all([first, sameTurn]);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(done, ["first", "same turn"], "a read in the turn that issued round 1 shares it; later ones wait for round 2");
    assert.equal(rounds.length, 2, "round 2 issued once round 1 finished");
    rounds[1].resolve();
    await Promise.all(later);
    assert.equal(done.length, 102);
    assert.equal(rounds.length, 2);

    // A failed round fails the reads that waited for it; the next read starts a new one.
    const failing = barrier.wait();
    rounds[2].reject(new Error("no leader"));
    await assert.rejects(failing, /no leader/);
    const next = barrier.wait();
    assert.equal(rounds.length, 4);
    rounds[3].resolve();
    await next;
  });
});
