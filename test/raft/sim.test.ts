// The deterministic simulator over many seeds: 3- and 5-node clusters under message loss, duplication,
// reordering and delay, partitions, crashes (with torn writes), restarts, membership changes and leadership
// transfers, with the safety properties checked after every step and the client history checked for
// linearizability at the end. RAFT_SEED=N replays one seed (RAFT_TRACE=1 prints its trace); RAFT_SEEDS=N
// changes how many seeds run; RAFT_STEPS=N how long each runs.
import assert from "node:assert/strict";
import { Simulation, SimulationFailure } from "./sim";
import type { SimResult } from "./sim";

const envInt = (name: string, dflt: number) => (process.env[name] ? Number(process.env[name]) : dflt);
const single = process.env.RAFT_SEED !== undefined ? Number(process.env.RAFT_SEED) : undefined;
const count = envInt("RAFT_SEEDS", 1000);
const steps = envInt("RAFT_STEPS", 1000);
const seeds = single !== undefined ? [single] : Array.from({ length: count }, (_, i) => i + 1);

export function runSeed(seed: number, opts: { steps: number; quietSteps: number; trace?: boolean }): SimResult {
  try {
    return new Simulation({ seed, ...opts }).run();
  } catch (err) {
    if (err instanceof SimulationFailure) {
      const replay = `RAFT_SEED=${seed} RAFT_STEPS=${opts.steps} RAFT_TRACE=1 npx mocha --no-config -r tsx/cjs test/raft/sim.test.ts`;
      console.error(`\n${err.message}\nlast trace lines:\n${err.traceTail.join("\n")}\nreplay exactly with: ${replay}\n`);
    }
    throw err;
  }
}

describe("raft deterministic simulation", function () {
  this.timeout(600_000);

  it(`keeps every safety property and a linearizable history over ${seeds.length} seed(s)`, () => {
    const totals = { ops: 0, completed: 0, timedOut: 0, leaderChanges: 0, crashes: 0, confChanges: 0, snapshotsSent: 0, fiveNodeRuns: 0 };
    for (const seed of seeds) {
      const r = runSeed(seed, { steps, quietSteps: 400, trace: process.env.RAFT_TRACE === "1" });
      totals.ops += r.ops;
      totals.completed += r.completed;
      totals.timedOut += r.timedOut;
      totals.leaderChanges += r.leaderChanges;
      totals.crashes += r.crashes;
      totals.confChanges += r.confChanges;
      totals.snapshotsSent += r.snapshotsSent;
      if (r.initialNodes === 5) totals.fiveNodeRuns++;
    }
    console.log(`      ${seeds.length} seeds: ${JSON.stringify(totals)}`);
    // The runs must have exercised what they claim to.
    assert.ok(totals.completed > seeds.length * 10, "clients completed operations");
    if (seeds.length >= 100) {
      assert.ok(totals.crashes > seeds.length / 2, "crashes happened");
      assert.ok(totals.confChanges > seeds.length / 2, "membership changed");
      assert.ok(totals.snapshotsSent > seeds.length / 4, "snapshots were sent");
      assert.ok(totals.leaderChanges > seeds.length, "leadership moved");
      assert.ok(totals.fiveNodeRuns > seeds.length / 4 && totals.fiveNodeRuns < (seeds.length * 3) / 4, "both 3- and 5-node clusters ran");
    }
  });

  it("replays a seed exactly", () => {
    const a = runSeed(7, { steps: 300, quietSteps: 100 });
    const b = runSeed(7, { steps: 300, quietSteps: 100 });
    assert.deepEqual(a, b);
    assert.ok(a.ops > 0);
  });
});
