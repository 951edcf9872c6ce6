// Block checksums. Tarn writes masked CRC-32C (what pebble writes for lakeFS); it also verifies the xxHash
// variants RocksDB can write (XXH3 is RocksDB's default since 7.x), so tables RocksDB tools produce open too.
// Each covers the stored block bytes followed by the compression-type byte.
import { xxh3, xxh32, xxh64 } from "@node-rs/xxhash";
import { crc32cUpdate, unmaskCrc } from "./crc32c";
import { ChecksumType } from "./format";

export const CHECKSUM_NAMES: Record<number, string> = { 0: "none", 1: "crc32c", 2: "xxhash", 3: "xxhash64", 4: "xxh3" };

export const isSupportedChecksum = (t: number): boolean => t >= ChecksumType.Crc32c && t <= ChecksumType.Xxh3;

const LOW32 = 0xffffffffn;
/** RocksDB's ModifyChecksumForLastByte: folds the type byte into an XXH3 hash of the block body. */
const LAST_BYTE_PRIME = 0x6b9083d9;

/**
 * The checksum of stored[0, size + 1) (block body + type byte) as RocksDB stores it in the trailer (for
 * CRC-32C, unmasked here: callers compare with the unmasked stored value).
 */
export function computeChecksum(type: ChecksumType, stored: Buffer, size: number): number {
  switch (type) {
    case ChecksumType.Crc32c:
      return crc32cUpdate(0, stored, 0, size + 1);
    case ChecksumType.XxHash:
      return xxh32(stored.subarray(0, size + 1), 0) >>> 0;
    case ChecksumType.XxHash64:
      return Number(xxh64(stored.subarray(0, size + 1), 0n) & LOW32);
    case ChecksumType.Xxh3:
      return (Number(xxh3.xxh64(stored.subarray(0, size)) & LOW32) ^ Math.imul(stored[size], LAST_BYTE_PRIME)) >>> 0;
    default:
      throw new Error(`unsupported checksum type ${type}`);
  }
}

/** The checksum stored in the trailer at stored[size + 1, size + 5), unmasked for CRC-32C. */
export function storedChecksum(type: ChecksumType, stored: Buffer, size: number): number {
  const v = stored.readUInt32LE(size + 1);
  return type === ChecksumType.Crc32c ? unmaskCrc(v) : v;
}
