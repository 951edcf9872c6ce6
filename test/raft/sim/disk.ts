// What a simulated node has fsynced: the model of the durable log. A write batch is a sequence of records
// (snapshot, entries, hard state: the order the runtime writes them); a crash during the write keeps a prefix
// of the records (a torn tail is detected by checksum and dropped on start), never a reordering.
import { MemoryStorage } from "../../../raft";
import type { Entry, HardState, Snapshot } from "../../../raft";

export type DiskRecord = { kind: "snapshot"; snapshot: Snapshot } | { kind: "entry"; entry: Entry } | { kind: "hardState"; hardState: HardState };

export class Disk {
  hardState: HardState = { term: 0, vote: "", commit: 0 };
  snapshot: Snapshot;
  /** Contiguous entries from entriesStart; compaction may keep some entries the snapshot already covers. */
  entries: Entry[] = [];
  entriesStart: number;

  constructor(snapshot: Snapshot, hardState?: HardState) {
    this.snapshot = snapshot;
    this.entriesStart = snapshot.metadata.index + 1;
    if (hardState) this.hardState = { ...hardState };
  }

  write(record: DiskRecord): void {
    switch (record.kind) {
      case "snapshot":
        this.snapshot = record.snapshot;
        this.entries = [];
        this.entriesStart = record.snapshot.metadata.index + 1;
        break;
      case "entry": {
        const e = record.entry;
        if (e.index < this.entriesStart) return;
        const keep = e.index - this.entriesStart;
        if (keep > this.entries.length) throw new Error(`disk: gap before entry ${e.index} (last ${this.lastIndex()})`);
        this.entries.length = keep;
        this.entries.push(e);
        break;
      }
      case "hardState":
        this.hardState = { ...record.hardState };
        break;
    }
  }

  lastIndex(): number {
    return Math.max(this.snapshot.metadata.index, this.entriesStart + this.entries.length - 1);
  }

  /** A local snapshot at snapshot.index and log compaction up to compactIndex, as one atomic step. */
  compact(snapshot: Snapshot, compactIndex: number): void {
    this.snapshot = snapshot;
    const drop = compactIndex + 1 - this.entriesStart;
    if (drop > 0) {
      this.entries = this.entries.slice(drop);
      this.entriesStart = compactIndex + 1;
    }
  }

  /** The storage a restarted node reads: exactly what survived. */
  load(): MemoryStorage {
    const ms = new MemoryStorage({ confState: this.snapshot.metadata.confState, hardState: this.hardState });
    if (this.snapshot.metadata.index > 0) ms.applySnapshot(this.snapshot);
    ms.append(this.entries);
    return ms;
  }
}
