// TableWriter: streams a sorted sequence of entries into a RocksDB block-based table (format_version 2, as
// pebble writes for lakeFS). Memory holds one data block, the index, and a 1 MiB write buffer.
import { invalidArgument, failedPrecondition } from "../errors";
import { BlockBuilder } from "./block-builder";
import { compressBlock, crc32cTrailer } from "./block-io";
import type { StoredDataBlock } from "./iterator";
import { encodeFooter } from "./footer";
import {
  BLOCK_TRAILER_SIZE,
  ChecksumType,
  CompressionType,
  PROPERTIES_BLOCK_NAME,
  SEPARATOR_TRAILER,
  SET_TRAILER,
  TRAILER_SIZE,
  WRITE_FORMAT_VERSION,
} from "./format";
import { BlockHandle, encodeHandle, putHandle } from "./handle";
import { shortSeparator, shortSuccessor } from "./keys";
import { encodeProperties, isStandardProperty } from "./properties";
import { FileSink, MemorySink, Sink } from "./sink";

export interface TableWriterOptions {
  /** Target size of a data block before compression, default 4096. */
  blockSize?: number;
  /** Entries between restart points (keys stored whole) in data blocks, default 16. */
  blockRestartInterval?: number;
  /** Block compression, default "snappy". */
  compression?: "snappy" | "none";
  /** The index is split into partitions of about this size (a two-level index) once it outgrows it. Default 256 KiB. */
  indexBlockSize?: number;
  userProperties?: Record<string, string | Buffer>;
}

export interface WrittenTable {
  size: number;
  entries: number;
  firstKey?: Buffer;
  lastKey?: Buffer;
  /** The table's bytes, only for TableWriter.inMemory(). */
  bytes?: Buffer;
}

const DEFAULT_BLOCK_SIZE = 4096;
const DEFAULT_RESTART_INTERVAL = 16;
const DEFAULT_INDEX_BLOCK_SIZE = 256 * 1024;
/** A block is cut early once it is this full (percent) and the next entry would overflow it (pebble's default). */
const BLOCK_SIZE_THRESHOLD = 90;

interface Partition {
  block: Buffer;
  /** The last separator in the partition (user key + trailer): the partition's key in the top-level index. */
  lastKey: Buffer;
  lastTrailer: Buffer;
}

/** A data block copied whole from another table (TableWriter.addRawBlock): its stored form and what it holds. */
export interface RawBlock extends StoredDataBlock {
  /** Its first and last user keys. */
  firstKey: Buffer;
  lastKey: Buffer;
  entries: number;
  /** Sums of the lengths of its user keys and of its values. */
  keyBytes: number;
  valueBytes: number;
}

type State = "open" | "finished" | "aborted";

export class TableWriter {
  static toFile(path: string, options?: TableWriterOptions): TableWriter {
    const opts = normalize(options); // validate before creating the file
    return new TableWriter(new FileSink(path), opts, path);
  }

  static inMemory(options?: TableWriterOptions): TableWriter {
    return new TableWriter(new MemorySink(), normalize(options), "in-memory table");
  }

  private state: State = "open";
  private readonly data: BlockBuilder;
  private index = new BlockBuilder(1, 16 * 1024);
  private readonly partitions: Partition[] = [];
  private partitionsSize = 0;
  private readonly trailer = Buffer.allocUnsafe(BLOCK_TRAILER_SIZE);
  private readonly handleScratch = Buffer.allocUnsafe(20);
  private readonly user = new Map<string, Buffer>();

  /** The last key added, in lastKey[0, lastKeyLen). */
  private lastKey = Buffer.allocUnsafe(256);
  private lastKeyLen = 0;
  private firstKey: Buffer | undefined;
  /** A data block already written whose index entry waits for the next key (a raw block's separator needs it). */
  private unindexed: BlockHandle | undefined;
  /** The last separator added to the current index partition. */
  private lastSep: Buffer = Buffer.alloc(0);
  private lastSepTrailer: Buffer = SET_TRAILER;

  private entries = 0;
  private rawKeySize = 0;
  private rawValueSize = 0;
  private numDataBlocks = 0;
  /** Data block bytes before and after compression (with trailers), for estimatedSize(). */
  private rawDataBytes = 0;
  private storedDataBytes = 0;
  private maxEstimate = 0;

