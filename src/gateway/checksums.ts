// Checksums S3 clients send with a body: Content-MD5 (base64), x-amz-content-sha256 (hex), and the
// x-amz-checksum-{crc32,crc32c,sha1,sha256} header or trailer (base64 of the big-endian digest). One
// incremental interface over all of them.
import { createHash, type Hash } from "node:crypto";
import * as zlib from "node:zlib";

export type ChecksumAlgorithm = "crc32" | "crc32c" | "sha1" | "sha256" | "md5";

export interface Checksum {
  update(data: Buffer): void;
  /** The digest as raw bytes. */
  digest(): Buffer;
}

const CRC32C_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

export function crc32c(data: Buffer, previous = 0): number {
  let crc = ~previous;
  for (let i = 0; i < data.length; i++) crc = CRC32C_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

const be32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

export function newChecksum(algorithm: ChecksumAlgorithm): Checksum {
  switch (algorithm) {
    case "crc32": {
      let crc = 0;
      return { update: (d) => void (crc = zlib.crc32(d, crc)), digest: () => be32(crc) };
    }
    case "crc32c": {
      let crc = 0;
      return { update: (d) => void (crc = crc32c(d, crc)), digest: () => be32(crc) };
    }
    default: {
      const hash: Hash = createHash(algorithm);
      return { update: (d) => void hash.update(d), digest: () => hash.digest() };
    }
  }
}

export const CHECKSUM_HEADERS: Record<string, ChecksumAlgorithm> = {
  "x-amz-checksum-crc32": "crc32",
  "x-amz-checksum-crc32c": "crc32c",
  "x-amz-checksum-sha1": "sha1",
  "x-amz-checksum-sha256": "sha256",
};

/** An expected digest to check at the end of a body. */
export interface Expectation {
  algorithm: ChecksumAlgorithm;
  /** Filled in when the trailer arrives, for trailing checksums. */
  expected?: Buffer;
  /** Which header or trailer it came from, for the error message. */
  source: string;
  encoding: "base64" | "hex";
}
