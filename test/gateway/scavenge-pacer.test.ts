import { strict as assert } from "node:assert";
import { constants, PerformanceObserver } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { pacedCollections, SCAVENGE_EVERY_BYTES, uploadBytesCopied } from "../../src/gateway/scavenge-pacer";
import { writeFile } from "../../src/gateway/store-io";

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

  it("paces the bytes written to a local store (writeFile) as those sent to S3 or Azure", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarn-pacer-"));
    try {
      uploadBytesCopied(SCAVENGE_EVERY_BYTES); // a known point, as above
      const before = pacedCollections();
      const body = randomBytes(2 * SCAVENGE_EVERY_BYTES + 1000);
      // In 64 KiB chunks, as the HTTP parser hands them over.
      const chunks = Array.from({ length: Math.ceil(body.length / 65536) }, (_, i) => body.subarray(i * 65536, (i + 1) * 65536));
      await writeFile(path.join(dir, "object"), Readable.from(chunks));
      assert.equal(pacedCollections() - before, 2);
      assert.ok(fs.readFileSync(path.join(dir, "object")).equals(body));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves the process's own global without gc()", () => {
    uploadBytesCopied(SCAVENGE_EVERY_BYTES);
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, process.execArgv.includes("--expose-gc") ? "function" : "undefined");
  });
});
