// The log as the core sees it: what storage has persisted plus the unstable tail (etcd's log.go).
// Indexes below firstIndex() are compacted into the snapshot; committed <= lastIndex(); applied <= committed.
import { RaftError } from "../errors";
import { CompactedError, UnavailableError } from "../types";
import type { Entry, Index, LogStorage, Snapshot, Term } from "../types";
import { Unstable } from "./unstable";
import { limitSize } from "./util";

export class RaftLog {
  readonly storage: LogStorage;
  readonly unstable: Unstable;
  committed: Index;
  applied: Index;
  /** The last index handed to the runtime to apply (in a Ready not yet advanced); >= applied. */
  applying: Index;
  readonly maxNextEntsSize: number;

  constructor(storage: LogStorage, maxNextEntsSize = Number.MAX_SAFE_INTEGER) {
    this.storage = storage;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    // The log starts with everything up to the snapshot committed and applied.
    this.committed = first - 1;
    this.applied = first - 1;
    this.applying = first - 1;
    this.maxNextEntsSize = maxNextEntsSize;
  }

  /**
   * Appends `ents` after (index, logTerm) if the log has that entry, truncating a conflicting suffix.
   * Returns the index of the last new entry, or undefined when (index, logTerm) does not match.
   */
  maybeAppend(index: Index, logTerm: Term, committed: Index, ents: Entry[]): Index | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) {
        throw new RaftError("INVALID_STATE", `raft: entry ${ci} conflicts with committed entry (committed ${this.committed})`);
      }
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: Entry[]): Index {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0].index - 1;
    if (after < this.committed) {
      throw new RaftError("INVALID_STATE", `raft: append after ${after} is below committed ${this.committed}`);
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** The index of the first entry in `ents` whose term differs from ours (or that we lack); 0 if none. */
  findConflict(ents: Entry[]): Index {
    for (const e of ents) if (!this.matchTerm(e.index, e.term)) return e.index;
    return 0;
  }

  /**
   * The largest index <= `index` whose term is <= `term`, with that term (0 if unknown): where a log ending in
   * `term` may match ours. Used on both sides of a rejected append to skip a whole term at a time.
   */
  findConflictByTerm(index: Index, term: Term): { index: Index; term: Term } {
    for (; index > 0; index--) {
      const ours = this.maybeTerm(index);
      if (ours === undefined) return { index, term: 0 };
      if (ours <= term) return { index, term: ours };
    }
    return { index: 0, term: 0 };
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries.slice();
  }

  /** Committed entries not yet applied, at most maxNextEntsSize bytes. */
  nextEnts(): Entry[] {
    const off = Math.max(this.applied + 1, this.firstIndex());
    if (this.committed + 1 > off) return this.slice(off, this.committed + 1, this.maxNextEntsSize);
    return [];
  }

  hasNextEnts(): boolean {
    return this.committed + 1 > Math.max(this.applied + 1, this.firstIndex());
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  firstIndex(): Index {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): Index {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /**
   * The last index the runtime has persisted and that is still part of this log. A leader counts its own log
   * towards a quorum only up to here. A pending snapshot has not been persisted: nothing is known to match.
   */
  persistedLastIndex(): Index {
    if (this.unstable.snapshot) return 0;
    return this.unstable.offset - 1;
  }

  commitTo(toCommit: Index): void {
    if (this.committed >= toCommit) return;
    const last = this.lastIndex();
    if (toCommit > last) {
      throw new RaftError("INVALID_STATE", `raft: commit ${toCommit} is beyond the last index ${last}`);
    }
    this.committed = toCommit;
  }

  appliedTo(i: Index): void {
    if (i === 0) return;
    if (this.committed < i || i < this.applied) {
      throw new RaftError("INVALID_STATE", `raft: applied ${i} is out of range [${this.applied}, ${this.committed}]`);
    }
    this.applied = i;
    this.applying = Math.max(this.applying, i);
  }

  stableTo(i: Index, t: Term): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: Index): void {
    this.unstable.stableSnapTo(i);
  }

  lastTerm(): Term {
    return this.term(this.lastIndex());
  }

  /** The term of entry i. Throws CompactedError below firstIndex()-1 and UnavailableError past lastIndex(). */
  term(i: Index): Term {
    const dummy = this.firstIndex() - 1;
    if (i < dummy) throw new CompactedError(i);
    if (i > this.lastIndex()) throw new UnavailableError(i);
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    return this.storage.term(i);
  }

  /** term(i), or undefined where the log does not have it; no exceptions, for the hot paths. */
  maybeTerm(i: Index): Term | undefined {
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return undefined;
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    try {
      return this.storage.term(i);
    } catch (err) {
      if (err instanceof CompactedError || err instanceof UnavailableError) return undefined;
      throw err;
    }
  }

  /** term(i), or 0 where the log does not have it. */
  termOrZero(i: Index): Term {
    return this.maybeTerm(i) ?? 0;
  }

  matchTerm(i: Index, t: Term): boolean {
    return this.maybeTerm(i) === t;
  }

  entries(i: Index, maxSize: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxSize);
  }

  /** Whether a log ending at (lastIndex, term) is at least as up to date as ours (Raft §5.4.1). */
  isUpToDate(lastIndex: Index, term: Term): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Commits up to maxIndex if that entry is from `term` (a leader commits only entries of its own term). */
  maybeCommit(maxIndex: Index, term: Term): boolean {
    if (maxIndex > this.committed && this.termOrZero(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** Entries [lo, hi) from storage and the unstable tail, at most maxSize bytes (at least one entry). */
  slice(lo: Index, hi: Index, maxSize: number): Entry[] {
    this.checkOutOfBounds(lo, hi);
    if (lo === hi) return [];
    let ents: Entry[] = [];
    const offset = this.unstable.offset;
    if (lo < offset) {
      const stored = this.storage.entries(lo, Math.min(hi, offset), maxSize);
      // Storage stopped early because of the size limit: do not go on into the unstable tail.
      if (stored.length < Math.min(hi, offset) - lo) return stored;
      ents = stored;
    }
    if (hi > offset) ents = ents.concat(this.unstable.slice(Math.max(lo, offset), hi));
    return limitSize(ents, maxSize);
  }

  private checkOutOfBounds(lo: Index, hi: Index): void {
    if (lo > hi) throw new RaftError("INVALID_STATE", `raft: invalid slice ${lo} > ${hi}`);
    if (lo < this.firstIndex()) throw new CompactedError(lo);
    const upper = this.lastIndex() + 1;
    if (hi > upper) throw new RaftError("INVALID_STATE", `raft: slice [${lo},${hi}) out of bound [${this.firstIndex()},${upper})`);
  }
}
