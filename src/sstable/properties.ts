// The properties block ("rocksdb.properties"): a block of name -> value entries sorted by name, holding the
// standard rocksdb.* properties (numbers as varints, a few as fixed-width integers, names as strings) and the
// user properties. encodeProperties() builds the block contents; decodeProperties() reads them back.
import { CorruptionError } from "../errors";
import { BlockBuilder } from "./block-builder";
import { Block, BlockIter } from "./block";
import { decodeUvarintExact, encodeFixed32, encodeFixed64, encodeUvarint } from "./coding";
import { COMPARATOR_NAME, IndexType } from "./format";

export const PROP = {
  columnFamilyId: "rocksdb.column.family.id",
  columnFamilyName: "rocksdb.column.family.name",
  comparator: "rocksdb.comparator",
  compression: "rocksdb.compression",
  compressionOptions: "rocksdb.compression_options",
  creationTime: "rocksdb.creation.time",
  dataSize: "rocksdb.data.size",
  deletedKeys: "rocksdb.deleted.keys",
  externalVersion: "rocksdb.external_sst_file.version",
  globalSeqno: "rocksdb.external_sst_file.global_seqno",
  fileCreationTime: "rocksdb.file.creation.time",
  filterPolicy: "rocksdb.filter.policy",
  filterSize: "rocksdb.filter.size",
  fixedKeyLength: "rocksdb.fixed.key.length",
  formatVersion: "rocksdb.format.version",
  indexKeyIsUserKey: "rocksdb.index.key.is.user.key",
  indexPartitions: "rocksdb.index.partitions",
  indexSize: "rocksdb.index.size",
  indexType: "rocksdb.block.based.table.index.type",
  indexValueIsDeltaEncoded: "rocksdb.index.value.is.delta.encoded",
  mergeOperands: "rocksdb.merge.operands",
  mergeOperator: "rocksdb.merge.operator",
  numDataBlocks: "rocksdb.num.data.blocks",
  numEntries: "rocksdb.num.entries",
  numRangeDeletions: "rocksdb.num.range-deletions",
  oldestKeyTime: "rocksdb.oldest.key.time",
  prefixExtractor: "rocksdb.prefix.extractor.name",
  prefixFiltering: "rocksdb.block.based.table.prefix.filtering",
  propertyCollectors: "rocksdb.property.collectors",
  rawKeySize: "rocksdb.raw.key.size",
  rawValueSize: "rocksdb.raw.value.size",
  topLevelIndexSize: "rocksdb.top-level.index.size",
  wholeKeyFiltering: "rocksdb.block.based.table.whole.key.filtering",
} as const;

/** Properties stored as fixed-width little-endian integers rather than varints. */
const FIXED32 = new Set<string>([PROP.indexType, PROP.externalVersion]);
const FIXED64 = new Set<string>([PROP.globalSeqno]);
/** Properties that hold text. */
const STRINGS = new Set<string>([
  PROP.columnFamilyName,
  PROP.comparator,
  PROP.compression,
  PROP.compressionOptions,
  PROP.filterPolicy,
  PROP.mergeOperator,
  PROP.prefixExtractor,
  PROP.propertyCollectors,
  PROP.prefixFiltering,
  PROP.wholeKeyFiltering,
]);

/** Names reserved for RocksDB and pebble: everything else in the block is a user property. */
export const isStandardProperty = (name: string): boolean => name.startsWith("rocksdb.") || name.startsWith("pebble.");

/** What pebble writes as rocksdb.compression_options for RocksDB compatibility. */
const COMPRESSION_OPTIONS = "window_bits=-14; level=32767; strategy=0; max_dict_bytes=0; zstd_max_train_bytes=0; enabled=0; ";

export interface WriterStats {
  compression: "snappy" | "none";
  dataSize: number;
  indexSize: number;
  indexPartitions: number; // 0 for a single-level index
  topLevelIndexSize: number;
  numDataBlocks: number;
  numEntries: number;
  rawKeySize: number;
  rawValueSize: number;
}

