// The stored form of a user value: version (a Raft index, up to 2^53) then the bytes.
import assert from "node:assert/strict";
import { decodeStored, encodeStored, storedValueEquals } from "../../src/state/keyspace";

describe("state: stored values", () => {
  it("keep versions exact across the 32-bit boundary and up to 2^53 - 1, big-endian", () => {
    for (const version of [0, 1, 0xffff_ffff, 0x1_0000_0000, 0x1_2345_6789, Number.MAX_SAFE_INTEGER]) {
      const raw = encodeStored(version, Buffer.from("value"));
      assert.equal(raw.readBigUInt64BE(0), BigInt(version), `version ${version} as u64 BE`);
      assert.deepEqual(decodeStored(raw), { version, value: Buffer.from("value") });
    }
  });

  it("compare the value without its version", () => {
    const raw = encodeStored(42, Buffer.from("branch record"));
    assert.equal(storedValueEquals(raw, Buffer.from("branch record")), true);
    assert.equal(storedValueEquals(raw, Buffer.from("branch recorD")), false);
    assert.equal(storedValueEquals(raw, Buffer.from("branch recor")), false);
    assert.equal(storedValueEquals(encodeStored(1, Buffer.alloc(0)), Buffer.alloc(0)), true);
  });
});
