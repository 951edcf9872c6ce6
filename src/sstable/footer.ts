// The fixed-size footer at the end of every table: where the metaindex and index blocks are, which checksum
// the blocks carry, the format version and the magic number. Pure: encodeFooter and parseFooter.
import { CorruptionError } from "../errors";
import { isSupportedChecksum } from "./checksum";
import { Decoder } from "./coding";
import {
  ChecksumType,
  FOOTER_SIZE,
  LEGACY_FOOTER_SIZE,
  LEGACY_MAGIC_HI,
  LEGACY_MAGIC_LO,
  MAX_HANDLE_LENGTH,
  MAX_READ_FORMAT_VERSION,
  TABLE_MAGIC_HI,
  TABLE_MAGIC_LO,
} from "./format";
import { BlockHandle, decodeHandle, formatHandle, handleWithin, putHandle } from "./handle";

export interface Footer {
  formatVersion: number;
  checksumType: ChecksumType;
  metaindex: BlockHandle;
  index: BlockHandle;
  /** Bytes the footer occupies at the end of the file (53, or 48 for format_version 0). */
  length: number;
}

export function encodeFooter(f: Pick<Footer, "formatVersion" | "checksumType" | "metaindex" | "index">): Buffer {
  const out = Buffer.alloc(FOOTER_SIZE); // zeroed: the padding must be zero
  out[0] = f.checksumType;
  putHandle(out, putHandle(out, 1, f.metaindex), f.index);
  const tail = 1 + 2 * MAX_HANDLE_LENGTH;
  out.writeUInt32LE(f.formatVersion, tail);
  out.writeUInt32LE(TABLE_MAGIC_LO, tail + 4);
  out.writeUInt32LE(TABLE_MAGIC_HI, tail + 8);
  return out;
}

/**
 * Parses the footer from the last bytes of a file of `fileSize` bytes (`tail` holds at least the last
 * min(fileSize, 53) bytes). Checks magic, version, checksum type, zero padding and that both handles point
 * inside the file before the footer.
 */
export function parseFooter(tail: Buffer, fileSize: number, file: string): Footer {
  const bad = (what: string): never => {
    throw new CorruptionError(file, what);
  };
  if (fileSize < LEGACY_FOOTER_SIZE || tail.length < LEGACY_FOOTER_SIZE) {
    bad(`file is ${fileSize} bytes, too short to hold a table footer (truncated?)`);
  }
  const magicLo = tail.readUInt32LE(tail.length - 8);
  const magicHi = tail.readUInt32LE(tail.length - 4);
  const magicHex = `0x${magicHi.toString(16).padStart(8, "0")}${magicLo.toString(16).padStart(8, "0")}`;
  let footer: Footer;
  if (magicLo === TABLE_MAGIC_LO && magicHi === TABLE_MAGIC_HI) {
    if (fileSize < FOOTER_SIZE || tail.length < FOOTER_SIZE) bad(`file is ${fileSize} bytes, too short to hold a table footer (truncated?)`);
    const start = tail.length - FOOTER_SIZE;
    const formatVersion = tail.readUInt32LE(start + 1 + 2 * MAX_HANDLE_LENGTH);
    if (formatVersion < 1 || formatVersion > MAX_READ_FORMAT_VERSION) {
      bad(`unsupported table format_version ${formatVersion} in footer (this reader handles 0 to ${MAX_READ_FORMAT_VERSION})`);
    }
    const checksumType = tail[start];
    if (!isSupportedChecksum(checksumType)) bad(`unsupported block checksum type ${checksumType} in footer (expected 1-4: crc32c, xxhash, xxhash64, xxh3)`);
    const d = new Decoder(tail, start + 1, start + 1 + 2 * MAX_HANDLE_LENGTH, file, "footer");
    const metaindex = decodeHandle(d);
    const index = decodeHandle(d);
    footer = { formatVersion, checksumType, metaindex, index, length: FOOTER_SIZE };
    checkPadding(tail, d.pos, start + 1 + 2 * MAX_HANDLE_LENGTH, bad);
  } else if (magicLo === LEGACY_MAGIC_LO && magicHi === LEGACY_MAGIC_HI) {
    const start = tail.length - LEGACY_FOOTER_SIZE;
    const d = new Decoder(tail, start, start + 2 * MAX_HANDLE_LENGTH, file, "footer");
    const metaindex = decodeHandle(d);
    const index = decodeHandle(d);
    footer = { formatVersion: 0, checksumType: ChecksumType.Crc32c, metaindex, index, length: LEGACY_FOOTER_SIZE };
    checkPadding(tail, d.pos, start + 2 * MAX_HANDLE_LENGTH, bad);
  } else {
    return bad(`bad magic number ${magicHex} in footer (expected 0x88e241b785f4cff7): not a RocksDB block-based table, or truncated`);
  }
  const limit = fileSize - footer.length;
  for (const [name, h] of [["metaindex", footer.metaindex], ["index", footer.index]] as const) {
    if (!handleWithin(h, limit)) bad(`footer ${name} handle ${formatHandle(h)} points outside the file's ${limit} bytes of blocks`);
  }
  return footer;
}

function checkPadding(buf: Buffer, from: number, to: number, bad: (what: string) => never): void {
  for (let i = from; i < to; i++) if (buf[i] !== 0) bad(`footer padding byte ${i - from} is 0x${buf[i].toString(16)}, not zero`);
}
