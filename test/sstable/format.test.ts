// The pure pieces of the format: checksums, varints, the footer, index separators.
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { CorruptionError } from "../../src/errors";
import { openBlock } from "../../src/sstable/block-io";
import { Decoder, encodeUvarint, uvarintLength } from "../../src/sstable/coding";
import { crc32c, maskCrc, unmaskCrc } from "../../src/sstable/crc32c";
import { encodeFooter, parseFooter } from "../../src/sstable/footer";
import { ChecksumType, FOOTER_SIZE } from "../../src/sstable/format";
import { shortSeparator, shortSuccessor } from "../../src/sstable/keys";

describe("sstable format", () => {
  it("crc32c matches the Castagnoli check values, and masking round-trips", () => {
    assert.equal(crc32c(Buffer.from("123456789")), 0xe3069283);
    assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa);
    assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
    const inc = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    assert.equal(crc32c(inc), 0x46dd794e);
    // Slice-by-8 and the byte-at-a-time tail agree at every split.
    const data = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 37) & 0xff));
    for (let n = 0; n <= data.length; n++) assert.equal(crc32c(data.subarray(0, n)), crc32c(Buffer.from(data.subarray(0, n))));
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (c) => unmaskCrc(maskCrc(c)) === c));
    assert.notEqual(maskCrc(0x12345678), 0x12345678);
  });

  it("varints round-trip up to 2^53 and refuse truncated, overlong and oversized input", () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (v) => {
        const b = encodeUvarint(v);
        assert.equal(b.length, uvarintLength(v));
        const d = new Decoder(b, 0, b.length, "f", "test");
        assert.equal(d.uvarint(), v);
        assert.equal(d.pos, b.length);
      }),
    );
    const bad = (bytes: number[], message: RegExp) =>
      assert.throws(() => new Decoder(Buffer.from(bytes), 0, bytes.length, "t.sst", "footer").uvarint(), (e: unknown) => e instanceof CorruptionError && message.test(e.message) && e.file === "t.sst");
    bad([0x80, 0x80], /truncated varint/);
    bad([], /truncated varint/);
    bad(Array(11).fill(0x80), /more than 10 bytes/);
    bad([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], /larger than 2\^53/);
  });

  it("a footer round-trips and is 53 bytes ending in the magic number", () => {
    const f = encodeFooter({ formatVersion: 2, checksumType: ChecksumType.Crc32c, metaindex: { offset: 1000, size: 33 }, index: { offset: 700, size: 250 } });
    assert.equal(f.length, FOOTER_SIZE);
    assert.equal(f.subarray(45).toString("hex"), "f7cff485b741e288");
    const parsed = parseFooter(f, 1000 + 33 + 5 + 53, "x.sst");
    assert.deepEqual(parsed, { formatVersion: 2, checksumType: 1, metaindex: { offset: 1000, size: 33 }, index: { offset: 700, size: 250 }, length: 53 });
    // A handle past the end of the blocks is refused.
    assert.throws(() => parseFooter(f, 1000 + 53, "x.sst"), /metaindex handle \[offset 1000, size 33\] points outside/);
  });

  it("index separators sort between the keys they separate, and successors after theirs", () => {
    const key = fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(key, key, (x, y) => {
        const c = Buffer.compare(x, y);
        if (c === 0) return;
        const [a, b] = c < 0 ? [x, y] : [y, x];
        const s = shortSeparator(a, b);
        if (s) {
          assert.ok(Buffer.compare(a, s) < 0 && Buffer.compare(s, b) < 0, `${a.toString("hex")} < ${s.toString("hex")} < ${b.toString("hex")}`);
          assert.ok(s.length < a.length || (s.length === a.length && Buffer.compare(s, a) > 0));
        }
        const succ = shortSuccessor(a);
        if (succ) assert.ok(Buffer.compare(succ, a) > 0 && succ.length < a.length);
      }),
      { numRuns: 2000 },
    );
    assert.deepEqual(shortSeparator(Buffer.from("abc1000"), Buffer.from("abc2000")), Buffer.from("abc11"));
    assert.deepEqual(shortSeparator(Buffer.from("abc1000"), Buffer.from("abc5")), Buffer.from("abc2"));
    assert.equal(shortSeparator(Buffer.from("abc"), Buffer.from("abcd")), undefined);
    assert.deepEqual(shortSuccessor(Buffer.from("abc")), Buffer.from("b"));
    assert.equal(shortSuccessor(Buffer.from([0xff, 0xff])), undefined);
  });

  it("a Snappy block claiming an impossible decompressed size is refused before decompressing", () => {
    const body = Buffer.concat([encodeUvarint(1 << 30), Buffer.from([0x00, 0x61])]);
    const stored = Buffer.concat([body, Buffer.from([1]), Buffer.alloc(4)]);
    stored.writeUInt32LE(maskCrc(crc32c(stored, 0, body.length + 1)), body.length + 1);
    assert.throws(
      () => openBlock(stored, body.length, ChecksumType.Crc32c, "bomb.sst", "data block at 0"),
      (e: unknown) => e instanceof CorruptionError && /Snappy header claims 1073741824 bytes from 7 compressed bytes/.test(e.message),
    );
  });
});
