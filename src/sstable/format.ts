// The RocksDB block-based table format, as pebble writes it for lakeFS (TableFormatRocksDBv2).
//
//   <start of file>
//   [data block 0] ... [data block N-1]         user entries, sorted, keys prefix-compressed
//   [index partition 0] ... [index partition P-1] only with a two-level index
//   [index block]                                single-level index, or the top level of a two-level one
//   [properties block]                           "rocksdb.properties": rocksdb.* and user properties
//   [metaindex block]                            meta block name -> handle
//   [footer]                                     53 bytes (48 for legacy LevelDB-style files)
//   <end of file>
//
// Every block is followed by a 5-byte trailer: 1 byte compression type, then a 4-byte checksum over the
// stored block bytes and the type byte: masked CRC-32C in what Tarn (and pebble) writes; RocksDB may use
// xxHash, xxHash64 or XXH3 (its default since 7.x), named by the footer's checksum type. A block is a sequence of entries
// (varint shared, varint non_shared, varint value_length, key delta, value), then an array of uint32
// restart offsets (entries whose key is stored whole), then uint32 num_restarts.
//
// Footer (format_version >= 1):
//   checksum type (1) | metaindex handle | index handle | zero padding to 41 bytes | format_version (u32) | magic (u64)
// A handle is varint64 offset + varint64 size (size excludes the trailer).

export const BLOCK_TRAILER_SIZE = 5;
export const MAX_HANDLE_LENGTH = 20; // two varint64s
export const FOOTER_SIZE = 1 + 2 * MAX_HANDLE_LENGTH + 4 + 8; // 53
export const LEGACY_FOOTER_SIZE = 2 * MAX_HANDLE_LENGTH + 8; // 48

/** 0x88e241b785f4cff7: RocksDB block-based table, format_version >= 1. Stored little-endian. */
export const TABLE_MAGIC_LO = 0x85f4cff7;
export const TABLE_MAGIC_HI = 0x88e241b7;
/** 0xdb4775248b80fb57: LevelDB-compatible block-based table (format_version 0). */
export const LEGACY_MAGIC_LO = 0x8b80fb57;
export const LEGACY_MAGIC_HI = 0xdb477524;

/**
 * format_version values, as in RocksDB's BlockBasedTableOptions:
 * 0 legacy LevelDB footer; 1 new footer with checksum type; 2 LZ4/Zlib/BZip2 blocks carry their decompressed
 * size (what pebble calls TableFormatRocksDBv2, and what Tarn writes); 3 index keys may be user keys;
 * 4 index values delta-encoded; 5 new Bloom filter; 6 context-aware checksums and a checksummed footer.
 */
export const WRITE_FORMAT_VERSION = 2;
export const MAX_READ_FORMAT_VERSION = 5;

export const enum ChecksumType {
  None = 0,
  Crc32c = 1,
  XxHash = 2,
  XxHash64 = 3,
  Xxh3 = 4,
}

export const enum CompressionType {
  None = 0,
  Snappy = 1,
}

export const COMPRESSION_NAMES: Record<number, string> = {
  0: "NoCompression",
  1: "Snappy",
  2: "Zlib",
  3: "BZip2",
  4: "LZ4",
  5: "LZ4HC",
  6: "Xpress",
  7: "ZSTD",
};

/** Index types (property rocksdb.block.based.table.index.type). */
export const enum IndexType {
  BinarySearch = 0,
  HashSearch = 1, // a binary-search index plus prefix hash meta blocks we do not need
  TwoLevel = 2,
  BinarySearchWithFirstKey = 3,
}

/** Key kinds in the internal-key trailer (low byte). Tarn writes only Set (RocksDB's kTypeValue). */
export const KIND_SET = 1;
/** Kind used for index separators, which sort before every real key with the same user key (pebble's InternalKeyKindSeparator). */
export const KIND_SEPARATOR = 17;
/** Trailer = (seqnum << 8) | kind, little-endian u64. */
export const TRAILER_SIZE = 8;
/** Data entries: seqnum 0, kind Set. */
export const SET_TRAILER: Buffer = Buffer.from([KIND_SET, 0, 0, 0, 0, 0, 0, 0]);
/** Separators: seqnum 2^56-1 (the largest), kind Separator. */
export const SEPARATOR_TRAILER: Buffer = Buffer.from([KIND_SEPARATOR, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export const PROPERTIES_BLOCK_NAME = "rocksdb.properties";
export const COMPARATOR_NAME = "leveldb.BytewiseComparator";
