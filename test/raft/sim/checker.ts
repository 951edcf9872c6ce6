// The Raft safety properties, checked as the simulation runs (Raft paper, figure 3):
// - election safety: at most one leader per term;
// - log matching: two logs with an entry of the same index and term hold the same command there and agree
//   on the term of the entry before it (so, by induction, on the whole prefix);
// - leader completeness: a leader of term T holds every entry committed in a term before T;
// - state machine safety: no two nodes apply different entries at one index, and each applies in order.
import type { Entry, NodeId, Term } from "../../../raft";

export class SafetyViolation extends Error {
  constructor(what: string) {
    super(`safety violation: ${what}`);
    this.name = "SafetyViolation";
  }
}

/** A leader's log as the checker sees it. */
export interface LogView {
  firstIndex(): number;
  lastIndex(): number;
  termAt(i: number): number;
}

const fingerprint = (e: Entry) => `${e.type}:${Buffer.from(e.data).toString("base64")}`;

export class SafetyChecker {
  private leaders = new Map<Term, NodeId>();
  /** index -> the committed entry, and a term by which it was surely committed. */
  private committed = new Map<number, { term: Term; fp: string; commitTermBound: Term; by: NodeId }>();
  private logEntries = new Map<string, { fp: string; prevTerm: Term; by: NodeId }>();
  maxCommitted = 0;
  checks = 0;

  onLeader(term: Term, id: NodeId, log: LogView): void {
    this.checks++;
    const other = this.leaders.get(term);
    if (other !== undefined && other !== id) throw new SafetyViolation(`two leaders in term ${term}: ${other} and ${id}`);
    this.leaders.set(term, id);
    // Leader completeness, for everything committed so far.
    for (const [index, c] of this.committed) {
      if (c.commitTermBound < term) this.checkHas(id, term, log, index, c.term);
    }
  }

  /** A node's log now holds `e`, after an entry of term `prevTerm`. */
  onAppend(id: NodeId, e: Entry, prevTerm: Term): void {
    this.checks++;
    const key = `${e.index}/${e.term}`;
    const fp = fingerprint(e);
    const seen = this.logEntries.get(key);
    if (!seen) {
      this.logEntries.set(key, { fp, prevTerm, by: id });
      return;
    }
    if (seen.fp !== fp) throw new SafetyViolation(`log matching: entry ${key} differs between ${seen.by} and ${id}`);
    if (seen.prevTerm !== prevTerm) {
      throw new SafetyViolation(`log matching: entry ${key} follows term ${seen.prevTerm} on ${seen.by} but ${prevTerm} on ${id}`);
    }
  }

  /** `id` applied `e` while at term `nodeTerm`; `leaders` are the nodes that currently think they lead. */
  onApply(id: NodeId, e: Entry, nodeTerm: Term, leaders: { id: NodeId; term: Term; log: LogView }[]): void {
    this.checks++;
    const fp = fingerprint(e);
    const c = this.committed.get(e.index);
    if (c) {
      if (c.term !== e.term || c.fp !== fp) {
        throw new SafetyViolation(`state machine safety: ${c.by} applied ${e.index}/${c.term} but ${id} applied ${e.index}/${e.term}`);
      }
      c.commitTermBound = Math.min(c.commitTermBound, nodeTerm);
      return;
    }
    this.committed.set(e.index, { term: e.term, fp, commitTermBound: nodeTerm, by: id });
    this.maxCommitted = Math.max(this.maxCommitted, e.index);
    for (const l of leaders) if (nodeTerm < l.term) this.checkHas(l.id, l.term, l.log, e.index, e.term);
  }

  /** After every step: one leader per term, and every leader of a later term holds the newest committed entry. */
  afterStep(leaders: { id: NodeId; term: Term; log: LogView }[]): void {
    this.checks++;
    for (const l of leaders) {
      const other = this.leaders.get(l.term);
      if (other !== undefined && other !== l.id) throw new SafetyViolation(`two leaders in term ${l.term}: ${other} and ${l.id}`);
      const c = this.committed.get(this.maxCommitted);
      if (c && c.commitTermBound < l.term) this.checkHas(l.id, l.term, l.log, this.maxCommitted, c.term);
    }
  }

  private checkHas(id: NodeId, term: Term, log: LogView, index: number, entryTerm: Term): void {
    if (index < log.firstIndex()) return; // compacted into a snapshot, which holds only committed entries
    if (index > log.lastIndex() || log.termAt(index) !== entryTerm) {
      const has = index > log.lastIndex() ? "nothing" : `term ${log.termAt(index)}`;
      throw new SafetyViolation(`leader completeness: leader ${id} of term ${term} has ${has} at committed index ${index} (term ${entryTerm})`);
    }
  }
}
