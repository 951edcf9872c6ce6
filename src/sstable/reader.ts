// TableReader: opens a block-based table (ours, pebble's, or RocksDB's up to format_version 5), verifies its
// footer, metaindex, properties and index up front, and serves point lookups and iterators. All reads are
// synchronous: tables live on local disk (the engine caches object-store files there) or in memory.
import { CorruptionError, failedPrecondition } from "../errors";
import { Block, BlockIter, BlockLayout, parseBlock } from "./block";
import { openBlock, verifyBlock } from "./block-io";
import { BlockCache, CacheShard } from "./cache";
import { Decoder } from "./coding";
import { Footer, parseFooter } from "./footer";
import { BLOCK_TRAILER_SIZE, ChecksumType, FOOTER_SIZE, IndexType, PROPERTIES_BLOCK_NAME } from "./format";
import { BlockHandle, decodeHandle, formatHandle, handleWithin } from "./handle";
import { BlockCopyIterator, BlockLoader, ReadMode, StoredDataBlock, TableIterator, TableIteratorImpl } from "./iterator";
import { decodePropertyMap, isStandardProperty, numericProperty, PROP } from "./properties";
import { BufferSource, FileSource, Source } from "./source";

export interface TableProperties {
  numEntries: number;
  dataSize: number;
  indexSize: number;
  rawKeySize: number;
  rawValueSize: number;
  numDataBlocks: number;
  compression: string;
  /** The footer's format_version (Tarn writes 2). */
  formatVersion: number;
  indexType: "binary" | "two-level";
  /** Properties outside the rocksdb.* / pebble.* names. */
  user: Map<string, Buffer>;
  /** Every property as stored. */
  all: Map<string, Buffer>;
}

const LOOKUP: ReadMode = { sequential: false, fillCache: true };
const SCAN: ReadMode = { sequential: true, fillCache: true };
const SCAN_NO_FILL: ReadMode = { sequential: true, fillCache: false };

export interface TableReaderOptions {
  cache?: BlockCache;
}

export class TableReader implements BlockLoader {
  static openFile(path: string, options?: TableReaderOptions & { name?: string }): TableReader {
    const source = new FileSource(path);
    try {
      return new TableReader(source, options?.name ?? path, options?.cache);
    } catch (err) {
      source.close();
      throw err;
    }
  }

  static fromBuffer(bytes: Buffer, name: string, options?: TableReaderOptions): TableReader {
    return new TableReader(new BufferSource(bytes, name), name, options?.cache);
  }

  readonly properties: TableProperties;
  readonly footer: Footer;
  /** Meta block name -> handle. */
  readonly metaindex: Map<string, BlockHandle>;
  /** The single-level index block, or the top level of a two-level index (kept for the reader's life). */
  readonly topIndex: Block;
  readonly twoLevel: boolean;
  readonly dataLayout: BlockLayout = { trailerLen: 8, deltaHandles: false, checkOrder: true };
  readonly indexLayout: BlockLayout;
  /** Blocks live in [0, blocksEnd): everything before the footer. */
  private readonly blocksEnd: number;
  private readonly cache: CacheShard | undefined;
  private lookup: TableIteratorImpl | undefined;
  private readonly pinnedPartitions = new Map<number, { size: number; block: Block }>();
  private closed = false;
  /** The stored bytes of the data block read from the source last (verified), for storedBlock(). */
  private lastVerified: { offset: number; stored: Buffer } | undefined;

  private constructor(
    private readonly source: Source,
    readonly name: string,
    cache: BlockCache | undefined,
  ) {
    this.cache = cache?.newShard();
    const tailLen = Math.min(source.size, FOOTER_SIZE);
    this.footer = parseFooter(source.read(source.size - tailLen, tailLen, false), source.size, name);
    this.blocksEnd = source.size - this.footer.length;

    this.metaindex = this.readMetaindex();
    const all = this.readProperties();
    this.properties = this.typedProperties(all);

    const indexType = numericProperty(all, PROP.indexType, name) ?? IndexType.BinarySearch;
    if (indexType !== IndexType.BinarySearch && indexType !== IndexType.HashSearch && indexType !== IndexType.TwoLevel) {
      throw new CorruptionError(name, `unsupported index type ${indexType} (rocksdb.block.based.table.index.type); Tarn reads binary-search and two-level indexes`);
    }
    this.twoLevel = indexType === IndexType.TwoLevel;
    this.indexLayout = {
      trailerLen: numericProperty(all, PROP.indexKeyIsUserKey, name) ? 0 : 8,
      deltaHandles: !!numericProperty(all, PROP.indexValueIsDeltaEncoded, name),
      checkOrder: false,
    };
    this.topIndex = this.readMetaBlock(this.footer.index, "index block");
    this.verifyTopIndex();
  }

