// Block trailers: compression and checksums. compressBlock() turns a finished block into the bytes stored
// in the file (maybe Snappy-compressed) plus its 5-byte trailer; openBlock() verifies a stored block's
// checksum and returns its decompressed contents.
import * as snappy from "snappy";
import { CorruptionError } from "../errors";
import { CHECKSUM_NAMES, computeChecksum, storedChecksum } from "./checksum";
import { crc32cUpdate, maskCrc } from "./crc32c";
import { BLOCK_TRAILER_SIZE, ChecksumType, COMPRESSION_NAMES, CompressionType } from "./format";

/** snappy's napi binding is ~3x faster when it copies its output instead of wrapping external memory. */
const COPY = { copyOutputData: true } as const;
const UNCOMPRESS = { asBuffer: true, copyOutputData: true } as const;

export interface StoredBlock {
  /** The block bytes as stored (compressed or not). */
  body: Uint8Array;
  /** 5 bytes: compression type, masked CRC-32C of body + type. */
  trailer: Buffer;
}

/**
 * Compresses `raw` when asked and when it pays (RocksDB and pebble keep the compressed form only if it saves
 * at least 1/8), and computes the trailer. `trailer` is a 5-byte scratch buffer owned by the caller.
 */
export function compressBlock(raw: Uint8Array, compression: CompressionType, trailer: Buffer): StoredBlock {
  let body = raw;
  let type = CompressionType.None;
  if (compression === CompressionType.Snappy) {
    const compressed = snappy.compressSync(raw, COPY);
    if (compressed.length < raw.length - (raw.length >>> 3)) {
      body = compressed;
      type = CompressionType.Snappy;
    }
  }
  return { body, trailer: crc32cTrailer(body, type, trailer) };
}

/** Fills `trailer` (5 bytes) with the compression type and the masked CRC-32C of body + type. */
export function crc32cTrailer(body: Uint8Array, type: CompressionType, trailer: Buffer): Buffer {
  trailer[0] = type;
  const crc = crc32cUpdate(crc32cUpdate(0, body), trailer, 0, 1);
  trailer.writeUInt32LE(maskCrc(crc), 1);
  return trailer;
}

/**
 * Verifies the stored block in stored[0, size + 5) and returns its contents: a view of `stored` when it was
 * not compressed, a fresh buffer otherwise. `where` names the block for errors (e.g. "data block at 4096").
 */
export function openBlock(stored: Buffer, size: number, checksumType: ChecksumType, file: string, where: string): Buffer {
  verifyBlock(stored, size, checksumType, file, where);
  const type = stored[size];
  const body = stored.subarray(0, size);
  switch (type) {
    case CompressionType.None:
      return body;
    case CompressionType.Snappy:
      checkSnappyLength(body, file, where);
      try {
        return snappy.uncompressSync(body, UNCOMPRESS) as Buffer;
      } catch (err) {
        throw new CorruptionError(file, `${where}: Snappy data does not decompress: ${(err as Error).message}`, { cause: err });
      }
    default:
      throw new CorruptionError(file, `${where}: unsupported compression type ${type} (${COMPRESSION_NAMES[type] ?? "unknown"}); Tarn reads Snappy and uncompressed blocks`);
  }
}

/** Checks the length and the checksum of the stored block in stored[0, size + 5). */
export function verifyBlock(stored: Buffer, size: number, checksumType: ChecksumType, file: string, where: string): void {
  if (stored.length < size + BLOCK_TRAILER_SIZE) {
    throw new CorruptionError(file, `${where}: truncated: need ${size + BLOCK_TRAILER_SIZE} bytes, file has ${stored.length}`);
  }
  const expected = storedChecksum(checksumType, stored, size);
  const actual = computeChecksum(checksumType, stored, size);
  if (actual !== expected) {
    const name = CHECKSUM_NAMES[checksumType];
    throw new CorruptionError(file, `${where}: block checksum mismatch (stored ${name} 0x${expected.toString(16)}, computed 0x${actual.toString(16)})`);
  }
}

/**
 * Snappy data starts with its decompressed length. Snappy cannot expand input more than ~21x (a 3-byte copy
 * yields at most 64 bytes), so a larger claim is damage, refused before anything is allocated for it.
 */
function checkSnappyLength(body: Uint8Array, file: string, where: string): void {
  let length = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= body.length) throw new CorruptionError(file, `${where}: Snappy data has no length header`);
    const b = body[i];
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) {
      if (length > body.length * 24 + 64) {
        throw new CorruptionError(file, `${where}: Snappy header claims ${length} bytes from ${body.length} compressed bytes`);
      }
      return;
    }
    shift += 7;
  }
  throw new CorruptionError(file, `${where}: bad Snappy length header`);
}
