// LogStorage in memory (etcd's MemoryStorage): for tests, the simulator, and a runtime that keeps its
// persisted tail in memory. ents[0] is a dummy entry carrying the snapshot's index and term.
import { RaftError } from "./errors";
import { limitSize } from "./log/util";
import { CompactedError, EntryType, UnavailableError } from "./types";
import type { ConfState, Entry, HardState, Index, LogStorage, Snapshot, Term } from "./types";

export const emptyConfState = (): ConfState => ({ voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false });

export interface MemoryStorageInit {
  /** The membership a new cluster starts with (every member starts with the same one). */
  confState?: ConfState;
  hardState?: HardState;
}

export class MemoryStorage implements LogStorage {
  private hardState: HardState;
  private snap: Snapshot;
  private ents: Entry[];

  constructor(init: MemoryStorageInit = {}) {
    this.hardState = init.hardState ?? { term: 0, vote: "", commit: 0 };
    this.snap = { metadata: { index: 0, term: 0, confState: init.confState ?? emptyConfState() }, reference: "" };
    this.ents = [dummy(0, 0)];
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: { ...this.hardState }, confState: this.snap.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  entries(lo: Index, hi: Index, maxBytes: number): Entry[] {
    const offset = this.ents[0].index;
    if (lo <= offset) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) {
      throw new RaftError("INVALID_STATE", `raft: entries' hi(${hi}) is out of bound lastindex(${this.lastIndex()})`);
    }
    if (this.ents.length === 1) throw new UnavailableError(lo);
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxBytes);
  }

  term(i: Index): Term {
    const offset = this.ents[0].index;
    if (i < offset) throw new CompactedError(i);
    if (i - offset >= this.ents.length) throw new UnavailableError(i);
    return this.ents[i - offset].term;
  }

  firstIndex(): Index {
    return this.ents[0].index + 1;
  }

  lastIndex(): Index {
    return this.ents[0].index + this.ents.length - 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole log by a snapshot received from the leader. */
  applySnapshot(snap: Snapshot): void {
    if (this.snap.metadata.index >= snap.metadata.index) {
      throw new RaftError("SNAPSHOT_OUT_OF_DATE", `raft: snapshot at ${snap.metadata.index} is not newer than ${this.snap.metadata.index}`);
    }
    this.snap = snap;
    this.ents = [dummy(snap.metadata.index, snap.metadata.term)];
  }

  /** Records that the state machine saved its state at applied index i under `reference`. */
  createSnapshot(i: Index, cs: ConfState | undefined, reference: string, data?: Uint8Array): Snapshot {
    if (i <= this.snap.metadata.index) {
      throw new RaftError("SNAPSHOT_OUT_OF_DATE", `raft: snapshot at ${i} is not newer than ${this.snap.metadata.index}`);
    }
    if (i > this.lastIndex()) {
      throw new RaftError("INVALID_STATE", `raft: snapshot ${i} is out of bound lastindex(${this.lastIndex()})`);
    }
    const offset = this.ents[0].index;
    this.snap = {
      metadata: { index: i, term: this.ents[i - offset].term, confState: cs ?? this.snap.metadata.confState },
      reference,
      ...(data ? { data } : {}),
    };
    return this.snap;
  }

  /** Discards entries up to compactIndex; they must be covered by a snapshot the runtime keeps. */
  compact(compactIndex: Index): void {
    const offset = this.ents[0].index;
    if (compactIndex <= offset) throw new CompactedError(compactIndex);
    if (compactIndex > this.lastIndex()) {
      throw new RaftError("INVALID_STATE", `raft: compact ${compactIndex} is out of bound lastindex(${this.lastIndex()})`);
    }
    const i = compactIndex - offset;
    this.ents = [dummy(this.ents[i].index, this.ents[i].term), ...this.ents.slice(i + 1)];
  }

  /** Appends persisted entries, replacing any conflicting suffix. */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0].index + entries.length - 1;
    if (last < first) return;
    if (first > entries[0].index) entries = entries.slice(first - entries[0].index);
    const offset = entries[0].index - this.ents[0].index;
    if (this.ents.length >= offset) {
      // In place: truncate a conflicting suffix, then append (entries() hands out copies, never this array).
      this.ents.length = offset;
      for (const e of entries) this.ents.push(e);
    } else {
      throw new RaftError("INVALID_STATE", `raft: missing log entry [last: ${this.lastIndex()}, append at: ${entries[0].index}]`);
    }
  }
}

function dummy(index: Index, term: Term): Entry {
  return { index, term, type: EntryType.Normal, data: new Uint8Array(0) };
}
