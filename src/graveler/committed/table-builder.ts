// Writes one content-addressed table (a range or a metarange): records go to a temporary file and into a
// SHA-256; `finish` names the table by that hash and hands the file to the store under its ID.
//
// ID = hex SHA-256 over "type" | for each record: u32be(len(key)) key u32be(len(value)) value.
// The table's other identifying properties (min/max key, count) follow from the records, so identical content
// gives an identical ID, whatever the repository or the moment it was written.
import { createHash, Hash } from "node:crypto";
import { createTableFile, RawBlock, TableFileWriter, TableOptions } from "./table";

export type TableType = "ranges" | "metaranges";

export interface TableSink {
  /** A fresh temporary file path to write a table into. */
  temporaryFile(): string;
  /** Takes ownership of a finished temporary file whose content hashes to `id`. */
  adopt(temporaryFile: string, id: string): void;
  options: TableOptions;
}

const SCRATCH = 64 * 1024;

export class TableBuilder {
  private readonly file: string;
  private readonly writer: TableFileWriter;
  private readonly hash: Hash;
  private scratch = Buffer.allocUnsafe(SCRATCH);
  private used = 0;
  count = 0;
  estimatedSize = 0;
  minKey: Buffer | undefined;
  maxKey: Buffer | undefined;

  constructor(
    private readonly sink: TableSink,
    private readonly type: TableType,
  ) {
    this.file = sink.temporaryFile();
    this.writer = createTableFile(this.file, sink.options);
    this.hash = createHash("sha256").update(type);
  }

  add(key: Buffer, value: Buffer): void {
    this.writer.add(key, value);
    const need = 8 + key.length + value.length;
    if (this.used + need > SCRATCH) this.flushHash();
    if (need > SCRATCH) {
      const len = Buffer.allocUnsafe(4);
      len.writeUInt32BE(key.length);
      this.hash.update(len).update(key);
      const vlen = Buffer.allocUnsafe(4);
      vlen.writeUInt32BE(value.length);
      this.hash.update(vlen).update(value);
    } else {
      this.putRecord(key, key.length, value, 0, value.length);
    }
    // Keys are fresh Buffers nobody mutates (the SSTable iterator and the key-value store hand out copies).
    if (this.count === 0) this.minKey = key;
    this.maxKey = key;
    this.count++;
    this.estimatedSize += key.length + value.length;
  }

  /** Whether addBlock can take a block of this compression type. */
  acceptsBlock(compression: number): boolean {
    return this.writer.acceptsRaw(compression);
  }

  /**
   * Starts a whole block: its records are hashed into the scratch buffer only, so that `abandonBlock` can take
   * them back until `addBlock` commits them.
   */
  beginBlock(): void {
    this.flushHash();
  }

  /** Hashes the record key[0, keyLength) → data[valueOffset, + valueLength) of a block being added whole. */
  hashRecord(key: Uint8Array, keyLength: number, data: Buffer, valueOffset: number, valueLength: number): void {
    const need = this.used + 8 + keyLength + valueLength;
    if (need > this.scratch.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, 2 * this.scratch.length));
      this.scratch.copy(grown, 0, 0, this.used);
      this.scratch = grown;
    }
    this.putRecord(key, keyLength, data, valueOffset, valueLength);
  }

  /**
   * Appends a record to the scratch buffer, which has room for it. Typed-array writes and short loops: cheaper
   * than Buffer#writeUInt32BE and Buffer#copy for the small keys and values here.
   */
  private putRecord(key: Uint8Array, keyLength: number, data: Buffer, valueOffset: number, valueLength: number): void {
    const s = this.scratch;
    let p = this.used;
    s[p] = keyLength >>> 24;
    s[p + 1] = keyLength >>> 16;
    s[p + 2] = keyLength >>> 8;
    s[p + 3] = keyLength;
    p += 4;
    if (keyLength > 64) s.set(key.subarray(0, keyLength), p);
    else for (let i = 0; i < keyLength; i++) s[p + i] = key[i];
    p += keyLength;
    s[p] = valueLength >>> 24;
    s[p + 1] = valueLength >>> 16;
    s[p + 2] = valueLength >>> 8;
    s[p + 3] = valueLength;
    p += 4;
    if (valueLength > 64) data.copy(s, p, valueOffset, valueOffset + valueLength); // no view to allocate
    else for (let i = 0; i < valueLength; i++) s[p + i] = data[valueOffset + i];
    this.used = p + valueLength;
  }

  /** Forgets the records hashed since beginBlock. */
  abandonBlock(): void {
    this.used = 0;
  }

  /** Appends the block whose records were hashed since beginBlock, copying its stored bytes. */
  addBlock(block: RawBlock): void {
    this.writer.addRawBlock(block);
    if (this.count === 0) this.minKey = block.firstKey;
    this.maxKey = block.lastKey;
    this.count += block.entries;
    this.estimatedSize += block.keyBytes + block.valueBytes;
    if (this.used >= SCRATCH) this.flushHash();
  }

  private flushHash(): void {
    if (this.used > 0) this.hash.update(this.scratch.subarray(0, this.used));
    this.used = 0;
  }

  /** Closes the table and returns its ID. */
  finish(): string {
    this.flushHash();
    const maxKey = this.maxKey ?? Buffer.alloc(0);
    this.writer.setProperty("type", this.type);
    this.writer.setProperty("min_key", this.minKey ?? Buffer.alloc(0));
    this.writer.setProperty("max_key", maxKey);
    this.writer.setProperty("count", String(this.count));
    this.writer.setProperty("estimated_size_bytes", String(this.estimatedSize));
    this.writer.finish();
    const id = this.hash.digest("hex");
    this.sink.adopt(this.file, id);
    return id;
  }

  abort(): void {
    this.writer.abort();
  }
}
