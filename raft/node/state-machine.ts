// What the runtime drives: the replicated state machine. raft/ knows nothing of what the commands mean.
import type { ConfChange, ConfState, Entry, NodeId, Snapshot } from "../types";

export interface StateMachine {
  /**
   * Applies committed commands in log order; `entries[i].data` is the command as proposed (no envelope).
   * Returns one result per entry, handed to the proposer's `propose()` promise. Must be deterministic.
   */
  apply(entries: Entry[]): Promise<Uint8Array[]> | Uint8Array[];
  /**
   * The last index whose effects are durable in the state machine (0 for an in-memory machine). After a
   * restart, entries up to it are not applied again.
   */
  appliedIndex?(): number;
  /**
   * Saves a snapshot of the state as of `index` (the last applied entry, whose term is `term`); returns
   * where it is. Runs off the runtime's loop: apply() is called with later entries before it settles, so
   * capture the state at `index` before the first await (or pin a database snapshot), or label the snapshot
   * with the later index it holds (restore() then skips entries up to that label). A rejection is logged,
   * counted and retried later; the node keeps running.
   */
  snapshot(index: number, term: number): Promise<string>;
  /**
   * Replaces the whole state with `snapshot`: read it from `snapshot.reference` (e.g. the object store), or
   * call `fetch()` to stream its bytes from the leader when there is no shared store.
   */
  restore(snapshot: Snapshot, fetch: () => Promise<Uint8Array>): Promise<void>;
  /**
   * The size in bytes of a snapshot this member made, when known. The runtime then paces snapshots by it: a
   * large state is not rewritten for a little log (see RaftNodeOptions.snapshotEntries).
   */
  snapshotBytes?(reference: string): number | undefined;
  /** The bytes of a snapshot this member made, served to followers by the fallback stream. */
  readSnapshot?(reference: string): Promise<Uint8Array>;
  /**
   * The members' peer addresses as this machine knows them: from the snapshot it restored and the
   * membership changes it was told of. The runtime puts them into its transport after a snapshot brings in
   * members it has no address for (a joiner, or a member restarted after compaction), so the state machine
   * should keep them in its snapshots.
   */
  memberAddresses?(): Record<NodeId, string>;
  /** Told about every applied membership change, after the fact. */
  onConfChange?(change: ConfChange, confState: ConfState): void;
}
