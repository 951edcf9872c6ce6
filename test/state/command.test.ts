// The command and result codecs: every batch round-trips; anything the encoder would not write is refused
// with MalformedCommandError (so every member rejects it the same way).
import assert from "node:assert/strict";
import fc from "fast-check";
import type { KvBatch } from "../../src/graveler/kv/types";
import { decodeCommand, decodeResult, encodeCommand, encodeResult, MalformedCommandError, ResultStatus } from "../../src/state";

const bytes = fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u));
const plain = { noNullPrototype: true };
const precondition = fc.oneof(
  fc.record({ key: bytes, absent: fc.constant(true as const) }, plain),
  fc.record({ key: bytes, equals: bytes }, plain),
  fc.record({ key: bytes, version: fc.maxSafeNat() }, plain),
);
const mutation = fc.oneof(fc.record({ op: fc.constant("put" as const), key: bytes, value: bytes }, plain), fc.record({ op: fc.constant("delete" as const), key: bytes }, plain));
const batch: fc.Arbitrary<KvBatch> = fc
  .record({ preconditions: fc.array(precondition, { maxLength: 4 }), mutations: fc.array(mutation, { maxLength: 6 }) }, plain)
  .map((r) => (r.preconditions.length > 0 ? r : { mutations: r.mutations }));

describe("state: command codec", () => {
  it("round-trips every batch, byte for byte", () => {
    fc.assert(
      fc.property(batch, (bt) => {
        const encoded = encodeCommand(bt);
        const decoded = decodeCommand(encoded);
        assert.deepEqual(decoded, bt);
        assert.ok(encodeCommand(decoded).equals(encoded));
      }),
      { numRuns: 300 },
    );
  });

  it("refuses every truncation and any trailing byte", () => {
    fc.assert(
      fc.property(batch, (bt) => {
        const encoded = encodeCommand(bt);
        for (let n = 0; n < encoded.length; n++) assert.throws(() => decodeCommand(encoded.subarray(0, n)), MalformedCommandError);
        assert.throws(() => decodeCommand(Buffer.concat([encoded, Buffer.from([0])])), MalformedCommandError);
      }),
      { numRuns: 100 },
    );
  });

  it("refuses unknown versions, kinds, tags, over-long varints and lengths past the end", () => {
    const cases: [number[], RegExp][] = [
      [[2, 1, 0, 0], /unknown command version 2/],
      [[1, 9, 0, 0], /unknown command kind 9/],
      [[1, 1, 1, 7, 0], /precondition 0: unknown type 7/],
      [[1, 1, 0, 1, 3, 0], /mutation 0: unknown op 3/],
      [[1, 1, 0x80, 0x00, 0], /over-long varint/],
      [[1, 1, 0, 1, 1, 50, 1], /runs past the end/],
      [[1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], /varint above 2\^53/],
      [[], /truncated before version/],
    ];
    for (const [input, message] of cases) assert.throws(() => decodeCommand(Buffer.from(input)), message);
  });

  it("round-trips results", () => {
    const r = { status: ResultStatus.PreconditionFailed, index: 2 ** 40, key: Buffer.from("head"), message: 'key "head" changed' };
    assert.deepEqual(decodeResult(encodeResult(r)), r);
    assert.throws(() => decodeResult(Buffer.from([1, 9, 0, 0, 0])), /unknown result status 9/);
  });
});
