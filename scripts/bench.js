#!/usr/bin/env node
// `npm run bench -- NAME [ARGS]`: runs bench/NAME (compiled to dist/bench/NAME/main.js or dist/bench/NAME.js).
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const [name, ...args] = process.argv.slice(2);
const root = path.join(__dirname, "..");
const available = fs.existsSync(path.join(root, "bench"))
  ? fs.readdirSync(path.join(root, "bench")).map((f) => f.replace(/\.ts$/, "")).sort()
  : [];
if (!name) {
  console.error(`usage: npm run bench -- NAME   (one of: ${available.join(", ")})`);
  process.exit(2);
}
const candidates = [path.join(root, "dist/bench", name, "main.js"), path.join(root, "dist/bench", `${name}.js`)];
const entry = candidates.find((f) => fs.existsSync(f));
if (!entry) {
  console.error(`no benchmark '${name}' (build first with 'npm run build'; available: ${available.join(", ")})`);
  process.exit(2);
}
const result = spawnSync(process.execPath, ["--expose-gc", entry, ...args], { stdio: "inherit", cwd: root });
process.exit(result.status ?? 1);