  get size(): number {
    return this.source.size;
  }

  /** The value stored under key, or undefined. */
  get(key: Buffer): Buffer | undefined {
    this.checkOpen();
    // One reusable cursor for lookups: readers are used from one thread, synchronously.
    const it = (this.lookup ??= new TableIteratorImpl(this, LOOKUP));
    if (!it.seekGE(key)) return undefined;
    return it.compareKey(key) === 0 ? it.value() : undefined;
  }

  /**
   * An iterator over every entry. With `fillCache: false` a scan uses blocks already cached but does not add
   * the ones it reads (a one-pass walk over a whole table should not push out the blocks lookups need).
   */
  iterator(options?: { fillCache?: boolean }): TableIterator {
    this.checkOpen();
    return new TableIteratorImpl(this, options?.fillCache === false ? SCAN_NO_FILL : SCAN);
  }

  /** An iterator that can also hand out whole data blocks (a one-pass scan: it does not fill the cache). */
  copyIterator(): BlockCopyIterator {
    this.checkOpen();
    return new TableIteratorImpl(this, SCAN_NO_FILL);
  }

  /** An iterator that also exposes entry kinds and sequence numbers (for inspection tools). */
  rawIterator(): TableIteratorImpl {
    this.checkOpen();
    return new TableIteratorImpl(this, SCAN_NO_FILL, true);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.source.close();
    this.cache?.clear();
    this.pinnedPartitions.clear();
  }

  /** Reads, verifies and parses a data block or index partition, through the cache when there is one. */
  loadBlock(offset: number, size: number, what: "data block" | "index partition", mode: ReadMode): Block {
    this.checkOpen();
    if (this.cache) {
      const hit = this.cache.get(offset, size);
      if (hit) return hit;
    } else if (what === "index partition") {
      // Without a cache, partitions stay once read: together they are no bigger than a single-level index.
      const pinned = this.pinnedPartitions.get(offset);
      if (pinned && pinned.size === size) return pinned.block;
    }
    const h = { offset, size };
    const where = `${what} at ${h.offset}`;
    if (!handleWithin(h, this.blocksEnd)) {
      throw new CorruptionError(this.name, `${where}: handle ${formatHandle(h)} points outside the file's ${this.blocksEnd} bytes of blocks`);
    }
    const stored = this.source.read(h.offset, h.size + BLOCK_TRAILER_SIZE, mode.sequential);
    let contents = openBlock(stored, h.size, this.footer.checksumType, this.name, where);
    if (what === "data block") this.lastVerified = { offset: h.offset, stored };
    // An uncompressed block read through the read-ahead window is a view of 512 KiB: copy what we keep.
    const cacheIt = this.cache !== undefined && mode.fillCache;
    const pinIt = this.cache === undefined && what === "index partition";
    if ((cacheIt || pinIt) && this.source.windowed && mode.sequential && contents.buffer === stored.buffer) contents = Buffer.from(contents);
    const block = parseBlock(contents, this.name, where);
    if (cacheIt) this.cache!.set(h.offset, h.size, block);
    else if (pinIt) this.pinnedPartitions.set(h.offset, { size: h.size, block });
    return block;
  }

  /** A data block's stored bytes, read again and verified, for a writer that copies it whole. */
  storedBlock(offset: number, size: number, contentsLength: number): StoredDataBlock {
    this.checkOpen();
    const where = `data block at ${offset}`;
    if (!handleWithin({ offset, size }, this.blocksEnd)) throw new CorruptionError(this.name, `${where}: handle ${formatHandle({ offset, size })} points outside the file's ${this.blocksEnd} bytes of blocks`);
    let stored: Buffer;
    const last = this.lastVerified;
    if (last && last.offset === offset && last.stored.length === size + BLOCK_TRAILER_SIZE) {
      stored = last.stored; // the bytes the iterator's block was just decoded from, checksum verified then
    } else {
      stored = this.source.read(offset, size + BLOCK_TRAILER_SIZE, true);
      verifyBlock(stored, size, this.footer.checksumType, this.name, where);
    }
    const crc32c = this.footer.checksumType === ChecksumType.Crc32c;
    return { body: stored.subarray(0, size), compression: stored[size], crc32cTrailer: crc32c ? stored.subarray(size, size + BLOCK_TRAILER_SIZE) : undefined, contentsLength };
  }

