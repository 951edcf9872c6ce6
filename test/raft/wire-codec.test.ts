// The hand-written MessageBatch codec (raft/transport/message-wire.ts) against the protobufjs reflection
// codec of proto/raft.proto: either one decodes what the other encodes to the same messages, and damaged
// batches from a peer are refused with MalformedMessageError (never another error, never wrong messages).
import assert from "node:assert/strict";
import fc from "fast-check";
import { MalformedMessageError } from "../../raft/transport";
import { decodeMessageBatch, decodeMessageBatchByReflection, encodeMessageBatch, encodeMessageBatchByReflection } from "../../raft/transport/codec";
import { ConfState, Entry, EntryType, Message, MessageType, Snapshot } from "../../raft/types";

const u64 = fc.oneof(fc.constant(0), fc.nat(300), fc.maxSafeNat());
const id = fc.oneof(fc.constantFrom("n1", "n2", "n3"), fc.string({ maxLength: 12 }), fc.string({ unit: "grapheme", maxLength: 6 }));
const bytes = (max: number) => fc.uint8Array({ maxLength: max });

const entry: fc.Arbitrary<Entry> = fc.record({ term: u64, index: u64, type: fc.constantFrom(EntryType.Normal, EntryType.ConfChange), data: bytes(64) });
const confState: fc.Arbitrary<ConfState> = fc.record({
  voters: fc.array(id, { maxLength: 4 }),
  learners: fc.array(id, { maxLength: 2 }),
  votersOutgoing: fc.array(id, { maxLength: 3 }),
  learnersNext: fc.array(id, { maxLength: 2 }),
  autoLeave: fc.boolean(),
});
const snapshot: fc.Arbitrary<Snapshot> = fc.record(
  { metadata: fc.record({ index: u64, term: u64, confState }), reference: fc.string({ maxLength: 40 }), data: fc.uint8Array({ minLength: 1, maxLength: 32 }) },
  { requiredKeys: ["metadata", "reference"] },
);
const message: fc.Arbitrary<Message> = fc.record(
  {
    type: fc.constantFrom(...Object.values(MessageType)),
    from: id,
    to: id,
    term: u64,
    index: u64,
    logTerm: u64,
    entries: fc.array(entry, { maxLength: 4 }),
    commit: u64,
    reject: fc.boolean(),
    rejectHint: u64,
    snapshot,
    context: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  },
  { requiredKeys: ["type", "from", "to", "term", "index", "logTerm", "entries", "commit", "reject", "rejectHint"] },
);
const batch = fc.array(message, { maxLength: 5 });

/** A comparable form: byte fields as hex, absent optional fields left out. */
function plain(messages: Message[]): unknown {
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  // Through JSON: plain objects (fast-check builds null-prototype ones), absent fields dropped.
  return JSON.parse(JSON.stringify(messages.map((m) => ({
    ...m,
    entries: m.entries.map((e) => ({ ...e, data: hex(e.data) })),
    snapshot: m.snapshot ? { metadata: m.snapshot.metadata, reference: m.snapshot.reference, data: m.snapshot.data ? hex(m.snapshot.data) : undefined } : undefined,
    context: m.context ? hex(m.context) : undefined,
  }))));
}

/** Runs the hand-written decoder; anything it throws other than MalformedMessageError fails the property. */
function decodeOrRefuse(buf: Buffer): Message[] | MalformedMessageError {
  try {
    return decodeMessageBatch(buf);
  } catch (err) {
    if (err instanceof MalformedMessageError) return err;
    throw err;
  }
}

describe("raft wire codec: hand-written batch codec against the reflection codec", () => {
  it("decodes its own and the reflection codec's encoding to the messages encoded, as the reflection codec does", () => {
    fc.assert(
      fc.property(batch, (messages) => {
        const fast = encodeMessageBatch(messages);
        const reflected = encodeMessageBatchByReflection(messages);
        const expected = plain(messages);
        assert.deepEqual(plain(decodeMessageBatch(fast)), expected);
        assert.deepEqual(plain(decodeMessageBatchByReflection(fast)), expected);
        assert.deepEqual(plain(decodeMessageBatch(reflected)), expected);
        assert.deepEqual(plain(decodeMessageBatchByReflection(reflected)), expected);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a batch cut anywhere but between two messages", () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 3 }), fc.nat(), (messages, at) => {
        const buf = encodeMessageBatch(messages);
        // A batch is its messages' records one after another: a cut exactly between two is a shorter batch.
        const boundaries = new Set<number>([0]);
        let offset = 0;
        for (const m of messages) boundaries.add((offset += encodeMessageBatch([m]).length));
        assert.equal(offset, buf.length);
        const cut = at % buf.length;
        fc.pre(!boundaries.has(cut));
        const result = decodeOrRefuse(buf.subarray(0, cut));
        assert.ok(result instanceof MalformedMessageError, `a batch cut at ${cut} of ${buf.length} bytes was accepted`);
        assert.match(result.message, /undecodable message batch|exceeds|unknown/);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a batch whose message length runs past the end or whose tag has an invalid wire type", () => {
    fc.assert(
      fc.property(message, fc.constantFrom(3, 4, 6, 7), (m, wireType) => {
        const buf = encodeMessageBatch([m]);
        const body = buf.subarray(1 + lengthVarintBytes(buf));
        const longer = Buffer.concat([Buffer.from([0x0a]), varint(body.length + 5), body]);
        assert.ok(decodeOrRefuse(longer) instanceof MalformedMessageError, "a message longer than the batch was accepted");
        const badTag = Buffer.from(buf);
        badTag[0] = (1 << 3) | wireType;
        assert.ok(decodeOrRefuse(badTag) instanceof MalformedMessageError, `wire type ${wireType} was accepted`);
      }),
      { numRuns: 100 },
    );
  });

  it("answers any mutated batch with messages or MalformedMessageError, nothing else", () => {
    fc.assert(
      fc.property(batch.filter((ms) => ms.length > 0), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (messages, edits) => {
        const buf = Buffer.from(encodeMessageBatch(messages));
        for (const [at, value] of edits) buf[at % buf.length] = value;
        const result = decodeOrRefuse(buf);
        if (!(result instanceof MalformedMessageError)) {
          // Whatever it accepts is well-formed: known types, indexes below 2^53.
          for (const m of result) {
            assert.ok(Object.values(MessageType).includes(m.type));
            for (const v of [m.term, m.index, m.logTerm, m.commit, m.rejectHint]) assert.ok(Number.isSafeInteger(v) && v >= 0);
            for (const e of m.entries) assert.ok(e.type === EntryType.Normal || e.type === EntryType.ConfChange);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

function varint(v: number): Buffer {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/** How many bytes the length varint after the first (tag) byte of a one-message batch takes. */
function lengthVarintBytes(buf: Buffer): number {
  let n = 1;
  while (buf[n] & 0x80) n++;
  return n;
}
