// Iteration over a whole table: an index cursor (single-level, or two-level: top-level index then a
// partition) yields data-block handles, and a BlockIter walks each data block.
import { CorruptionError, failedPrecondition } from "../errors";
import { Block, BlockIter, BlockLayout } from "./block";
import { KIND_SET } from "./format";

/** Positioned on nothing until first()/seekGE(). */
export interface TableIterator {
  /** True when positioned on an entry. */
  first(): boolean;
  /** Positions on the first entry whose key is >= key. */
  seekGE(key: Buffer): boolean;
  next(): boolean;
  /** The user key (trailer stripped): a fresh Buffer the caller may keep. */
  key(): Buffer;
  /** The value: a view of an immutable block, valid as long as the caller keeps it. */
  value(): Buffer;
  close(): void;
}

/** How an iterator reads blocks: scans read ahead and may skip filling the block cache; lookups read exactly. */
export interface ReadMode {
  readonly sequential: boolean;
  readonly fillCache: boolean;
}

/** A data block as stored in its file, checksum verified: what TableWriter.addRawBlock appends unchanged. */
export interface StoredDataBlock {
  /** The stored (maybe compressed) bytes, without the trailer. */
  body: Buffer;
  /** The compression type byte of the trailer. */
  compression: number;
  /** The 5-byte trailer when its checksum is a masked CRC-32C (the one Tarn writes), to copy as is. */
  crc32cTrailer: Buffer | undefined;
  /** Length of the block once decompressed. */
  contentsLength: number;
}

/** What an iterator needs from its reader. */
export interface BlockLoader {
  readonly name: string;
  readonly dataLayout: BlockLayout;
  readonly indexLayout: BlockLayout;
  readonly twoLevel: boolean;
  readonly topIndex: Block;
  loadBlock(offset: number, size: number, what: "data block" | "index partition", mode: ReadMode): Block;
  /** The stored bytes of a data block the iterator has loaded (read again, checksum verified). */
  storedBlock(offset: number, size: number, contentsLength: number): StoredDataBlock;
}

/**
 * An iterator that can also hand out whole data blocks, for a writer that copies the unchanged blocks of a
 * table into a new one instead of decoding and encoding every entry (see TableWriter.addRawBlock).
 */
export interface BlockCopyIterator extends TableIterator {
  /** True when positioned on the first entry of a data block. */
  atBlockStart(): boolean;
  /** An upper bound of the user keys of the current block (its index key): a view valid until the iterator moves. */
  blockBound(): Buffer;
  /**
   * The current block's entries without copies, starting on the current entry: walk them with next() (which
   * stops at the end of the block), then call nextBlock().
   */
  blockEntries(): BlockEntries;
  /** The current data block as stored. */
  storedBlock(): StoredDataBlock;
  /** Moves to the first entry of the next data block. */
  nextBlock(): boolean;
}

/** The entries of one data block, read in place. */
export interface BlockEntries {
  /** Moves to the next entry of this block; false past its last one. */
  next(): boolean;
  /** The current user key is key[0, userKeyLength). */
  readonly key: Buffer;
  readonly userKeyLength: number;
  /** The current value is data[valueOffset, valueOffset + valueLength). */
  readonly data: Buffer;
  readonly valueOffset: number;
  readonly valueLength: number;
}

/** BlockEntries over a data block's BlockIter: refuses anything but Set entries, as the iterator does. */
class DataBlockEntries implements BlockEntries {
  constructor(
    private readonly it: BlockIter,
    private readonly name: string,
  ) {}

  next(): boolean {
    if (!this.it.next()) return false;
    if (this.it.kind !== KIND_SET) throw new CorruptionError(this.name, `entry of kind ${this.it.kind} (seqnum ${this.it.seqnum}): Tarn tables hold only Set entries`);
    return true;
  }

  get key(): Buffer {
    return this.it.key;
  }

  get userKeyLength(): number {
    return this.it.keyLen - 8;
  }

  get data(): Buffer {
    return this.it.blockData;
  }

  get valueOffset(): number {
    return this.it.valueOffset;
  }

  get valueLength(): number {
    return this.it.valueLength;
  }
}

/** Walks the index, yielding data-block handles in order. */
class IndexCursor {
  private readonly top = new BlockIter();
  private readonly part = new BlockIter();

  constructor(
    private readonly t: BlockLoader,
    private readonly mode: ReadMode,
  ) {}

  /** The current data block handle (valid after a true return). */
  get offset(): number {
    return this.leaf().handleOffset;
  }
  get size(): number {
    return this.leaf().handleSize;
  }

  first(): boolean {
    this.top.init(this.t.topIndex, this.t.indexLayout, this.t.name, "index block");
    if (!this.top.first()) return false;
    if (!this.t.twoLevel) return this.decoded(this.top);
    return this.enterPartition(false, undefined);
  }

  seekGE(key: Buffer): boolean {
    this.top.init(this.t.topIndex, this.t.indexLayout, this.t.name, "index block");
    if (!this.top.seekGE(key)) return false;
    if (!this.t.twoLevel) return this.decoded(this.top);
    return this.enterPartition(true, key);
  }

  next(): boolean {
    if (!this.t.twoLevel) return this.top.next() && this.decoded(this.top);
    if (this.part.next()) return this.decoded(this.part);
    if (!this.top.next()) return false;
    return this.enterPartition(false, undefined);
  }