  /** Entries of the top-level index: (key, handle), for inspection. */
  indexEntries(): { key: Buffer; handle: BlockHandle }[] {
    const it = new BlockIter().init(this.topIndex, this.indexLayout, this.name, "index block");
    const out: { key: Buffer; handle: BlockHandle }[] = [];
    for (let ok = it.first(); ok; ok = it.next()) {
      it.decodeValueHandle();
      out.push({ key: Buffer.from(it.key.subarray(0, it.keyLen)), handle: { offset: it.handleOffset, size: it.handleSize } });
    }
    return out;
  }

  /** Handles of every data block, in order (walks a two-level index's partitions). */
  dataBlocks(): BlockHandle[] {
    const out: BlockHandle[] = [];
    for (const top of this.indexEntries()) {
      if (!this.twoLevel) {
        out.push(top.handle);
        continue;
      }
      const part = new BlockIter().init(this.loadBlock(top.handle.offset, top.handle.size, "index partition", LOOKUP), this.indexLayout, this.name, `index partition at ${top.handle.offset}`);
      for (let ok = part.first(); ok; ok = part.next()) {
        part.decodeValueHandle();
        out.push({ offset: part.handleOffset, size: part.handleSize });
      }
    }
    return out;
  }

  private readMetaBlock(h: BlockHandle, what: string): Block {
    if (!handleWithin(h, this.blocksEnd)) {
      throw new CorruptionError(this.name, `${what} handle ${formatHandle(h)} points outside the file's ${this.blocksEnd} bytes of blocks`);
    }
    const stored = this.source.read(h.offset, h.size + BLOCK_TRAILER_SIZE, false);
    return parseBlock(openBlock(stored, h.size, this.footer.checksumType, this.name, `${what} at ${h.offset}`), this.name, `${what} at ${h.offset}`);
  }

  private readMetaindex(): Map<string, BlockHandle> {
    const block = this.readMetaBlock(this.footer.metaindex, "metaindex block");
    const it = new BlockIter().init(block, { trailerLen: 0, deltaHandles: false, checkOrder: true }, this.name, "metaindex block");
    const out = new Map<string, BlockHandle>();
    for (let ok = it.first(); ok; ok = it.next()) {
      const name = it.userKey().toString("latin1");
      const d = new Decoder(it.blockData, it.valueOffset, it.valueOffset + it.valueLength, this.name, `metaindex entry ${name}`);
      const h = decodeHandle(d);
      if (!handleWithin(h, this.blocksEnd)) throw new CorruptionError(this.name, `metaindex entry ${name}: handle ${formatHandle(h)} points outside the file`);
      out.set(name, h);
    }
    return out;
  }

  private readProperties(): Map<string, Buffer> {
    const h = this.metaindex.get(PROPERTIES_BLOCK_NAME);
    if (h === undefined) {
      // LevelDB-format tables have no properties block; every RocksDB-format table does.
      if (this.footer.formatVersion === 0) return new Map();
      throw new CorruptionError(this.name, `metaindex has no ${PROPERTIES_BLOCK_NAME} block`);
    }
    return decodePropertyMap(this.readMetaBlock(h, "properties block"), this.name);
  }

  private typedProperties(all: Map<string, Buffer>): TableProperties {
    const num = (name: string) => numericProperty(all, name, this.name) ?? 0;
    const user = new Map<string, Buffer>();
    for (const [k, v] of all) if (!isStandardProperty(k)) user.set(k, v);
    return {
      numEntries: num(PROP.numEntries),
      dataSize: num(PROP.dataSize),
      indexSize: num(PROP.indexSize),
      rawKeySize: num(PROP.rawKeySize),
      rawValueSize: num(PROP.rawValueSize),
      numDataBlocks: num(PROP.numDataBlocks),
      compression: all.get(PROP.compression)?.toString("utf8") ?? "unknown",
      formatVersion: this.footer.formatVersion,
      indexType: numericProperty(all, PROP.indexType, this.name) === IndexType.TwoLevel ? "two-level" : "binary",
      user,
      all,
    };
  }

  /** Walks the (top-level) index once: every handle must point inside the file, in increasing order. */
  private verifyTopIndex(): void {
    const it = new BlockIter().init(this.topIndex, this.indexLayout, this.name, "index block");
    let end = 0;
    let n = 0;
    for (let ok = it.first(); ok; ok = it.next()) {
      it.decodeValueHandle();
      const h = { offset: it.handleOffset, size: it.handleSize };
      if (!handleWithin(h, this.blocksEnd) || h.offset < end) {
        throw new CorruptionError(this.name, `index block: entry ${n} has handle ${formatHandle(h)} outside the file or out of order`);
      }
      end = h.offset + h.size + BLOCK_TRAILER_SIZE;
      n++;
    }
    if (n === 0) throw new CorruptionError(this.name, "index block is empty");
  }

  private checkOpen(): void {
    if (this.closed) throw failedPrecondition(`${this.name}: table reader is closed`);
  }
}
