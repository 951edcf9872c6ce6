import { strict as assert } from "node:assert";
import { constants, PerformanceObserver } from "node:perf_hooks";
import { pacedCollections, SCAVENGE_EVERY_BYTES, uploadBytesCopied } from "../../src/gateway/scavenge-pacer";

/** Young collections seen while `fn` runs (their perf entries arrive on a later tick). */
async function minorCollectionsDuring(fn: () => void): Promise<number> {
  let minors = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minors++;
  });
  observer.observe({ entryTypes: ["gc"] });
  fn();
  await new Promise((r) => setTimeout(r, 50));
  observer.disconnect();
  return minors;
}

describe("gateway scavenge pacer", () => {
  it("runs a young collection after every SCAVENGE_EVERY_BYTES of upload, and none before", async () => {
    // Reach a known point: whatever was counted before, one full step from here triggers exactly one.
    uploadBytesCopied(SCAVENGE_EVERY_BYTES);
    const chunk = 64 * 1024;
    const steps = SCAVENGE_EVERY_BYTES / chunk;
    const before = pacedCollections();
    const seen = await minorCollectionsDuring(() => {
      for (let i = 0; i < 3 * steps; i++) uploadBytesCopied(chunk);
    });
    assert.equal(pacedCollections() - before, 3, "3 steps of bytes, 3 paced collections");
    // V8 reports them as young collections (the process may run others of its own meanwhile).
    assert.ok(seen >= 3, `3 paced collections, ${seen} young collections observed`);
    for (let i = 0; i < steps - 1; i++) uploadBytesCopied(chunk);
    assert.equal(pacedCollections() - before, 3, "less than one more step of bytes ran another");
  });

  it("leaves the process's own global without gc()", () => {
    uploadBytesCopied(SCAVENGE_EVERY_BYTES);
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, process.execArgv.includes("--expose-gc") ? "function" : "undefined");
  });
});
