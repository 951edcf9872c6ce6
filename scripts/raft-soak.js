#!/usr/bin/env node
// A long soak of the Raft simulator (the same one `npm test` runs over 500 short seeds), over compiled tests:
//   npm run build && node scripts/raft-soak.js [--from 1] [--seeds 5000] [--steps 3000] [--quiet-steps 400]
// Prints progress as it goes and, for each failing seed, the failure, the end of its trace, and the command
// that replays it; the last line is one JSON object with the totals. Exits non-zero if any seed failed.
const path = require("node:path");
const os = require("node:os");

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const from = opt("from", 1);
const seeds = opt("seeds", 5000);
const steps = opt("steps", 3000);
const quietSteps = opt("quiet-steps", 400);

const sim = require(path.join(__dirname, "..", "dist", "test", "raft", "sim", "index.js"));
const totals = { seeds: 0, failed: 0, ops: 0, completed: 0, timedOut: 0, crashes: 0, leaderChanges: 0, confChanges: 0, snapshotsSent: 0 };
const failures = [];
const t0 = Date.now();
for (let seed = from; seed < from + seeds; seed++) {
  try {
    const r = new sim.Simulation({ seed, steps, quietSteps }).run();
    for (const k of ["ops", "completed", "timedOut", "crashes", "leaderChanges", "confChanges", "snapshotsSent"]) totals[k] += r[k];
  } catch (err) {
    totals.failed++;
    failures.push(seed);
    console.log(`FAIL ${err.message}`);
    if (err.traceTail) console.log(err.traceTail.slice(-30).join("\n"));
    console.log(`replay: RAFT_SEED=${seed} RAFT_STEPS=${steps} RAFT_TRACE=1 npx mocha --no-config -r tsx/cjs test/raft/sim.test.ts`);
  }
  totals.seeds++;
  if (totals.seeds % 100 === 0) {
    const rate = (totals.seeds / ((Date.now() - t0) / 1000)).toFixed(1);
    console.log(`${totals.seeds}/${seeds} seeds, ${totals.failed} failed, ${rate} seeds/s, ${totals.completed} client ops completed`);
  }
}
const elapsed = (Date.now() - t0) / 1000;
console.log(
  JSON.stringify({
    bench: "raft-soak",
    machine: { cores: os.cpus().length, memory: os.totalmem() },
    results: [{ from, seeds, steps, quietSteps, seconds: elapsed, failures, ...totals }],
  }),
);
process.exit(totals.failed > 0 ? 1 : 0);
