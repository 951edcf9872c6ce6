// Acceptance 4: random sequences of writes, deletes, commits, branches, merges, reverts and resets run against
// the engine and against the in-memory model; every read, list and diff must agree.
import assert from "node:assert/strict";
import fc from "fast-check";
import { hasCode } from "../../src/errors";
import type { Entry } from "../../src/graveler/entry";
import { Model, Strategy, Tree } from "./model";
import { makeEnv } from "./support/env";

const PATHS = Array.from({ length: 24 }, (_, i) => `d${i % 3}/${i % 2 ? "x/" : ""}f${String(i).padStart(2, "0")}`);
const valueEntry = (v: number): Entry => ({ physicalAddress: `data/${v}`, size: v, etag: `e${v}`, lastModified: new Date(1_700_000_000_000), addressType: "relative" });

type Op =
  | { op: "write"; b: number; p: number; v: number }
  | { op: "delete"; b: number; p: number }
  | { op: "commit"; b: number }
  | { op: "work"; b: number; writes: { p: number; v: number }[] }
  | { op: "branch"; b: number }
  | { op: "merge"; b: number; to: number; strategy: Strategy; clean: boolean }
  | { op: "revert"; b: number; back: number; clean: boolean }
  | { op: "reset"; b: number }
  | { op: "hardReset"; b: number; to: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant("write" as const), b: fc.nat(5), p: fc.nat(PATHS.length - 1), v: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("delete" as const), b: fc.nat(5), p: fc.nat(PATHS.length - 1) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("commit" as const), b: fc.nat(5) }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant("work" as const), b: fc.nat(5), writes: fc.array(fc.record({ p: fc.nat(PATHS.length - 1), v: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("branch" as const), b: fc.nat(5) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("merge" as const), b: fc.nat(5), to: fc.nat(5), strategy: fc.constantFrom<Strategy>("none", "source-wins", "dest-wins"), clean: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("revert" as const), b: fc.nat(5), back: fc.nat(1), clean: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("reset" as const), b: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("hardReset" as const), b: fc.nat(5), to: fc.nat(5) }) },
);

describe("graveler agrees with a model (property-based)", function () {
  this.timeout(240_000);

  it("random histories read, list and diff as the model says", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 50 }), async (ops) => {
        const env = await makeEnv({ shape: { raggedness: 3 } });
        const g = env.g;
        try {
          await g.createRepository("repo", "local://model");
          const model = new Model();
          const main = await g.getBranch("repo", "main");
          model.commits.set(main.commitId, { tree: new Map(), parents: [], generation: 1 });
          model.branches.set("main", { head: main.commitId, staged: new Map() });
          const names = () => [...model.branches.keys()];
          const pick = (i: number) => names()[i % names().length];
          // Runs an engine call; the model decides whether it must succeed or fail with `code`.
          const expectFailure = async (what: Promise<unknown>, code: string) => {
            await assert.rejects(what, (e: Error) => hasCode(e, code as never) || assert.fail(`expected ${code}, got ${e}`));
          };
          const track = async (branch: string, parents: string[]) => {
            const head = await g.getCommit("repo", branch);
            assert.deepEqual(head.parents, parents);
            const gen = Math.max(...parents.map((p) => model.commits.get(p)!.generation)) + 1;
            return { head, gen };
          };

          for (const o of ops) {
            const b = pick(o.b);
            const mb = model.branches.get(b)!;
            switch (o.op) {
              case "write":
                await g.setObject("repo", b, PATHS[o.p], valueEntry(o.v));
                mb.staged.set(PATHS[o.p], o.v);
                break;
              case "delete":
                if (model.view(b).has(PATHS[o.p])) {
                  await g.deleteObject("repo", b, PATHS[o.p]);
                  mb.staged.set(PATHS[o.p], null);
                } else await expectFailure(g.deleteObject("repo", b, PATHS[o.p]), "NOT_FOUND");
                break;
              case "work":
              case "commit": {
                if (o.op === "work") {
                  // a burst of writes, then the commit below
                  for (const w of o.writes) {
                    await g.setObject("repo", b, PATHS[w.p], valueEntry(w.v));
                    mb.staged.set(PATHS[w.p], w.v);
                  }
                }
                const next = model.view(b);
                if (mb.staged.size === 0 || Model.sameTree(next, model.commits.get(mb.head)!.tree)) {
                  await expectFailure(g.commit("repo", b, { message: "c" }), "FAILED_PRECONDITION");
                  mb.staged.clear();
                  break;
                }
                await g.commit("repo", b, { message: "c" });
                const { head, gen } = await track(b, [mb.head]);
                model.commits.set(head.id, { tree: next, parents: [mb.head], generation: gen });
                model.branches.set(b, { head: head.id, staged: new Map() });
                break;
              }
              case "branch": {
                const name = `b${model.branches.size}`;
                await g.createBranch("repo", name, b);
                model.branches.set(name, { head: mb.head, staged: new Map() });
                break;
              }
              case "merge": {
                const dest = pick(o.to) === b ? pick(o.to + 1) : pick(o.to);
                const md = model.branches.get(dest)!;
                if (o.clean) {
                  // drop what the destination has staged, so that the merge can run
                  await g.resetBranch("repo", dest);
                  md.staged.clear();
                }
                const base = model.mergeBase(mb.head, md.head);
                const run = g.merge("repo", b, dest, { strategy: o.strategy });
                if (md.staged.size > 0 || base === mb.head || base === undefined) {
                  await expectFailure(run, "FAILED_PRECONDITION");
                  break;
                }
                const result = Model.threeWay(model.commits.get(base)!.tree, model.commits.get(mb.head)!.tree, model.commits.get(md.head)!.tree, o.strategy);
                if ("conflicts" in result) {
                  await assert.rejects(run, (e: Error) => hasCode(e, "FAILED_PRECONDITION") && result.conflicts.every((p) => e.message.includes(JSON.stringify(p))));
                  break;
                }
                await run;
                const { head, gen } = await track(dest, [md.head, mb.head]);
                model.commits.set(head.id, { tree: result.tree, parents: [md.head, mb.head], generation: gen });
                md.head = head.id;
                break;
              }
              case "revert": {
                let target = mb.head;
                for (let i = 0; i < o.back && model.commits.get(target)!.parents.length; i++) target = model.commits.get(target)!.parents[0];
                const tc = model.commits.get(target)!;
                if (o.clean) {
                  await g.resetBranch("repo", b);
                  mb.staged.clear();
                }
                const run = g.revert("repo", b, target, { parentNumber: 1 });
                if (tc.parents.length === 0 || mb.staged.size > 0) {
                  await expectFailure(run, "FAILED_PRECONDITION");
                  break;
                }
                const result = Model.threeWay(tc.tree, model.commits.get(tc.parents[0])!.tree, model.commits.get(mb.head)!.tree, "none");
                if ("conflicts" in result) {
                  await expectFailure(run, "FAILED_PRECONDITION");
                  break;
                }
                await run;
                const { head, gen } = await track(b, [mb.head]);
                model.commits.set(head.id, { tree: result.tree, parents: [mb.head], generation: gen });
                mb.head = head.id;
                break;
              }
              case "reset":
                await g.resetBranch("repo", b);
                mb.staged.clear();
                break;
              case "hardReset": {
                const to = pick(o.to);
                await g.hardResetBranch("repo", b, `${to}@`);
                model.branches.set(b, { head: model.branches.get(to)!.head, staged: new Map() });
                break;
              }
            }
            await check(g, model, b, pick(o.b + 1));
          }
        } finally {
          await env.close();
        }
      }),
      { numRuns: 60, seed: Number(process.env.TARN_SEED ?? 4242), endOnFailure: true },
    );
  });
});

