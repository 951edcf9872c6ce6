#!/usr/bin/env node
// `npm test`: the build and lint ran in `pretest`; this runs the whole mocha suite over the compiled tests.
// The tests install or start what they need themselves (see test/support/tools.ts).
const { spawnSync } = require("node:child_process");
const path = require("node:path");
const mocha = path.join(__dirname, "..", "node_modules", "mocha", "bin", "mocha.js");
const result = spawnSync(process.execPath, [mocha, "--config", ".mocharc.json", ...process.argv.slice(2)], {
  stdio: "inherit",
  cwd: path.join(__dirname, ".."),
});
process.exit(result.status ?? 1);
