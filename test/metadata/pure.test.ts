// The service's pure parts: wire framing checks, error mapping, paging and diff windows.
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import fc from "fast-check";
import { CorruptionError, TarnError } from "../../src/errors";
import type { DiffEntry } from "../../src/graveler";
import { pageSize, prefixedPage } from "../../src/metadata/convert";
import { windowDiff } from "../../src/metadata/handlers/refs";
import { messageType, toStatus } from "../../src/metadata";
import { checkWireFraming } from "../../src/metadata/wire-check";

const change = (path: string, type: DiffEntry["type"] = "added"): DiffEntry => ({
  type,
  path,
  entry: { physicalAddress: "data/x", size: 1, etag: "e", lastModified: new Date(0), addressType: "relative" },
});

describe("metadata: pure parts", () => {
  it("accepts every well-formed message and refuses truncated ones", () => {
    const type = messageType("StageObjectRequest");
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.integer({ min: 0, max: 2 ** 40 }), fc.dictionary(fc.string(), fc.string()), (path, address, size, meta) => {
        const bytes = type.encode(type.fromObject({ repository: "r", branch: "b", path, physicalAddress: address, sizeBytes: size, userMetadata: meta })).finish();
        checkWireFraming(bytes);
        // A path cut short inside its bytes is caught (protobufjs alone reads past the end without complaint).
        const cut = type.encode(type.fromObject({ path: path + "xy" })).finish();
        assert.throws(() => checkWireFraming(cut.subarray(0, cut.length - 1)), /bytes declared/);
        return true;
      }),
    );
    assert.throws(() => checkWireFraming(Buffer.from([0x0a, 0x05, 0x61])), /field 1 at byte 0: 5 bytes declared, 1 left/);
    assert.throws(() => checkWireFraming(Buffer.from([0x0b])), /wire type 3/);
    assert.throws(() => checkWireFraming(Buffer.from([0x00, 0x01])), /field number 0/);
  });

  it("maps each error code to one gRPC status, corruption to DATA_LOSS, anything else to INTERNAL", () => {
    assert.equal(toStatus(new TarnError("NOT_FOUND", "x")).code, grpc.status.NOT_FOUND);
    assert.equal(toStatus(new TarnError("FAILED_PRECONDITION", "x")).code, grpc.status.FAILED_PRECONDITION);
    assert.equal(toStatus(new TarnError("UNAVAILABLE", "x")).code, grpc.status.UNAVAILABLE);
    const corrupt = toStatus(new CorruptionError("_tarn/abc", "bad block checksum"));
    assert.equal(corrupt.code, grpc.status.DATA_LOSS);
    assert.match(corrupt.details, /stored data is corrupt: _tarn\/abc: corrupt: bad block checksum/);
    const other = toStatus(new RangeError("boom"));
    assert.equal(other.code, grpc.status.INTERNAL);
    assert.match(other.details, /internal error: boom/);
  });

  it("pages a sorted listing by prefix and after without skipping or repeating", async () => {
    const ids = Array.from({ length: 450 }, (_v, i) => `${"abc"[i % 3]}${String(i).padStart(4, "0")}`).sort();
    const fetch = async (after: string | undefined, n: number) => ids.filter((id) => after === undefined || id > after).slice(0, n);
    const seen: string[] = [];
    let after = "";
    for (;;) {
      const page = await prefixedPage(fetch, (x) => x, { prefix: "b", after, amount: 40 });
      seen.push(...page.items);
      if (!page.hasMore) break;
      after = page.items.at(-1)!;
    }
    assert.deepEqual(seen, ids.filter((id) => id.startsWith("b")));
    assert.equal(pageSize(0), 100);
    assert.throws(() => pageSize(1001), /at most 1000/);
  });

  it("windows a diff by prefix, after, delimiter and amount", () => {
    const changes = ["a/1", "a/2", "b", "c/x/1", "c/y"].map((p) => change(p));
    const paths = (w: Partial<Parameters<typeof windowDiff>[1]>) => windowDiff(changes, { prefix: "", delimiter: "", after: "", amount: 0, ...w }).results.map((d) => d.path);
    assert.deepEqual(paths({ delimiter: "/" }), ["a/", "b", "c/"]);
    assert.deepEqual(paths({ prefix: "c/", delimiter: "/" }), ["c/x/", "c/y"]);
    assert.deepEqual(paths({ after: "a/2" }), ["b", "c/x/1", "c/y"]);
    assert.deepEqual(paths({ after: "a/", delimiter: "/" }), ["b", "c/"]);
    const limited = windowDiff(changes, { prefix: "", delimiter: "", after: "", amount: 2 });
    assert.deepEqual([limited.results.length, limited.hasMore], [2, true]);
  });
});