type G = Awaited<ReturnType<typeof makeEnv>>["g"];

async function check(g: G, model: Model, branch: string, other: string): Promise<void> {
  const view = model.view(branch);
  const expected = [...view].sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
  const listed = await g.listObjects("repo", branch, { amount: 1000 });
  assert.deepEqual(listed.results.map((r) => ("path" in r ? [r.path, Number(r.entry.etag.slice(1))] : r.commonPrefix)), expected);
  // a delimiter listing in pages of 2
  const expectedTop = [...new Set(expected.map(([p]) => (p.includes("/") ? p.slice(0, p.indexOf("/") + 1) : p)))];
  const top: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await g.listObjects("repo", branch, { delimiter: "/", after, amount: 2 });
    top.push(...page.results.map((r) => ("path" in r ? r.path : r.commonPrefix)));
    if (!page.hasMore) break;
    after = top[top.length - 1];
  }
  assert.deepEqual(top, expectedTop);
  const sub = await g.listObjects("repo", branch, { prefix: "d1/", delimiter: "/" });
  const expectedSub = [...new Set(expected.filter(([p]) => p.startsWith("d1/")).map(([p]) => (p.slice(3).includes("/") ? "d1/x/" : p)))];
  assert.deepEqual(sub.results.map((r) => ("path" in r ? r.path : r.commonPrefix)), expectedSub);
  for (const p of PATHS.slice(0, 6)) {
    const v = view.get(p);
    const got = await g.getObject("repo", branch, p).then((e) => Number(e.etag.slice(1)), (e) => (hasCode(e, "NOT_FOUND") ? undefined : Promise.reject(e)));
    assert.equal(got, v, `get ${p} on ${branch}`);
  }
  const mb = model.branches.get(branch)!;
  const mo = model.branches.get(other)!;
  const headTree: Tree = model.commits.get(mb.head)!.tree;
  const expectedDiff = Model.diff(headTree, model.commits.get(mo.head)!.tree);
  assert.deepEqual((await g.diff("repo", `${branch}@`, `${other}@`)).map((d) => [d.type, d.path]), expectedDiff);
  const paged: [string, string][] = [];
  for (let after: string | undefined; ; ) {
    const page = await g.diff("repo", `${branch}@`, `${other}@`, { after, amount: 2 });
    paged.push(...page.map((d): [string, string] => [d.type, d.path]));
    if (page.length < 2) break;
    after = page[page.length - 1].path;
  }
  assert.deepEqual(paged, expectedDiff);
  assert.deepEqual((await g.diffUncommitted("repo", branch)).map((d) => [d.type, d.path]), Model.diff(headTree, view));
}
