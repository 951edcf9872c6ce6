// The durable Raft log: segmented append-only files of checksummed records (record.ts), one durable write per
// batch (segments are opened O_DSYNC: a write returns once its data is on disk, like write + fdatasync in one
// call), with the log since the last snapshot kept in memory so the core reads it synchronously.
//
// Invariants (checked where data enters: on replay):
// 1. Records are replayed in file order; an entry at index i <= last replaces the suffix from i (a leader
//    overwrote a conflicting tail); an entry beyond last + 1 is a gap, i.e. corruption.
// 2. A Snapshot record means "the log before this snapshot is gone": replay discards what it held so far.
// 3. Every segment starts with the hard state current when it was opened, so dropping older segments after a
//    compaction never loses the newest hard state. Segments are dropped only as a prefix of the sequence.
// 4. Only the last record of the last segment can be torn (a batch was never acknowledged before its fsync);
//    any other bad record stops start-up with a LogCorruptionError naming the file and index.
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { CompactedError, ConfState, Entry, HardState, Index, LogStorage, Snapshot, Term, UnavailableError } from "../types";
import type { Logger } from "../node/logger";
import { stderrLogger } from "../node/logger";
import { DiskFullError, LogCorruptionError, LogStorageError, LogWriteError } from "./errors";
import {
  decodeEntry,
  decodeHardState,
  decodeSnapshotRecord,
  encodeBatch,
  encodeHardState,
  encodeSnapshotRecord,
  peekEntryIndex,
  RecordType,
  scanRecords,
} from "./record";
import {
  listSegments,
  LogFile,
  OPEN_EXISTING,
  OPEN_NEW,
  OPEN_REPAIR,
  OpenLogFile,
  openWithFs,
  segmentName,
  SNAPSHOT_META,
  syncDir,
  writeFileAtomic,
} from "./segments";

export interface DurableLogOptions {
  dir: string;
  /** The membership of a brand-new log (no snapshot yet); ignored once the log has one. */
  initialConfState?: ConfState;
  /** A segment is closed once it grows past this many bytes (default 64 MiB). */
  segmentBytes?: number;
  /**
   * Segments are zero-filled this far ahead of the last record (default 4 MiB; 0 turns it off), so that the
   * durable write of a batch has no file size or block allocation to journal: only the data is flushed.
   */
  preallocateBytes?: number;
  logger?: Logger;
  /** File access, replaceable to inject failures in tests. */
  openFile?: OpenLogFile;
}

interface Segment {
  seq: number;
  /** The highest entry (or snapshot) index the segment holds; 0 if none. */
  maxIndex: Index;
}

const emptyConfState = (): ConfState => ({ voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false });

export class DurableLog implements LogStorage {
  private snap: Snapshot;
  private log: Entry[] = [];
  private hardState: HardState = { term: 0, vote: "", commit: 0 };
  private segments: Segment[] = [];
  private active!: LogFile;
  /** Where the next record goes in the active segment. */
  private activeSize = 0;
  /** The in-memory hard state has a commit index newer than the one on disk (deferred, see save()). */
  private hardStateUnwritten = false;
  /** The active segment's length on disk (past activeSize: zeroes written ahead). */
  private activeFileBytes = 0;
  private preallocateBytes: number;
  private failed?: LogStorageError;
  private queue: Promise<void> = Promise.resolve();
  private readonly segmentBytes: number;
  private readonly logger: Logger;
  private readonly openFile: OpenLogFile;

  private constructor(private readonly dir: string, options: DurableLogOptions) {
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.preallocateBytes = Math.min(options.preallocateBytes ?? 4 * 1024 * 1024, this.segmentBytes);
    this.logger = options.logger ?? stderrLogger;
    this.openFile = options.openFile ?? openWithFs;
    this.snap = { metadata: { index: 0, term: 0, confState: options.initialConfState ?? emptyConfState() }, reference: "" };
  }

  /** Opens (or creates) the log in `dir`, replaying it; a torn tail is cut off, any other damage throws. */
  static async open(options: DurableLogOptions): Promise<DurableLog> {
    await fsp.mkdir(options.dir, { recursive: true });
    const log = new DurableLog(options.dir, options);
    await log.replay();
    return log;
  }