/** The properties block contents for a table Tarn wrote, in the set and encodings pebble uses for RocksDB v2. */
export function encodeProperties(stats: WriterStats, user: Map<string, Buffer>): Buffer {
  const m = new Map<string, Buffer>(user);
  const str = (s: string) => Buffer.from(s, "utf8");
  m.set(PROP.columnFamilyId, encodeUvarint(0x7fffffff)); // "unknown column family", as pebble writes
  m.set(PROP.comparator, str(COMPARATOR_NAME));
  m.set(PROP.compression, str(stats.compression === "snappy" ? "Snappy" : "NoCompression"));
  m.set(PROP.compressionOptions, str(COMPRESSION_OPTIONS));
  m.set(PROP.creationTime, encodeUvarint(0));
  m.set(PROP.dataSize, encodeUvarint(stats.dataSize));
  m.set(PROP.externalVersion, encodeFixed32(2));
  m.set(PROP.globalSeqno, encodeFixed64(0));
  m.set(PROP.filterSize, encodeUvarint(0));
  m.set(PROP.fixedKeyLength, encodeUvarint(0));
  m.set(PROP.formatVersion, encodeUvarint(0));
  m.set(PROP.indexKeyIsUserKey, encodeUvarint(0));
  if (stats.indexPartitions > 0) {
    m.set(PROP.indexPartitions, encodeUvarint(stats.indexPartitions));
    m.set(PROP.topLevelIndexSize, encodeUvarint(stats.topLevelIndexSize));
  }
  m.set(PROP.indexSize, encodeUvarint(stats.indexSize));
  m.set(PROP.indexType, encodeFixed32(stats.indexPartitions > 0 ? IndexType.TwoLevel : IndexType.BinarySearch));
  m.set(PROP.indexValueIsDeltaEncoded, encodeUvarint(0));
  m.set(PROP.mergeOperator, str("nullptr"));
  m.set(PROP.numDataBlocks, encodeUvarint(stats.numDataBlocks));
  m.set(PROP.numEntries, encodeUvarint(stats.numEntries));
  m.set(PROP.deletedKeys, encodeUvarint(0));
  m.set(PROP.mergeOperands, encodeUvarint(0));
  m.set(PROP.numRangeDeletions, encodeUvarint(0));
  m.set(PROP.oldestKeyTime, encodeUvarint(0));
  m.set(PROP.prefixExtractor, str("nullptr"));
  m.set(PROP.prefixFiltering, str("0"));
  m.set(PROP.propertyCollectors, str("[]"));
  m.set(PROP.rawKeySize, encodeUvarint(stats.rawKeySize));
  m.set(PROP.rawValueSize, encodeUvarint(stats.rawValueSize));
  m.set(PROP.wholeKeyFiltering, str("0"));

  const names = [...m.keys()].map((n) => Buffer.from(n, "utf8")).sort(Buffer.compare);
  // One restart point for the whole block, like pebble: it is read once, front to back.
  const b = new BlockBuilder(0x7fffffff, 4096);
  for (const name of names) b.add(name, null, m.get(name.toString("utf8"))!);
  return Buffer.from(b.finish());
}

/** Every property of a block, by name, in block order. Throws CorruptionError on bad entries or order. */
export function decodePropertyMap(block: Block, file: string): Map<string, Buffer> {
  const it = new BlockIter().init(block, { trailerLen: 0, deltaHandles: false, checkOrder: true }, file, "properties block");
  const out = new Map<string, Buffer>();
  for (let ok = it.first(); ok; ok = it.next()) out.set(it.userKey().toString("utf8"), Buffer.from(it.value()));
  return out;
}

/** A property decoded for people: numbers as numbers, text as text, anything else as hex. */
export function describeProperty(name: string, value: Buffer): number | string {
  if (FIXED32.has(name) && value.length === 4) return value.readUInt32LE(0);
  if (FIXED64.has(name) && value.length === 8) return Number(value.readBigUInt64LE(0));
  if (STRINGS.has(name) || !isStandardProperty(name)) return printable(value) ? value.toString("utf8") : `0x${value.toString("hex")}`;
  const n = decodeUvarintExact(value);
  return n ?? `0x${value.toString("hex")}`;
}

/** True when bytes are UTF-8 text without control characters (so they can be shown as they are). */
export function printable(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c < 0x20 || c === 0x7f) return false;
  }
  const s = b.toString("utf8");
  return !s.includes("\ufffd") || Buffer.from(s, "utf8").equals(b);
}

/** Reads a numeric standard property (varint), failing loudly when it is present but malformed. */
export function numericProperty(all: Map<string, Buffer>, name: string, file: string): number | undefined {
  const v = all.get(name);
  if (v === undefined) return undefined;
  if (FIXED32.has(name)) {
    if (v.length !== 4) throw new CorruptionError(file, `property ${name} is ${v.length} bytes, expected 4`);
    return v.readUInt32LE(0);
  }
  const n = decodeUvarintExact(v);
  if (n === undefined) throw new CorruptionError(file, `property ${name} is not a varint (0x${v.toString("hex")})`);
  return n;
}