  private constructor(
    private readonly sink: Sink,
    private readonly opts: Required<Omit<TableWriterOptions, "userProperties">> & { userProperties?: TableWriterOptions["userProperties"] },
    private readonly name: string,
  ) {
    this.data = new BlockBuilder(opts.blockRestartInterval, opts.blockSize * 2);
    for (const [k, v] of Object.entries(opts.userProperties ?? {})) this.setUserProperty(k, v);
  }

  private get compression(): CompressionType {
    return this.opts.compression === "snappy" ? CompressionType.Snappy : CompressionType.None;
  }

  /** Adds an entry. User keys must be strictly increasing (bytewise). */
  add(key: Buffer, value: Buffer): void {
    this.checkOpen("add");
    if (!(key instanceof Uint8Array) || !(value instanceof Uint8Array)) throw invalidArgument(`${this.name}: keys and values must be Buffers`);
    // One pass finds where the key departs from the previous one: it decides the order, and the bytes before
    // it need not be copied again when the key is remembered.
    const last = this.lastKey;
    const lastLen = this.lastKeyLen;
    const common = Math.min(key.length, lastLen);
    let same = 0;
    while (same < common && key[same] === last[same]) same++;
    if (this.entries > 0 && (same === key.length || (same < lastLen && key[same] < last[same]))) {
      throw invalidArgument(`${this.name}: keys must be added in strictly increasing order: ${show(key)} after ${show(last.subarray(0, lastLen))}`);
    }
    const klen = key.length + TRAILER_SIZE;
    if (this.unindexed) this.indexUnindexed(key);
    else if (!this.data.empty && this.shouldFlush(klen, value.length)) {
      try {
        this.flushDataBlock(key);
      } catch (err) {
        this.abort(); // a failed write (disk full, ...) leaves nothing half-written behind
        throw err;
      }
    }
    this.data.add(key, SET_TRAILER, value);
    if (this.entries === 0) this.firstKey = Buffer.from(key);
    this.rememberLastKey(key, same);
    this.entries++;
    this.rawKeySize += klen;
    this.rawValueSize += value.length;
  }

  /**
   * Appends a data block of another table unchanged, as its stored bytes: what adding its entries one by one
   * would give, without decoding, encoding, compressing or checksumming them again (the block keeps its own
   * restart interval and boundaries, and the block being built before it is cut short). Its keys must follow
   * every key added so far; its compression must be none or this table's. A CRC-32C trailer is copied, any
   * other checksum is recomputed as CRC-32C.
   */
  addRawBlock(block: RawBlock): void {
    this.checkOpen("addRawBlock");
    if (block.entries < 1) throw invalidArgument(`${this.name}: a raw block must hold entries`);
    if (!this.acceptsRaw(block.compression)) {
      throw invalidArgument(`${this.name}: cannot copy a block of compression type ${block.compression} into a table written with ${this.opts.compression}`);
    }
    const last = this.lastKey.subarray(0, this.lastKeyLen);
    if (this.entries > 0 && Buffer.compare(block.firstKey, last) <= 0) {
      throw invalidArgument(`${this.name}: keys must be added in strictly increasing order: raw block from ${show(block.firstKey)} after ${show(last)}`);
    }
    try {
      if (this.unindexed) this.indexUnindexed(block.firstKey);
      else if (!this.data.empty) this.flushDataBlock(block.firstKey);
      const offset = this.sink.offset;
      this.sink.write(block.body);
      this.sink.write(block.crc32cTrailer ?? crc32cTrailer(block.body, block.compression, this.trailer));
      this.unindexed = { offset, size: block.body.length };
    } catch (err) {
      this.abort();
      throw err;
    }
    this.numDataBlocks++;
    this.rawDataBytes += block.contentsLength;
    this.storedDataBytes += block.body.length + BLOCK_TRAILER_SIZE;
    if (this.entries === 0) this.firstKey = Buffer.from(block.firstKey);
    this.rememberLastKey(block.lastKey, 0);
    this.entries += block.entries;
    this.rawKeySize += block.keyBytes + TRAILER_SIZE * block.entries;
    this.rawValueSize += block.valueBytes;
  }

  /** Whether addRawBlock takes a block of this compression type: none, or this table's. */
  acceptsRaw(compression: number): boolean {
    return compression === CompressionType.None || compression === this.compression;
  }

  /** Indexes the block written last under a short separator between its last key and `next`. */
  private indexUnindexed(next: Buffer): void {
    const h = this.unindexed!;
    this.unindexed = undefined;
    const last = this.lastKey.subarray(0, this.lastKeyLen);
    const sep = shortSeparator(last, next);
    if (sep) this.addIndexEntry(sep, SEPARATOR_TRAILER, h);
    else this.addIndexEntry(Buffer.from(last), SET_TRAILER, h);
  }