  /** The user key of the current index entry: an upper bound of the keys of the block it points at. */
  bound(): Buffer {
    const leaf = this.leaf();
    return leaf.key.subarray(0, leaf.keyLen - this.t.indexLayout.trailerLen);
  }

  private leaf(): BlockIter {
    return this.t.twoLevel ? this.part : this.top;
  }

  private decoded(it: BlockIter): true {
    it.decodeValueHandle();
    return true;
  }

  /** Opens the partition the top-level cursor points at; seeks in it or starts at its first entry. */
  private enterPartition(seek: boolean, key: Buffer | undefined): boolean {
    for (;;) {
      this.top.decodeValueHandle();
      const block = this.t.loadBlock(this.top.handleOffset, this.top.handleSize, "index partition", this.mode);
      this.part.init(block, this.t.indexLayout, this.t.name, `index partition at ${this.top.handleOffset}`);
      const ok = seek ? this.part.seekGE(key!) : this.part.first();
      if (ok) return this.decoded(this.part);
      if (!seek) throw new CorruptionError(this.t.name, `index partition at ${this.top.handleOffset} is empty`);
      // Every key in this partition is below `key`: the answer is the first entry of the next partition.
      if (!this.top.next()) return false;
      seek = false;
    }
  }
}

export class TableIteratorImpl implements BlockCopyIterator {
  private readonly index: IndexCursor;
  private readonly data = new BlockIter();
  private entries: DataBlockEntries | undefined;
  /** Decompressed length of the current data block. */
  private contentsLength = 0;
  private positioned = false;
  private closed = false;
  /** Last user key of the previous data block during a forward walk, to check order across blocks. */
  private prevLast: Buffer | undefined;

  constructor(
    private readonly t: BlockLoader,
    private readonly mode: ReadMode,
    /** For inspection tools: return entries of every kind instead of failing on anything but Set. */
    private readonly anyKind = false,
  ) {
    this.index = new IndexCursor(t, mode);
  }

  first(): boolean {
    this.checkOpen();
    this.prevLast = undefined;
    if (!this.index.first()) return this.stop();
    return this.enterBlock(false, undefined);
  }

  seekGE(key: Buffer): boolean {
    this.checkOpen();
    this.prevLast = undefined;
    if (!this.index.seekGE(key)) return this.stop();
    return this.enterBlock(true, key);
  }

  next(): boolean {
    this.checkOpen();
    if (!this.positioned) return false;
    if (this.data.next()) return this.found();
    this.prevLast = this.data.userKey();
    if (!this.index.next()) return this.stop();
    return this.enterBlock(false, undefined);
  }

  key(): Buffer {
    this.checkPositioned();
    return this.data.userKey();
  }

  value(): Buffer {
    this.checkPositioned();
    return this.data.value();
  }

  atBlockStart(): boolean {
    return this.positioned && this.data.atFirst;
  }

  blockBound(): Buffer {
    this.checkPositioned();
    return this.index.bound();
  }

  blockEntries(): BlockEntries {
    this.checkPositioned();
    if (this.t.dataLayout.trailerLen !== 8) throw failedPrecondition(`${this.t.name}: whole-block copies need internal keys`);
    return (this.entries ??= new DataBlockEntries(this.data, this.t.name));
  }

  storedBlock(): StoredDataBlock {
    this.checkPositioned();
    return this.t.storedBlock(this.index.offset, this.index.size, this.contentsLength);
  }

  nextBlock(): boolean {
    this.checkOpen();
    if (!this.positioned) return false;
    // The block's last key (it was walked to its end, or is being skipped whole) for the order check.
    this.prevLast = this.data.userKey();
    if (!this.index.next()) return this.stop();
    return this.enterBlock(false, undefined);
  }

  /** Compares the current key with target without copying it. */
  compareKey(target: Uint8Array): number {
    this.checkPositioned();
    return this.data.compareUserKey(target);
  }

  get kind(): number {
    return this.data.kind;
  }

  get seqnum(): number {
    return this.data.seqnum;
  }

  close(): void {
    this.closed = true;
    this.positioned = false;
  }

  private enterBlock(seek: boolean, key: Buffer | undefined): boolean {
    for (;;) {
      const offset = this.index.offset;
      const block = this.t.loadBlock(offset, this.index.size, "data block", this.mode);
      this.contentsLength = block.data.length;
      this.data.init(block, this.t.dataLayout, this.t.name, `data block at ${offset}`);
      const ok = seek ? this.data.seekGE(key!) : this.data.first();
      if (ok) {
        if (this.prevLast !== undefined && this.data.compareUserKey(this.prevLast) <= 0) {
          throw new CorruptionError(this.t.name, `data block at ${offset}: first key is not greater than the last key of the previous block (keys out of order)`);
        }
        return this.found();
      }
      // Past the end of this block (or an empty block): continue with the first entry of the next one.
      seek = false;
      if (!this.index.next()) return this.stop();
    }
  }

  private found(): boolean {
    if (!this.anyKind && this.data.kind !== KIND_SET) {
      throw new CorruptionError(this.t.name, `entry of kind ${this.data.kind} (seqnum ${this.data.seqnum}): Tarn tables hold only Set entries`);
    }
    this.positioned = true;
    return true;
  }

  private stop(): false {
    this.positioned = false;
    return false;
  }

  private checkOpen(): void {
    if (this.closed) throw failedPrecondition(`${this.t.name}: iterator used after close()`);
  }

  private checkPositioned(): void {
    if (!this.positioned) throw failedPrecondition(`${this.t.name}: iterator is not positioned on an entry`);
  }
}