  // ---- LogStorage: synchronous reads for the core --------------------------------------------------------

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: { ...this.hardState }, confState: this.snap.metadata.confState };
  }

  firstIndex(): Index {
    return this.snap.metadata.index + 1;
  }

  lastIndex(): Index {
    return this.snap.metadata.index + this.log.length;
  }

  term(i: Index): Term {
    const base = this.snap.metadata.index;
    if (i === base) return this.snap.metadata.term;
    if (i < base) throw new CompactedError(i);
    if (i > this.lastIndex()) throw new UnavailableError(i);
    return this.log[i - base - 1].term;
  }

  entries(lo: Index, hi: Index, maxBytes: number): Entry[] {
    const base = this.snap.metadata.index;
    if (lo <= base) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.log[i - base - 1];
      bytes += e.data.length;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  hardStateNow(): HardState {
    return { ...this.hardState };
  }

  // ---- writes: serialized, one durable write per call -------------------------------------------------------

  /**
   * Persists a Ready's snapshot, entries and hard state with one durable (O_DSYNC) write, then makes them
   * visible to the core's reads. Entries that start at or below lastIndex() replace the conflicting suffix.
   * `sync = false` for a batch that only moves the commit index (Ready.mustSync false) defers it to the next
   * write: a commit index that lags on disk after a crash is learned again from the leader.
   */
  save(entries: readonly Entry[], hardState?: HardState, snapshot?: Snapshot, sync = true): Promise<void> {
    if (entries.length === 0 && !hardState && !snapshot) return Promise.resolve();
    return this.serialize(async () => {
      if (!sync && entries.length === 0 && !snapshot) {
        // Only the commit index moved: keep it for the next write instead of paying for one now.
        this.hardState = { ...hardState! };
        this.hardStateUnwritten = true;
        return;
      }
      const hs = hardState ?? (this.hardStateUnwritten ? this.hardState : undefined);
      await this.writeDurably(encodeBatch(entries, hs, snapshot));
      this.hardStateUnwritten = false;
      const seg = this.segments[this.segments.length - 1];
      if (snapshot) {
        this.snap = { metadata: snapshot.metadata, reference: snapshot.reference };
        this.log = [];
        seg.maxIndex = Math.max(seg.maxIndex, snapshot.metadata.index);
      }
      if (entries.length > 0) {
        this.appendToMemory(entries);
        seg.maxIndex = Math.max(seg.maxIndex, entries[entries.length - 1].index);
      }
      if (hardState) this.hardState = { ...hardState };
      if (snapshot) await writeFileAtomic(path.join(this.dir, SNAPSHOT_META), encodeSnapshotRecord(this.snap));
    });
  }

  /**
   * Records that the state machine saved a snapshot at `snapshot.metadata.index` (at or below the applied
   * index): entries up to it leave memory and whole segments below it are deleted.
   */
  compact(snapshot: Snapshot): Promise<void> {
    return this.serialize(async () => {
      const index = snapshot.metadata.index;
      if (index <= this.snap.metadata.index) return;
      if (index > this.lastIndex()) throw new LogStorageError("INVALID_ARGUMENT", `cannot compact to ${index}: the log ends at ${this.lastIndex()}`);
      if (this.term(index) !== snapshot.metadata.term) {
        throw new LogStorageError("INVALID_ARGUMENT", `cannot compact to ${index}: snapshot term ${snapshot.metadata.term} differs from the log's ${this.term(index)}`);
      }
      await writeFileAtomic(path.join(this.dir, SNAPSHOT_META), encodeSnapshotRecord(snapshot));
      this.log = this.log.slice(index - this.snap.metadata.index);
      this.snap = { metadata: snapshot.metadata, reference: snapshot.reference };
      // Drop a prefix of closed segments whose content is all at or below the snapshot (invariant 3).
      let dropped = 0;
      while (dropped < this.segments.length - 1 && this.segments[dropped].maxIndex <= index) {
        await fsp.rm(this.segmentPath(this.segments[dropped].seq), { force: true });
        dropped++;
      }
      if (dropped > 0) {
        this.segments = this.segments.slice(dropped);
        await syncDir(this.dir);
      }
    });
  }

  /** Waits for pending writes and closes the active segment. */
  async close(): Promise<void> {
    if (this.hardStateUnwritten && !this.failed) await this.serialize(() => this.writeDurably(encodeHardState(this.hardState))).catch(() => undefined);
    await this.queue;
    await this.active.close().catch(() => undefined);
  }

  /** The error that stopped writes, if any (a full disk or a failed fsync). */
  writeFailure(): LogStorageError | undefined {
    return this.failed;
  }

  private serialize(job: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => {
      if (this.failed) throw this.failed;
      return job();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private segmentPath(seq: number): string {
    return path.join(this.dir, segmentName(seq));
  }

  /** One positioned write on the O_DSYNC segment: it returns once the batch is on disk. */
  private async writeDurably(bytes: Buffer): Promise<void> {
    if (this.activeSize >= this.segmentBytes) await this.rollOver();
    const seq = this.segments[this.segments.length - 1].seq;
    const start = this.activeSize;
    if (this.preallocateBytes > 0 && start + bytes.length > this.activeFileBytes) await this.preallocate(seq, start + bytes.length);
    try {
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await this.active.write(bytes, written, bytes.length - written, start + written);
        written += bytesWritten;
      }
      this.activeSize = start + bytes.length;
      this.activeFileBytes = Math.max(this.activeFileBytes, this.activeSize);
    } catch (err) {
      const file = this.segmentPath(seq);
      // Cut off whatever part of the batch reached the file, so the log stays exactly as acknowledged.
      await this.active.truncate(start).catch(() => undefined);
      this.activeFileBytes = start;
      this.failed = (err as NodeJS.ErrnoException).code === "ENOSPC" ? new DiskFullError(file, err) : new LogWriteError(file, err);
      this.logger.error(this.failed.message);
      throw this.failed;
    }
  }

  /**
   * Writes zeroes from the end of the file to past `needed` and makes them durable: one metadata journal
   * commit per preallocated stretch instead of one per batch. Best effort: on failure (a full disk) the file
   * is cut back and preallocation stops; the batch write then reports the real problem, if any.
   */
  private async preallocate(seq: number, needed: number): Promise<void> {
    const file = this.segmentPath(seq);
    const from = this.activeFileBytes;
    const to = Math.max(needed, from + this.preallocateBytes);
    let handle: fsp.FileHandle | undefined;
    try {
      handle = await fsp.open(file, "r+");
      const zeros = Buffer.alloc(Math.min(to - from, 1024 * 1024));
      for (let at = from; at < to; at += zeros.length) await handle.write(zeros, 0, Math.min(zeros.length, to - at), at);
      await handle.datasync();
      this.activeFileBytes = to;
    } catch (err) {
      this.preallocateBytes = 0;
      await handle?.truncate(from).catch(() => undefined);
      this.logger.warn(`${file}: preallocation stopped: ${(err as Error).message}`);
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }

  private async rollOver(): Promise<void> {
    const seq = (this.segments[this.segments.length - 1]?.seq ?? 0) + 1;
    const file = await this.openFile(this.segmentPath(seq), OPEN_NEW);
    const header = encodeHardState(this.hardState);
    try {
      await file.write(header, 0, header.length, 0);
      await file.datasync();
      await syncDir(this.dir);
    } catch (err) {
      await file.close().catch(() => undefined);
      await fsp.rm(this.segmentPath(seq), { force: true });
      this.failed = (err as NodeJS.ErrnoException).code === "ENOSPC" ? new DiskFullError(this.segmentPath(seq), err) : new LogWriteError(this.segmentPath(seq), err);
      this.logger.error(this.failed.message);
      throw this.failed;
    }
    if (this.active) await this.active.close();
    this.active = file;
    this.activeSize = header.length;
    this.activeFileBytes = header.length;
    this.segments.push({ seq, maxIndex: this.snap.metadata.index });
  }

  private appendToMemory(entries: readonly Entry[]): void {
    const first = entries[0].index;
    const base = this.snap.metadata.index;
    if (first <= base) throw new LogStorageError("INVALID_ARGUMENT", `cannot append entry ${first}: the log is compacted up to ${base}`);
    if (first > this.lastIndex() + 1) {
      throw new LogStorageError("INVALID_ARGUMENT", `cannot append entry ${first}: the log ends at ${this.lastIndex()} (a gap)`);
    }
    this.log.length = first - base - 1;
    for (const e of entries) this.log.push(e);
  }

  // ---- start-up ------------------------------------------------------------------------------------------

  private async replay(): Promise<void> {
    const metaFile = path.join(this.dir, SNAPSHOT_META);
    const meta = await fsp.readFile(metaFile).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return undefined;
      throw err;
    });
    if (meta) {
      const { records, problem } = scanRecords(meta);
      if (problem || records.length !== 1 || records[0].type !== RecordType.Snapshot) {
        throw new LogCorruptionError(metaFile, 0, problem?.offset ?? 0, problem?.reason ?? "not one snapshot record");
      }
      this.snap = decodeSnapshotRecord(records[0].payload);
    }
    const seqs = await listSegments(this.dir);
    if (!meta && seqs.length === 0) {
      // A brand-new log: its first membership is part of its durable state from now on, so a restart with
      // different start-up options cannot change who the voters are.
      await writeFileAtomic(metaFile, encodeSnapshotRecord(this.snap));
    }
    let dataEnd = 0;
    for (let i = 0; i < seqs.length; i++) {
      const replayed = await this.replaySegment(seqs[i], i === seqs.length - 1);
      this.segments.push({ seq: seqs[i], maxIndex: replayed.maxIndex });
      dataEnd = replayed.dataEnd;
    }
    if (seqs.length === 0) {
      await this.rollOver();
    } else {
      const last = seqs[seqs.length - 1];
      this.active = await this.openFile(this.segmentPath(last), OPEN_EXISTING);
      this.activeSize = dataEnd;
      this.activeFileBytes = (await fsp.stat(this.segmentPath(last))).size;
    }
  }

  /** Replays one segment into memory; returns its highest index and where its records end. */
  private async replaySegment(seq: number, isLast: boolean): Promise<{ maxIndex: Index; dataEnd: number }> {
    const file = this.segmentPath(seq);
    const buf = await fsp.readFile(file);
    const { records, end, problem } = scanRecords(buf);
    let maxIndex = 0;
    for (const r of records) {
      try {
        if (r.type === RecordType.Entry) {
          maxIndex = Math.max(maxIndex, this.replayEntry(decodeEntry(r.payload), file, r.offset));
        } else if (r.type === RecordType.HardState) {
          this.hardState = decodeHardState(r.payload);
        } else {
          const s = decodeSnapshotRecord(r.payload);
          if (s.metadata.index > this.snap.metadata.index) this.snap = s;
          this.log = []; // invariant 2: whatever came before an installed snapshot is stale
          maxIndex = Math.max(maxIndex, s.metadata.index);
        }
      } catch (err) {
        if (err instanceof LogCorruptionError) throw err;
        throw new LogCorruptionError(file, this.lastIndex() + 1, r.offset, (err as Error).message);
      }
    }
    if (problem) {
      const index = (problem.record?.type === RecordType.Entry ? peekEntryIndex(problem.record.payload) : undefined) ?? this.lastIndex() + 1;
      if (!isLast || problem.followedByValidRecord) throw new LogCorruptionError(file, index, problem.offset, problem.reason);
      this.logger.warn(`${file}: torn tail at offset ${problem.offset} (${problem.reason}); truncating the unacknowledged write`, { index });
      const handle = await this.openFile(file, OPEN_REPAIR);
      try {
        await handle.truncate(problem.offset);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    }
    return { maxIndex, dataEnd: end };
  }

  private replayEntry(e: Entry, file: string, offset: number): Index {
    const base = this.snap.metadata.index;
    if (e.index <= base) return e.index;
    const last = this.lastIndex();
    if (e.index > last + 1) throw new LogCorruptionError(file, e.index, offset, `entry ${e.index} follows ${last}: a gap in the log`);
    this.log.length = e.index - base - 1;
    this.log.push(e);
    return e.index;
  }
}
