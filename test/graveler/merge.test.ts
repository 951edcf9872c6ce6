// Three-way merges of diverged branches against the model, with small ranges so that merges mix the
// range-level fast path (the destination did not touch a region the source changed) and key-level merging.
import assert from "node:assert/strict";
import fc from "fast-check";
import { hasCode } from "../../src/errors";
import type { Entry } from "../../src/graveler/entry";
import { Model, Strategy, Tree } from "./model";
import { makeEnv } from "./support/env";

const PATHS = Array.from({ length: 60 }, (_, i) => `k/${String(i).padStart(3, "0")}`);
const valueEntry = (v: number): Entry => ({ physicalAddress: `data/${v}`, size: v, etag: `e${v}`, lastModified: new Date(1_700_000_000_000), addressType: "relative" });

const editsArb = fc.array(fc.record({ p: fc.nat(PATHS.length - 1), v: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 8 });
const roundArb = fc.record({ source: editsArb, dest: fc.option(editsArb, { freq: 3 }), strategy: fc.constantFrom<Strategy>("none", "source-wins", "dest-wins") });

describe("graveler three-way merge agrees with the model", function () {
  this.timeout(240_000);

  it("merges diverged branches, region by region", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: PATHS.length, maxLength: PATHS.length }), fc.array(roundArb, { minLength: 1, maxLength: 4 }), async (initial, rounds) => {
        const env = await makeEnv({ shape: { raggedness: 3 } });
        const g = env.g;
        try {
          await g.createRepository("repo", "local://merge");
          await g.setObjects("repo", "main", PATHS.map((p, i) => ({ path: p, entry: valueEntry(initial[i]) })));
          await g.commit("repo", "main", { message: "initial" });
          await g.createBranch("repo", "src", "main");
          const read = async (ref: string): Promise<Tree> => {
            const listed = await g.listObjects("repo", ref, { amount: 1000 });
            return new Map(listed.results.map((r) => ("path" in r ? [r.path, Number(r.entry.etag.slice(1))] : ["", 0])));
          };
          // v = 0 deletes the path
          const edit = async (branch: string, edits: { p: number; v: number }[]) => {
            const tree = await read(branch);
            for (const e of edits) {
              if (e.v === 0) {
                if (tree.has(PATHS[e.p])) await g.deleteObject("repo", branch, PATHS[e.p]);
                tree.delete(PATHS[e.p]);
              } else {
                await g.setObject("repo", branch, PATHS[e.p], valueEntry(e.v));
                tree.set(PATHS[e.p], e.v);
              }
            }
            await g.commit("repo", branch, { message: "edit" }).catch((err) => (hasCode(err, "FAILED_PRECONDITION") ? undefined : Promise.reject(err)));
          };
          for (const round of rounds) {
            await edit("src", round.source);
            if (round.dest) await edit("main", round.dest);
            const [base, source, dest] = await Promise.all([
              (async () => {
                const [s, d] = [await g.getCommit("repo", "src"), await g.getCommit("repo", "main")];
                const b = await g.refs.mergeBase("repo" as never, s.id, d.id);
                return read(b!.id);
              })(),
              read("src"),
              read("main"),
            ]);
            const srcHead = (await g.getBranch("repo", "src")).commitId;
            const mergeBase = await g.refs.mergeBase("repo" as never, srcHead, (await g.getBranch("repo", "main")).commitId);
            const expected = Model.threeWay(base, source, dest, round.strategy);
            const run = g.merge("repo", "src", "main", { strategy: round.strategy });
            if (mergeBase!.id === srcHead) {
              await assert.rejects(run, (e) => hasCode(e, "FAILED_PRECONDITION"));
            } else if ("conflicts" in expected) {
              await assert.rejects(run, (e: Error) => hasCode(e, "FAILED_PRECONDITION") && expected.conflicts.every((p) => e.message.includes(JSON.stringify(p))));
            } else {
              await run;
              assert.deepEqual([...(await read("main"))].sort(), [...expected.tree].sort());
              // the merged tree's ranges are well-formed: sorted, disjoint, and readable
              const head = await g.getCommit("repo", "main");
              const records = await g.committed.metaRange({ name: "repo", storageNamespace: "local://merge" }, head.metaRangeId);
              for (let i = 1; i < records.length; i++) assert.ok(Buffer.compare(records[i - 1].maxKey, records[i].minKey) < 0);
            }
          }
        } finally {
          await env.close();
        }
      }),
      { numRuns: 30, seed: Number(process.env.TARN_SEED ?? 99), endOnFailure: true },
    );
  });
});
