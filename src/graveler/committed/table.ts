// The only file that touches the SSTable codec: graveler's ranges and metaranges are RocksDB block-based tables
// written and read through src/sstable. Keeping it here means a change in that API is a change in one place.
import { BlockCache, BlockCopyIterator, RawBlock, TableReader, TableWriter } from "../../sstable";
import type { ValueIterator } from "./iterator";

/** An iterator that can also hand out its current data block whole, for rewriting a range around a few changes. */
export type CopyIterator = ValueIterator & BlockCopyIterator;

export type Compression = "snappy" | "none";

export interface TableOptions {
  compression: Compression;
  blockSize: number;
}

export interface OpenTable {
  /** `fillCache: false` for one-pass scans. */
  iterator(options?: { fillCache?: boolean }): ValueIterator;
  /** A one-pass iterator whose unchanged blocks a TableFileWriter can copy (addRawBlock). */
  copyIterator(): CopyIterator;
  get(key: Buffer): Buffer | undefined;
  userProperty(name: string): Buffer | undefined;
  close(): void;
}

export interface TableFileWriter {
  add(key: Buffer, value: Buffer): void;
  /** Whether addRawBlock takes blocks of this compression type. */
  acceptsRaw(compression: number): boolean;
  addRawBlock(block: RawBlock): void;
  setProperty(name: string, value: string | Buffer): void;
  finish(): void;
  abort(): void;
}

export function createTableFile(file: string, options: TableOptions): TableFileWriter {
  const writer = TableWriter.toFile(file, { compression: options.compression, blockSize: options.blockSize });
  return {
    add: (key, value) => writer.add(key, value),
    acceptsRaw: (compression) => writer.acceptsRaw(compression),
    addRawBlock: (block) => writer.addRawBlock(block),
    setProperty: (name, value) => writer.setUserProperty(name, typeof value === "string" ? Buffer.from(value) : value),
    finish: () => void writer.finish(),
    abort: () => writer.abort(),
  };
}

export function newBlockCache(bytes: number): BlockCache {
  return new BlockCache(bytes);
}

export function openTableFile(file: string, name: string, cache: BlockCache): OpenTable {
  const reader = TableReader.openFile(file, { cache, name });
  return {
    iterator: (options) => reader.iterator(options) as ValueIterator,
    copyIterator: () => reader.copyIterator() as CopyIterator,
    get: (key) => reader.get(key) ?? undefined,
    userProperty: (name) => reader.properties.user.get(name),
    close: () => (reader as { close?: () => void }).close?.(),
  };
}

export type { BlockCache, RawBlock };
