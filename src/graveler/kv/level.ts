// The key-value interface on one classic-level (LevelDB) database. Conditional batches are checked and applied
// one at a time in this process (a promise chain), and LevelDB applies each batch atomically, so a
// precondition can never be broken between its check and the write. Only one process may open a database.
//
// Layout: user keys live under the byte 0x01, the write sequence under 0x00. Each stored value is
// 8 bytes of version (the sequence number of the batch that wrote it, big-endian) followed by the value.
import { ClassicLevel } from "classic-level";
import { failedPrecondition, TarnError } from "../../errors";
import type { KvBatch, KvRecord, KvScanOptions, KvStore } from "./types";
import { scanBounds } from "./types";

const USER = Buffer.from([0x01]);
const SEQUENCE_KEY = Buffer.from([0x00, 0x73]);
const USER_END = Buffer.from([0x02]);

type Db = ClassicLevel<Buffer, Buffer>;

export class LevelKv implements KvStore {
  private sequence = 0;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly db: Db,
    readonly location: string,
  ) {}

  /**
   * Opens (creating) the database in `location`. Staging areas of a million entries are common, so the
   * defaults give LevelDB a larger write buffer (fewer, larger compactions) and block cache than its own.
   */
  static async open(location: string, tuning: { writeBufferSize?: number; cacheSize?: number } = {}): Promise<LevelKv> {
    const db: Db = new ClassicLevel<Buffer, Buffer>(location, {
      keyEncoding: "buffer",
      valueEncoding: "buffer",
      writeBufferSize: tuning.writeBufferSize ?? 32 * 1024 * 1024,
      cacheSize: tuning.cacheSize ?? 32 * 1024 * 1024,
    });
    try {
      await db.open();
    } catch (err) {
      throw new TarnError("UNAVAILABLE", `key-value store ${location}: cannot open: ${(err as Error).message}`, { cause: err });
    }
    const kv = new LevelKv(db, location);
    const seq = await db.get(SEQUENCE_KEY);
    kv.sequence = seq ? Number(seq.readBigUInt64BE(0)) : 0;
    return kv;
  }

  /**
   * LevelDB's synchronous get, as the replicated state machine's local reads (src/state/machine.ts): a few µs
   * from the block cache or the page cache, where the asynchronous one spends 20-40 µs of CPU handing the
   * read to the thread pool and back. A stat through the gateway makes three or four of them.
   */
  async get(key: Buffer): Promise<KvRecord | undefined> {
    const raw = this.db.getSync(Buffer.concat([USER, key]));
    return raw ? decode(key, raw) : undefined;
  }

  async scan(options: KvScanOptions): Promise<KvRecord[]> {
    const { lower, lowerExclusive, upper } = scanBounds(options);
    // highWaterMarkBytes: let each native read return up to 1000 records instead of 16 KiB worth (a page of
    // staged entries is otherwise hundreds of thread-pool round trips).
    const range: { gt?: Buffer; gte?: Buffer; lt: Buffer; limit?: number; highWaterMarkBytes: number } = {
      lt: upper ? Buffer.concat([USER, upper]) : USER_END,
      highWaterMarkBytes: 4 * 1024 * 1024,
    };
    const low = Buffer.concat([USER, lower ?? Buffer.alloc(0)]);
    if (lowerExclusive) range.gt = low;
    else range.gte = low;
    if (options.limit !== undefined) range.limit = options.limit;
    if (options.limit === 0) return [];
    const entries = await this.db.iterator(range).all();
    return entries.map(([k, v]) => decode(k.subarray(1), v));
  }

  write(batch: KvBatch): Promise<void> {
    const run = this.queue.then(() => this.apply(batch));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply(batch: KvBatch): Promise<void> {
    for (const pre of batch.preconditions ?? []) {
      const current = await this.get(pre.key);
      if ("absent" in pre) {
        if (current) throw failedPrecondition(`key ${printable(pre.key)} already exists`);
      } else if ("equals" in pre) {
        if (!current || !current.value.equals(pre.equals)) throw failedPrecondition(`key ${printable(pre.key)} changed`);
      } else if (!current || current.version !== pre.version) {
        throw failedPrecondition(`key ${printable(pre.key)} is not at version ${pre.version}`);
      }
    }
    if (batch.mutations.length === 0) return;
    const version = this.sequence + 1;
    const header = Buffer.alloc(8);
    header.writeBigUInt64BE(BigInt(version));
    const ops = batch.mutations.map((m) =>
      m.op === "put"
        ? { type: "put" as const, key: Buffer.concat([USER, m.key]), value: Buffer.concat([header, m.value]) }
        : { type: "del" as const, key: Buffer.concat([USER, m.key]) },
    );
    ops.push({ type: "put", key: SEQUENCE_KEY, value: header });
    await this.db.batch(ops);
    this.sequence = version;
  }

  /** Compacts [start, end) through every level, so that LevelDB forgets its deleted keys. */
  async compact(start: Buffer, end: Buffer): Promise<void> {
    await this.db.compactRange(Buffer.concat([USER, start]), Buffer.concat([USER, end]));
  }

  async close(): Promise<void> {
    await this.queue;
    await this.db.close();
  }
}

function decode(key: Buffer, raw: Buffer): KvRecord {
  return { key, value: raw.subarray(8), version: Number(raw.readBigUInt64BE(0)) };
}

/** A key for error messages: text when it is text, hex otherwise. */
export function printable(key: Buffer): string {
  const text = key.toString("utf8");
  return /^[\x20-\x7e]*$/.test(text) ? JSON.stringify(text) : `0x${key.toString("hex")}`;
}
