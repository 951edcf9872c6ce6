// The SSTable codec: RocksDB block-based tables (format_version 2, as pebble writes them for lakeFS), the
// format of committed ranges, metaranges and Raft snapshots. format.ts draws the file layout.
//
//   const w = TableWriter.toFile(path, { userProperties: { type: "ranges" } });
//   for (const [k, v] of sorted) w.add(k, v);          // strictly increasing keys, else INVALID_ARGUMENT
//   const { size, entries } = w.finish();              // fsynced
//
//   const r = TableReader.openFile(path, { cache });   // checks footer, metaindex, properties, index
//   r.get(key); const it = r.iterator(); for (let ok = it.seekGE(k); ok; ok = it.next()) it.key(), it.value();
//
// Every read is synchronous. Damaged bytes throw CorruptionError (src/errors.ts) naming the file and the
// problem; nothing is returned from a block whose checksum does not match.
export { TableWriter } from "./writer";
export type { TableWriterOptions, WrittenTable, RawBlock } from "./writer";
export { TableReader } from "./reader";
export type { TableProperties, TableReaderOptions } from "./reader";
export type { TableIterator, BlockCopyIterator, BlockEntries, StoredDataBlock } from "./iterator";
export { BlockCache } from "./cache";
export { describeTable, renderDescription } from "./describe";
export type { TableDescription, DescribeOptions, Bytes } from "./describe";
