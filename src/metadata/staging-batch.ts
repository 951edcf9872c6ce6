// StageObjects: many staging writes in one repository as one key-value write, i.e. one Raft proposal and one
// LevelDB batch, the way databases commit a group. Each item is prepared and checked on its own (its branch,
// its path, its if_absent guard); the items that pass are written together in one atomic write carrying
// every item's preconditions (the repository record, each branch record, each if_absent guard's staged key).
// When the state machine refuses that write at apply time (a commit sealed a branch's token, another writer
// staged a guarded path meanwhile), the records are read again linearizably and every item still pending is
// checked again from scratch, as stageOnBranch does for one write: an item whose guard now finds its path
// fails alone, and the rest are written in the next attempt. So each item lands whole or not at all, but the
// batch as a whole is not a transaction: a refused item leaves the others staged.
//
// Items apply in request order: an if_absent item sees the items before it in the same batch (of two items
// for one new path, both if_absent, the second fails as it would after the first). Items whose mutations
// would make a command too large go in a following write.
import { hasCode, TarnError } from "../errors";
import type { BranchId, KvMutation, KvPrecondition, Path, StagingToken } from "../graveler";
import { keys } from "../graveler/keys";
import type { ServiceDeps } from "./handler";
import { absentGuard, pathExists, stagingTarget, STAGE_RETRIES, type StagingTarget } from "./staging-write";

/** Mutations of one write, in encoded bytes (well below the Raft command limit of 4 MiB). */
const WRITE_BUDGET = 2 * 1024 * 1024;

/** One staging write of a batch, ready to go (its entry checked and encoded). */
export interface BatchItem {
  branch: string;
  path: Path;
  ifAbsent: boolean;
  /** What the item writes into the branch's current staging token. */
  mutations(token: StagingToken, branch: BranchId): KvMutation[];
  /** Whether the path exists through the branch (for if_absent). */
  exists(target: StagingTarget): Promise<boolean>;
}

/** Decides whether an error concerns one item (reported with it) or the whole call (thrown). */
export type PerItem = (err: unknown) => err is TarnError;

type Reads = Pick<ServiceDeps, "kv" | "memberReads">;

/**
 * The staging target of each branch named, or the error a staging call on it would get (per-item errors
 * only; anything else is thrown). `fresh` reads linearizably.
 */
export async function batchTargets(deps: Reads, repository: string, branches: Iterable<string>, perItem: PerItem, fresh = false): Promise<Map<string, StagingTarget | TarnError>> {
  const names = [...new Set(branches)];
  const found = await Promise.all(
    names.map((b) =>
      stagingTarget(deps, repository, b, fresh).catch((err: unknown) => {
        if (perItem(err)) return err;
        throw err;
      }),
    ),
  );
  return new Map(names.map((b, i) => [b, found[i]]));
}

/**
 * Writes `items` (an error in place of an item that already failed) in order, as few writes as their size
 * allows; resolves to each item's error, undefined for the items staged.
 */
