// The SSTable codec: RocksDB block-based tables (format_version 2, as pebble writes them for lakeFS), the
// format of committed ranges, metaranges and Raft snapshots. See format.ts for the file layout.
export { TableWriter } from "./writer";
export type { TableWriterOptions, WrittenTable } from "./writer";
export { TableReader } from "./reader";
export type { TableProperties, TableReaderOptions } from "./reader";
export type { TableIterator } from "./iterator";
export { BlockCache } from "./cache";
export { describeTable, renderDescription } from "./describe";
export type { TableDescription, DescribeOptions, Bytes } from "./describe";
