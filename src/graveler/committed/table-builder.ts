// Writes one content-addressed table (a range or a metarange): records go to a temporary file and into a
// SHA-256; `finish` names the table by that hash and hands the file to the store under its ID.
//
// ID = hex SHA-256 over "type" | for each record: u32be(len(key)) key u32be(len(value)) value.
// The table's other identifying properties (min/max key, count) follow from the records, so identical content
// gives an identical ID, whatever the repository or the moment it was written.
import { createHash, Hash } from "node:crypto";
import { createTableFile, TableFileWriter, TableOptions } from "./table";

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
      // Typed-array writes: cheaper than Buffer#writeUInt32BE and Buffer#copy for the small keys and values here.
      const s = this.scratch;
      let p = this.used;
      const k = key.length;
      s[p] = k >>> 24;
      s[p + 1] = k >>> 16;
      s[p + 2] = k >>> 8;
      s[p + 3] = k;
      s.set(key, p + 4);
      p += 4 + k;
      const v = value.length;
      s[p] = v >>> 24;
      s[p + 1] = v >>> 16;
      s[p + 2] = v >>> 8;
      s[p + 3] = v;
      s.set(value, p + 4);
      this.used = p + 4 + v;
    }
    // Keys are fresh Buffers nobody mutates (the SSTable iterator and the key-value store hand out copies).
    if (this.count === 0) this.minKey = key;
    this.maxKey = key;
    this.count++;
    this.estimatedSize += key.length + value.length;
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