export async function stageBatch(deps: Reads, repository: string, items: (BatchItem | TarnError)[], firstTargets: Map<string, StagingTarget | TarnError>, perItem: PerItem): Promise<(TarnError | undefined)[]> {
  const outcome: (TarnError | undefined | "pending")[] = items.map((it) => (it instanceof TarnError ? it : "pending"));
  let targets = firstTargets;
  let failures = 0;
  let written = false;
  for (;;) {
    const pending = items.flatMap((_it, i) => (outcome[i] === "pending" ? [i] : []));
    if (pending.length === 0) return outcome as (TarnError | undefined)[];
    const attempt = await buildWrite(deps, items as BatchItem[], pending, targets, perItem);
    for (const [i, err] of attempt.refused) outcome[i] = err;
    if (attempt.included.length === 0) continue;
    try {
      await deps.kv.write({ preconditions: attempt.preconditions, mutations: attempt.mutations });
      for (const i of attempt.included) outcome[i] = undefined;
      written = true;
      continue;
    } catch (err) {
      const lostRace = hasCode(err, "FAILED_PRECONDITION");
      if (!lostRace || failures >= STAGE_RETRIES) {
        // Nothing written yet: the call fails as one StageObject would (the SDK retries UNAVAILABLE). Once
        // some items are staged, the rest report the error each, so the staged ones are not reported lost.
        if (!written || !(err instanceof TarnError)) throw err;
        for (const i of attempt.included) outcome[i] = err;
        continue;
      }
      failures++;
    }
    const again = items.flatMap((it, i) => (outcome[i] === "pending" ? [(it as BatchItem).branch] : []));
    targets = await batchTargets(deps, repository, again, perItem, true);
    for (const [branch, t] of targets) {
      const before = firstTargets.get(branch);
      if (t instanceof TarnError || before instanceof TarnError || !before || t.repository.storageNamespace === before.repository.storageNamespace) continue;
      targets.set(branch, new TarnError("FAILED_PRECONDITION", `repository ${t.repository.id} was deleted and created again over another storage namespace while staging`));
    }
  }
}

interface Write {
  /** Indexes of the items in this write, in order. */
  included: number[];
  /** Items refused while building it (branch missing, if_absent finding the path). */
  refused: [number, TarnError][];
  preconditions: KvPrecondition[];
  mutations: KvMutation[];
}

/** The next write: the longest run of pending items that fits WRITE_BUDGET, each checked against `targets`. */
async function buildWrite(deps: Reads, items: BatchItem[], pending: number[], targets: Map<string, StagingTarget | TarnError>, perItem: PerItem): Promise<Write> {
  const write: Write = { included: [], refused: [], preconditions: [], mutations: [] };
  // The guards read concurrently (one ReadIndex round between them), in request order once read.
  const guards = await Promise.all(
    pending.map(async (i) => {
      const it = items[i];
      const target = targets.get(it.branch);
      if (!target || target instanceof TarnError || !it.ifAbsent) return undefined;
      try {
        return await absentGuard(deps, it.exists, it.path)(target);
      } catch (err) {
        if (perItem(err)) return err;
        throw err;
      }
    }),
  );
  const records = new Set<string>();
  /** Paths written by earlier items of this write, by branch. */
  const staged = new Set<string>();
  let bytes = 0;
  for (const [n, i] of pending.entries()) {
    const it = items[i];
    const target = targets.get(it.branch);
    const guard = guards[n];
    if (!target || target instanceof TarnError) {
      write.refused.push([i, target ?? new TarnError("INTERNAL", `no staging target for branch ${it.branch}`)]);
      continue;
    }
    if (guard instanceof TarnError) {
      write.refused.push([i, guard]);
      continue;
    }
    const at = `${it.branch}\u0000${it.path}`;
    if (it.ifAbsent && staged.has(at)) {
      write.refused.push([i, pathExists(target, it.path)]);
      continue;
    }
    const mutations = it.mutations(target.branch.record.stagingToken, target.branch.id);
    const size = mutations.reduce((s, m) => s + m.key.length + (m.op === "put" ? m.value.length : 0), 0);
    // Always one item at least; the rest wait for the next write (and are checked again then).
    if (write.included.length > 0 && bytes + size > WRITE_BUDGET) break;
    bytes += size;
    if (records.size === 0) write.preconditions.push({ key: keys.repository(target.repository.id), equals: target.repositoryRaw });
    if (!records.has(it.branch)) {
      records.add(it.branch);
      write.preconditions.push({ key: keys.branch(target.repository.id, target.branch.id), equals: target.branch.raw });
    }
    // Guards of later items for a path an earlier item writes are not added: that item was refused above.
    if (guard) write.preconditions.push(...guard);
    write.mutations.push(...mutations);
    write.included.push(i);
    staged.add(at);
  }
  return write;
}
