// Scenario scripts (test/raft/testdata/*.txt) in the style of etcd's interaction tests. Regenerate the
// expected output with REWRITE=1 and review the diff.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { runScriptFile } from "./interaction/datadriven";
import { InteractionEnv } from "./interaction/env";
import { handlers } from "./interaction/handlers";

// Compiled tests run from dist/test/raft; the scripts stay in the source tree.
const here = __dirname.includes(`${path.sep}dist${path.sep}`) ? __dirname.replace(`${path.sep}dist${path.sep}`, path.sep) : __dirname;
const dir = path.join(here, "testdata");

describe("raft interaction scenarios", () => {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".txt")).sort();

  it("has scenario files", () => assert.ok(files.length >= 4, `found ${files.length} in ${dir}`));

  for (const file of files) {
    it(file.replace(/\.txt$/, ""), () => {
      const env = new InteractionEnv();
      const mismatches = runScriptFile(path.join(dir, file), (cmd) => {
        const h = handlers[cmd.name];
        if (!h) throw new Error(`unknown command ${cmd.name}`);
        return h(env, cmd).join("\n");
      });
      assert.equal(mismatches.length, 0, mismatches.join("\n\n"));
    });
  }
});