  /**
   * Bytes written so far plus the pending data block (scaled by the compression ratio seen so far) and the
   * index: about what the table would take if finished now. Never decreases.
   */
  estimatedSize(): number {
    const ratio = this.rawDataBytes > 0 ? this.storedDataBytes / this.rawDataBytes : 1;
    const estimate = Math.round(this.sink.offset + this.data.estimatedSize() * ratio + this.partitionsSize + this.index.estimatedSize());
    if (estimate > this.maxEstimate) this.maxEstimate = estimate;
    return this.maxEstimate;
  }

  setUserProperty(name: string, value: string | Buffer): void {
    this.checkOpen("setUserProperty");
    if (typeof name !== "string" || name.length === 0) throw invalidArgument(`${this.name}: a user property needs a non-empty name`);
    if (isStandardProperty(name)) throw invalidArgument(`${this.name}: user property name '${name}' is reserved (rocksdb.* and pebble.* belong to the format)`);
    this.user.set(name, typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.from(value));
  }

  /** Writes the index, properties, metaindex and footer; fsyncs a file. The writer cannot be used afterwards. */
  finish(): WrittenTable {
    this.checkOpen("finish");
    try {
      const written = this.writeTail();
      this.state = "finished";
      return written;
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /** Abandons the table; removes a partial file. Safe to call more than once. */
  abort(): void {
    if (this.state !== "open") return;
    this.state = "aborted";
    this.sink.abort();
  }

  private writeTail(): WrittenTable {
    const last = this.lastKey.subarray(0, this.lastKeyLen);
    // The last data block (an empty one when the table is empty, so the index is never empty).
    if (this.unindexed) {
      const h = this.unindexed;
      this.unindexed = undefined;
      const succ = shortSuccessor(last);
      if (succ) this.addIndexEntry(succ, SEPARATOR_TRAILER, h);
      else this.addIndexEntry(Buffer.from(last), SET_TRAILER, h);
    } else if (!this.data.empty || this.numDataBlocks === 0) {
      const h = this.writeBlock(this.data.finish(), this.compression);
      this.numDataBlocks++;
      const succ = this.entries > 0 ? shortSuccessor(last) : undefined;
      if (succ) this.addIndexEntry(succ, SEPARATOR_TRAILER, h);
      else this.addIndexEntry(Buffer.from(last), SET_TRAILER, h);
    }
    const dataSize = this.sink.offset;

    let indexHandle: BlockHandle;
    let indexSize: number;
    let topLevelIndexSize = 0;
    if (this.partitions.length === 0) {
      const raw = this.index.finish();
      indexSize = raw.length + BLOCK_TRAILER_SIZE;
      indexHandle = this.writeBlock(raw, this.compression);
    } else {
      this.cutPartition();
      const top = new BlockBuilder(1, 4096);
      indexSize = 0;
      for (const p of this.partitions) {
        const h = this.writeBlock(p.block, this.compression);
        indexSize += p.block.length;
        top.add(p.lastKey, p.lastTrailer, encodeHandle(h));
      }
      const raw = top.finish();
      topLevelIndexSize = raw.length;
      indexSize += topLevelIndexSize + BLOCK_TRAILER_SIZE; // RocksDB counts the top level's trailer, not the partitions'
      indexHandle = this.writeBlock(raw, this.compression);
    }

    const props = encodeProperties(
      {
        compression: this.opts.compression,
        dataSize,
        indexSize,
        indexPartitions: this.partitions.length,
        topLevelIndexSize,
        numDataBlocks: this.numDataBlocks,
        numEntries: this.entries,
        rawKeySize: this.rawKeySize,
        rawValueSize: this.rawValueSize,
      },
      this.user,
    );
    // RocksDB expects meta blocks uncompressed.
    const propsHandle = this.writeBlock(props, CompressionType.None);
    const meta = new BlockBuilder(1, 256);
    meta.add(Buffer.from(PROPERTIES_BLOCK_NAME), null, encodeHandle(propsHandle));
    const metaHandle = this.writeBlock(meta.finish(), CompressionType.None);
    this.sink.write(encodeFooter({ formatVersion: WRITE_FORMAT_VERSION, checksumType: ChecksumType.Crc32c, metaindex: metaHandle, index: indexHandle }));

    const size = this.sink.offset;
    const bytes = this.sink.finish();
    const out: WrittenTable = { size, entries: this.entries };
    if (this.firstKey) out.firstKey = this.firstKey;
    if (this.entries > 0) out.lastKey = Buffer.from(last);
    if (bytes) out.bytes = bytes;
    return out;
  }

  /** pebble's flush policy: cut at the target size, or earlier when nearly full and the next entry would overflow. */
  private shouldFlush(klen: number, vlen: number): boolean {
    const size = this.data.estimatedSize();
    const target = this.opts.blockSize;
    if (size >= target) return true;
    if (size * 100 <= target * BLOCK_SIZE_THRESHOLD) return false;
    return size + klen + vlen + 4 + 15 > target;
  }

  /** Writes the pending data block and indexes it under a short separator between its last key and `next`. */
  private flushDataBlock(next: Buffer): void {
    const raw = this.data.finish();
    const h = this.writeBlock(raw, this.compression);
    this.rawDataBytes += raw.length;
    this.storedDataBytes += h.size + BLOCK_TRAILER_SIZE;
    this.data.reset();
    this.numDataBlocks++;
    const last = this.lastKey.subarray(0, this.lastKeyLen);
    const sep = shortSeparator(last, next);
    if (sep) this.addIndexEntry(sep, SEPARATOR_TRAILER, h);
    else this.addIndexEntry(Buffer.from(last), SET_TRAILER, h);
  }

  private addIndexEntry(userKey: Buffer, trailer: Buffer, h: BlockHandle): void {
    const n = putHandle(this.handleScratch, 0, h);
    if (!this.index.empty && this.index.estimatedSize() + userKey.length + TRAILER_SIZE + n + 8 > this.opts.indexBlockSize) {
      this.cutPartition();
    }
    this.index.add(userKey, trailer, this.handleScratch.subarray(0, n));
    this.lastSep = userKey;
    this.lastSepTrailer = trailer;
  }

  private cutPartition(): void {
    if (this.index.empty) return;
    const block = Buffer.from(this.index.finish());
    this.partitions.push({ block, lastKey: this.lastSep, lastTrailer: this.lastSepTrailer });
    this.partitionsSize += block.length + BLOCK_TRAILER_SIZE;
    this.index.reset();
  }

  private writeBlock(raw: Uint8Array, compression: CompressionType): BlockHandle {
    const { body, trailer } = compressBlock(raw, compression, this.trailer);
    const offset = this.sink.offset;
    this.sink.write(body);
    this.sink.write(trailer);
    return { offset, size: body.length };
  }

  /** Keeps a copy of key; its first `same` bytes are already there. */
  private rememberLastKey(key: Buffer, same: number): void {
    const n = key.length;
    if (this.lastKey.length < n) {
      const grown = Buffer.allocUnsafe(Math.max(n, this.lastKey.length * 2));
      this.lastKey.copy(grown, 0, 0, same);
      this.lastKey = grown;
    }
    const last = this.lastKey;
    if (n - same > 64) key.copy(last, same, same, n);
    else for (let i = same; i < n; i++) last[i] = key[i];
    this.lastKeyLen = n;
  }

  private checkOpen(op: string): void {
    if (this.state !== "open") throw failedPrecondition(`${this.name}: ${op} after the writer was ${this.state}`);
  }
}

function normalize(o: TableWriterOptions | undefined) {
  const blockSize = o?.blockSize ?? DEFAULT_BLOCK_SIZE;
  const blockRestartInterval = o?.blockRestartInterval ?? DEFAULT_RESTART_INTERVAL;
  const indexBlockSize = o?.indexBlockSize ?? DEFAULT_INDEX_BLOCK_SIZE;
  const compression = o?.compression ?? "snappy";
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1 || v > 0x7fffffff) throw invalidArgument(`table writer option ${name} must be a positive integer, not ${v}`);
  };
  positiveInt("blockSize", blockSize);
  positiveInt("blockRestartInterval", blockRestartInterval);
  positiveInt("indexBlockSize", indexBlockSize);
  if (compression !== "snappy" && compression !== "none") throw invalidArgument(`table writer option compression must be 'snappy' or 'none', not '${compression}'`);
  return { blockSize, blockRestartInterval, indexBlockSize, compression, userProperties: o?.userProperties };
}

function show(key: Uint8Array): string {
  const b = Buffer.from(key.subarray(0, 64));
  const text = /^[\x20-\x7e]*$/.test(b.toString("latin1")) ? JSON.stringify(b.toString("latin1")) : `0x${b.toString("hex")}`;
  return key.length > 64 ? `${text}...` : text;
}

