// The versioning controller: composes the ref manager (branches, tags, commits), the staging manager
// (uncommitted entries per staging token) and the committed manager (ranges and metaranges) into the
// operations users see. Every operation validates its input before it changes anything, and changes state
// with one compare-and-set at the end, so a failure leaves no partial result.
import { randomBytes } from "node:crypto";
import { alreadyExists, failedPrecondition, hasCode, invalidArgument, notFound } from "../errors";
import type { Change } from "./committed/apply";
import { CommittedManager, CommittedOptions, Repo } from "./committed/manager";
import type { MergeStrategy } from "./committed/merge";
import { decodeEntry, Entry, encodeEntry, sameIdentity } from "./entry";
import { BranchId, branchId, CommitId, MetaRangeId, path as validPath, pathPrefix, repositoryId, StagingToken, tagId, TagId } from "./ids";
import type { KvStore } from "./kv/types";
import { keys } from "./keys";
import { computeCommitId } from "./refs/commit-id";
import { Branch, Page, RefManager, ResolvedRef } from "./refs/manager";
import type { BranchRecord, Commit, Repository } from "./refs/records";
import { MergedStagingCursor, stagedChunks } from "./staging/cursor";
import { StagingManager } from "./staging/manager";
import { listPage, Listing } from "./listing";
import { ViewCursor } from "./view";

export interface GravelerOptions {
  kv: KvStore;
  committed: CommittedOptions;
  /** The clock for commit dates (tests pin it). */
  now?: () => Date;
}

export interface CommitOptions {
  message: string;
  committer?: string;
  metadata?: Record<string, string>;
  allowEmpty?: boolean;
}

export interface ListOptions {
  prefix?: string;
  delimiter?: string;
  after?: string;
  amount?: number;
}


export interface DiffEntry {
  type: "added" | "removed" | "changed";
  path: string;
  /** The entry on the right side (the left one for "removed"). */
  entry: Entry;
}

export interface MergeOptions {
  strategy?: MergeStrategy;
  message?: string;
  committer?: string;
  metadata?: Record<string, string>;
}

const STAGE_RETRIES = 20;
/** The largest page a listing, log or diff returns: bounds the memory one call can take. */
export const MAX_PAGE = 100_000;

function pageSize(amount: number | undefined, fallback: number): number {
  const n = amount ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw invalidArgument(`invalid amount ${n}: must be an integer from 1 to ${MAX_PAGE}`);
  return n;
}
const newToken = () => randomBytes(16).toString("hex") as StagingToken;

export class Graveler {
  readonly refs: RefManager;
  readonly staging: StagingManager;
  readonly committed: CommittedManager;
  private readonly now: () => Date;
  private dropping: Promise<void> = Promise.resolve();

  constructor(private readonly options: GravelerOptions) {
    this.refs = new RefManager(options.kv);
    this.staging = new StagingManager(options.kv);
    this.committed = new CommittedManager(options.committed);
    this.now = options.now ?? (() => new Date());
  }

  private repo(r: Repository): Repo {
    return { name: r.id, storageNamespace: r.storageNamespace };
  }

  // --- repositories ---

  async createRepository(name: string, storageNamespace: string, options: { defaultBranch?: string } = {}): Promise<Repository> {
    const id = repositoryId(name);
    const defaultBranch = branchId(options.defaultBranch ?? "main");
    if (!storageNamespace || /\s/.test(storageNamespace)) throw invalidArgument(`invalid storage namespace ${JSON.stringify(storageNamespace)}`);
    if (await this.options.kv.get(keys.repository(id))) throw alreadyExists(`repository ${id} already exists`);
    const claimed = await this.options.kv.get(keys.namespace(storageNamespace));
    if (claimed) throw alreadyExists(`storage namespace ${storageNamespace} is already used by repository ${claimed.value.toString()}`);
    const repository: Repository = { id, storageNamespace, defaultBranch, creationDate: this.now().toISOString() };
    const metaRangeId = await this.committed.emptyMetaRange(this.repo(repository));
    const initial = this.makeCommit({ committer: "", message: "Repository created", metaRangeId, parents: [], metadata: {} }, 0);
    await this.refs.createRepository(repository, initial, { commitId: initial.id, stagingToken: newToken(), sealedTokens: [] });
    return repository;
  }

  getRepository(name: string): Promise<Repository> {
    return this.refs.getRepository(repositoryId(name));
  }

  listRepositories(page: Page = {}): Promise<Repository[]> {
    return this.refs.listRepositories(page);
  }

  async deleteRepository(name: string): Promise<void> {
    const branches = await this.refs.deleteRepository(repositoryId(name));
    for (const b of branches) this.dropTokens([b.record.stagingToken, ...b.record.sealedTokens]);
  }

  // --- branches ---

  async createBranch(repoName: string, name: string, sourceRef: string): Promise<{ id: BranchId; commitId: CommitId }> {
    const repo = await this.getRepository(repoName);
    const id = branchId(name);
    const source = await this.refs.resolve(repo.id, sourceRef);
    await this.refs.createBranch(repo.id, id, { commitId: source.commitId, stagingToken: newToken(), sealedTokens: [] });
    return { id, commitId: source.commitId };
  }

  async getBranch(repoName: string, name: string): Promise<{ id: BranchId; commitId: CommitId }> {
    const b = await this.refs.getBranch(repositoryId(repoName), branchId(name));
    return { id: b.id, commitId: b.record.commitId };
  }

  async listBranches(repoName: string, page: Page = {}): Promise<{ id: BranchId; commitId: CommitId }[]> {
    const repo = await this.getRepository(repoName);
    return (await this.refs.listBranches(repo.id, page)).map((b) => ({ id: b.id, commitId: b.record.commitId }));
  }

  async deleteBranch(repoName: string, name: string): Promise<void> {
    const repo = await this.getRepository(repoName);
    const id = branchId(name);
    if (id === repo.defaultBranch) throw failedPrecondition(`branch ${id} is the default branch of repository ${repo.id} and cannot be deleted`);
    const branch = await this.refs.getBranch(repo.id, id);
    await this.refs.deleteBranch(repo.id, branch);
    this.dropTokens([branch.record.stagingToken, ...branch.record.sealedTokens]);
  }

  /** Drops uncommitted changes: all of them, or only those under a path prefix. */
  async resetBranch(repoName: string, name: string, options: { prefix?: string } = {}): Promise<void> {
    const repo = await this.getRepository(repoName);
    const id = branchId(name);
    const prefix = pathPrefix(options.prefix);
    if (prefix) {
      const branch = await this.refs.getBranch(repo.id, id);
      for (const token of [branch.record.stagingToken, ...branch.record.sealedTokens]) await this.staging.drop(token, prefix);
      return;
    }
    const branch = await this.refs.getBranch(repo.id, id);
    await this.refs.updateBranch(repo.id, branch, { commitId: branch.record.commitId, stagingToken: newToken(), sealedTokens: [] });
    this.dropTokens([branch.record.stagingToken, ...branch.record.sealedTokens]);
  }

  /** Points a branch at the commit a ref resolves to and drops its uncommitted changes. */
  async hardResetBranch(repoName: string, name: string, ref: string): Promise<void> {
    const repo = await this.getRepository(repoName);
    const branch = await this.refs.getBranch(repo.id, branchId(name));
    const target = await this.refs.resolve(repo.id, ref);
    await this.refs.updateBranch(repo.id, branch, { commitId: target.commitId, stagingToken: newToken(), sealedTokens: [] });
    this.dropTokens([branch.record.stagingToken, ...branch.record.sealedTokens]);
  }

  /**
   * Deletes the entries of staging tokens no branch refers to any more. It runs in the background: nothing
   * reads a dropped token, and a commit should not wait for a million deletes. `close` waits for it.
   */
  private dropTokens(tokens: StagingToken[]): void {
    const run = this.dropping.then(async () => {
      for (const t of tokens) await this.staging.drop(t);
    });
    this.dropping = run.catch(() => undefined);
  }

  /** Resolves when every background drop of staging tokens has finished. */
  async settled(): Promise<void> {
    await this.dropping;
  }

  // --- tags ---

  async createTag(repoName: string, name: string, ref: string): Promise<{ id: TagId; commitId: CommitId }> {
    const repo = await this.getRepository(repoName);
    const id = tagId(name);
    const target = await this.refs.resolve(repo.id, ref);
    await this.refs.createTag(repo.id, id, target.commitId);
    return { id, commitId: target.commitId };
  }

  async getTag(repoName: string, name: string): Promise<CommitId> {
    const repo = await this.getRepository(repoName);
    const c = await this.refs.getTag(repo.id, tagId(name));
    if (!c) throw notFound(`tag ${name} not found in repository ${repo.id}`);
    return c;
  }

  async listTags(repoName: string, page: Page = {}): Promise<{ id: TagId; commitId: CommitId }[]> {
    return this.refs.listTags((await this.getRepository(repoName)).id, page);
  }

  async deleteTag(repoName: string, name: string): Promise<void> {
    const repo = await this.getRepository(repoName);
    await this.refs.deleteTag(repo.id, tagId(name));
  }

  // --- objects ---

  /**
   * Stages changes on a branch: each goes into the branch's current staging token, atomically with a check that
   * the token is still current (a commit sealing it concurrently makes the write retry into the new token).
   */
  private async stage(repo: Repository, branch: BranchId, items: { path: string; value: Buffer | undefined }[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const b = await this.refs.getBranch(repo.id, branch);
      try {
        await this.options.kv.write({
          preconditions: [{ key: keys.branch(repo.id, branch), equals: b.raw }],
          mutations: items.map((i) => this.staging.setMutation(b.record.stagingToken, i.path, i.value)),
        });
        return;
      } catch (err) {
        if (!hasCode(err, "FAILED_PRECONDITION") || attempt >= STAGE_RETRIES) throw err;
      }
    }
  }

  async setObject(repoName: string, branch: string, p: string, entry: Entry): Promise<void> {
    await this.setObjects(repoName, branch, [{ path: p, entry }]);
  }

  /** Stages many entries in one atomic write. */
  async setObjects(repoName: string, branch: string, items: { path: string; entry: Entry }[]): Promise<void> {
    const repo = await this.getRepository(repoName);
    const id = branchId(branch);
    const values = items.map((i) => ({ path: validPath(i.path) as string, value: encodeEntry(i.entry) }));
    await this.stage(repo, id, values);
  }

  /** Deletes a path from a branch: a tombstone when committed data (or a sealed token) has it. */
  async deleteObject(repoName: string, branch: string, p: string): Promise<void> {
    const repo = await this.getRepository(repoName);
    const id = branchId(branch);
    const key = Buffer.from(validPath(p));
    const b = await this.refs.getBranch(repo.id, id);
    if ((await this.lookup(repo, b, key)) === undefined) throw notFound(`object ${p} not found on branch ${id} of repository ${repo.id}`);
    // A tombstone is always correct; the plain delete is an optimisation that keeps staging small.
    await this.stage(repo, id, [{ path: p, value: undefined }]);
  }

  private async lookup(repo: Repository, branch: Branch | undefined, key: Buffer, commitId?: CommitId): Promise<Buffer | undefined> {
    if (branch) {
      for (const token of [branch.record.stagingToken, ...branch.record.sealedTokens]) {
        const staged = await this.staging.get(token, key);
        if (staged) return staged.value;
      }
    }
    const commit = await this.refs.getCommit(repo.id, commitId ?? branch!.record.commitId);
    return this.committed.get(this.repo(repo), commit.metaRangeId, key);
  }

  async getObject(repoName: string, ref: string, p: string): Promise<Entry> {
    const repo = await this.getRepository(repoName);
    const key = Buffer.from(validPath(p));
    const resolved = await this.refs.resolve(repo.id, ref);
    const value = await this.lookup(repo, resolved.branch, key, resolved.commitId);
    if (value === undefined) throw notFound(`object ${p} not found at ref ${ref} of repository ${repo.id}`);
    return decodeEntry(value, `entry ${p} of repository ${repo.id}`);
  }

  statObject(repoName: string, ref: string, p: string): Promise<Entry> {
    return this.getObject(repoName, ref, p);
  }

  async listObjects(repoName: string, ref: string, options: ListOptions = {}): Promise<{ results: Listing[]; hasMore: boolean }> {
    const repo = await this.getRepository(repoName);
    const prefix = Buffer.from(pathPrefix(options.prefix));
    const delimiter = Buffer.from(pathPrefix(options.delimiter, "delimiter"));
    const after = Buffer.from(pathPrefix(options.after, "after"));
    const amount = pageSize(options.amount, 1000);
    const resolved = await this.refs.resolve(repo.id, ref);
    const cursor = await this.viewCursor(repo, resolved, prefix);
    try {
      return await listPage(cursor, { prefix, delimiter, after, amount }, (key, value) => decodeEntry(value, `entry ${key.toString()} of repository ${repo.id}`));
    } finally {
      cursor.close();
    }
  }

  private async viewCursor(repo: Repository, resolved: ResolvedRef, prefix: Buffer): Promise<ViewCursor> {
    const commit = await this.refs.getCommit(repo.id, resolved.commitId);
    const committed = await this.committed.cursor(this.repo(repo), commit.metaRangeId);
    const b = resolved.branch?.record;
    const staged = b ? new MergedStagingCursor(this.staging, [b.stagingToken, ...b.sealedTokens], prefix) : undefined;
    return new ViewCursor(staged, committed);
  }

  // --- commits ---

  private makeCommit(fields: Omit<Commit, "id" | "generation" | "creationDate">, generation: number): Commit {
    const creationDate = Math.floor(this.now().getTime() / 1000);
    const content = { ...fields, creationDate };
    return { ...content, id: computeCommitId(content), generation: generation + 1 };
  }

  /**
   * Commits a branch's staged changes. The staging token is sealed first (new writes go to a fresh token and
   * land in the next commit); the head moves by compare-and-set, so of two concurrent commits one wins and the
   * other is refused, its sealed changes included in the winner.
   */
  async commit(repoName: string, branch: string, options: CommitOptions): Promise<Commit> {
    const repo = await this.getRepository(repoName);
    const id = branchId(branch);
    if (typeof options.message !== "string") throw invalidArgument("commit message is required");
    const sealed = await this.seal(repo, id, options.allowEmpty ?? false);
    const head = await this.refs.getCommit(repo.id, sealed.record.commitId);
    const result = await this.committed.apply(this.repo(repo), head.metaRangeId, stagedChunks(this.staging, sealed.record.sealedTokens));
    const unchanged = result.metaRangeId === head.metaRangeId;
    const done: BranchRecord = { commitId: head.id, stagingToken: sealed.record.stagingToken, sealedTokens: [] };
    if (unchanged && !options.allowEmpty) {
      // Every sealed change was a no-op: unseal so that nothing visible changed, then refuse.
      await this.refs.updateBranch(repo.id, sealed, done).catch(() => undefined);
      this.dropTokens(sealed.record.sealedTokens);
      throw failedPrecondition(`no changes to commit on branch ${id} of repository ${repo.id}`);
    }
    const commit = this.makeCommit(
      { committer: options.committer ?? "", message: options.message, metaRangeId: result.metaRangeId, parents: [head.id], metadata: options.metadata ?? {} },
      head.generation,
    );
    try {
      await this.refs.updateBranch(repo.id, sealed, { ...done, commitId: commit.id }, [this.refs.commitMutation(repo.id, commit)]);
    } catch (err) {
      if (hasCode(err, "FAILED_PRECONDITION")) throw failedPrecondition(`commit on branch ${id} of repository ${repo.id} refused: the branch moved while committing (a concurrent commit or reset); its changes were not lost, retry if anything is left`, err);
      throw err;
    }
    this.dropTokens(sealed.record.sealedTokens);
    return commit;
  }

  /** Seals the branch's staging token (retrying when the branch moves meanwhile); refuses when nothing is staged. */
  private async seal(repo: Repository, id: BranchId, allowEmpty: boolean): Promise<Branch> {
    for (let attempt = 0; ; attempt++) {
      const before = await this.refs.getBranch(repo.id, id);
      const pending = before.record.sealedTokens.length > 0 || !(await this.staging.isEmpty(before.record.stagingToken));
      if (!pending && !allowEmpty) throw failedPrecondition(`no changes to commit on branch ${id} of repository ${repo.id}`);
      try {
        return await this.refs.updateBranch(repo.id, before, {
          commitId: before.record.commitId,
          stagingToken: newToken(),
          sealedTokens: [before.record.stagingToken, ...before.record.sealedTokens],
        });
      } catch (err) {
        if (!hasCode(err, "FAILED_PRECONDITION") || attempt >= STAGE_RETRIES) throw err;
      }
    }
  }

  /** Bulk path: makes a commit on a branch straight from sorted [path, entry] pairs, replacing its tree. */
  async importCommit(repoName: string, branch: string, entries: Iterable<[Buffer, Buffer]>, options: CommitOptions): Promise<Commit> {
    const repo = await this.getRepository(repoName);
    const b = await this.refs.getBranch(repo.id, branchId(branch));
    const head = await this.refs.getCommit(repo.id, b.record.commitId);
    const metaRangeId = await this.committed.importSorted(this.repo(repo), entries);
    const commit = this.makeCommit({ committer: options.committer ?? "", message: options.message, metaRangeId, parents: [head.id], metadata: options.metadata ?? {} }, head.generation);
    await this.refs.updateBranch(repo.id, b, { ...b.record, commitId: commit.id }, [this.refs.commitMutation(repo.id, commit)]);
    return commit;
  }

  async getCommit(repoName: string, ref: string): Promise<Commit> {
    const repo = await this.getRepository(repoName);
    return this.refs.getCommit(repo.id, (await this.refs.resolve(repo.id, ref)).commitId);
  }

  async log(repoName: string, ref: string, options: { amount?: number; after?: string; firstParent?: boolean } = {}): Promise<Commit[]> {
    const repo = await this.getRepository(repoName);
    const from = await this.refs.resolve(repo.id, ref);
    return this.refs.log(repo.id, from.commitId, { ...options, amount: pageSize(options.amount, 100), after: options.after as CommitId | undefined });
  }

  // --- diff ---

  private toDiffEntries(repo: Repository, diffs: { type: DiffEntry["type"]; key: Buffer; left?: Buffer; right?: Buffer }[]): DiffEntry[] {
    return diffs.map((d) => ({
      type: d.type,
      path: d.key.toString("utf8"),
      entry: decodeEntry((d.type === "removed" ? d.left : d.right)!, `entry ${d.key.toString()} of repository ${repo.id}`),
    }));
  }

  /** Differences between the committed states of two refs (staging is not included). */
  async diff(repoName: string, leftRef: string, rightRef: string, page: { after?: string; amount?: number } = {}): Promise<DiffEntry[]> {
    const repo = await this.getRepository(repoName);
    const [l, r] = await Promise.all([leftRef, rightRef].map((ref) => this.refs.resolve(repo.id, ref)));
    const [lc, rc] = await Promise.all([l, r].map((x) => this.refs.getCommit(repo.id, x.commitId)));
    const after = page.after ? Buffer.from(pathPrefix(page.after, "after")) : undefined;
    const limit = page.amount === undefined ? undefined : pageSize(page.amount, 1000);
    const diffs = await this.committed.diff(this.repo(repo), lc.metaRangeId, rc.metaRangeId, { after, limit });
    return this.toDiffEntries(repo, diffs);
  }

  /** The uncommitted changes of a branch: staged entries that differ from its head commit. */
  async diffUncommitted(repoName: string, branch: string): Promise<DiffEntry[]> {
    const repo = await this.getRepository(repoName);
    const b = await this.refs.getBranch(repo.id, branchId(branch));
    const head = await this.refs.getCommit(repo.id, b.record.commitId);
    const out: DiffEntry[] = [];
    for await (const chunk of stagedChunks(this.staging, [b.record.stagingToken, ...b.record.sealedTokens], 5000)) {
      const committed = await this.committed.getMany(this.repo(repo), head.metaRangeId, chunk.map((c) => c.key));
      chunk.forEach((c, i) => {
        const old = committed[i];
        if (c.value === undefined && old === undefined) return;
        if (c.value !== undefined && old !== undefined && sameIdentity(c.value, old)) return;
        const type = c.value === undefined ? "removed" : old === undefined ? "added" : "changed";
        out.push(...this.toDiffEntries(repo, [{ type, key: c.key, left: old, right: c.value }]));
      });
    }
    return out;
  }

  // --- merge, revert, cherry-pick ---

  private async cleanBranch(repo: Repository, id: BranchId, operation: string): Promise<Branch> {
    const b = await this.refs.getBranch(repo.id, id);
    if (b.record.sealedTokens.length > 0 || !(await this.staging.isEmpty(b.record.stagingToken))) {
      throw failedPrecondition(`${operation} refused: branch ${id} of repository ${repo.id} has uncommitted changes (commit or reset them first)`);
    }
    return b;
  }

  /** Applies base→source onto the branch head three-way and commits the result with the given parents. */
  private async applyThreeWay(repo: Repository, dest: Branch, base: MetaRangeId, source: MetaRangeId, strategy: MergeStrategy, commit: Omit<Commit, "id" | "generation" | "creationDate" | "metaRangeId">, generation: number): Promise<Commit> {
    const head = await this.refs.getCommit(repo.id, dest.record.commitId);
    const result = await this.committed.merge(this.repo(repo), base, source, head.metaRangeId, strategy);
    const made = this.makeCommit({ ...commit, metaRangeId: result.metaRangeId }, generation);
    await this.refs.updateBranch(repo.id, dest, { ...dest.record, commitId: made.id }, [this.refs.commitMutation(repo.id, made)]);
    return made;
  }

  async merge(repoName: string, sourceRef: string, destBranch: string, options: MergeOptions = {}): Promise<Commit> {
    const repo = await this.getRepository(repoName);
    const strategy = options.strategy ?? "none";
    if (!["none", "source-wins", "dest-wins"].includes(strategy)) throw invalidArgument(`invalid merge strategy ${JSON.stringify(strategy)}: use none, source-wins or dest-wins`);
    const destId = branchId(destBranch);
    const source = await this.refs.getCommit(repo.id, (await this.refs.resolve(repo.id, sourceRef)).commitId);
    const dest = await this.cleanBranch(repo, destId, `merge into ${destId}`);
    const destHead = await this.refs.getCommit(repo.id, dest.record.commitId);
    const base = await this.refs.mergeBase(repo.id, source.id, destHead.id);
    if (!base) throw failedPrecondition(`merge refused: ${sourceRef} and ${destId} have no common ancestor in repository ${repo.id}`);
    if (base.id === source.id) throw failedPrecondition(`merge refused: no changes, ${sourceRef} is already merged into ${destId}`);
    return this.applyThreeWay(
      repo, dest, base.metaRangeId, source.metaRangeId, strategy,
      { committer: options.committer ?? "", message: options.message ?? `Merge '${sourceRef}' into '${destId}'`, parents: [destHead.id, source.id], metadata: options.metadata ?? {} },
      Math.max(destHead.generation, source.generation),
    );
  }

  private async parentOf(repo: Repository, commit: Commit, parentNumber: number | undefined, operation: string): Promise<Commit> {
    if (commit.parents.length === 0) throw failedPrecondition(`${operation} refused: commit ${commit.id} has no parent`);
    if (commit.parents.length > 1 && parentNumber === undefined) throw invalidArgument(`${operation}: commit ${commit.id} is a merge; give a parent number (1 to ${commit.parents.length})`);
    const n = parentNumber ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > commit.parents.length) throw invalidArgument(`${operation}: parent number ${n} out of range 1 to ${commit.parents.length}`);
    return this.refs.getCommit(repo.id, commit.parents[n - 1]);
  }

  /** Makes a commit on the branch that undoes the changes a commit made relative to one of its parents. */
  async revert(repoName: string, branch: string, ref: string, options: { parentNumber?: number; committer?: string; message?: string } = {}): Promise<Commit> {
    const repo = await this.getRepository(repoName);
    const id = branchId(branch);
    const target = await this.refs.getCommit(repo.id, (await this.refs.resolve(repo.id, ref)).commitId);
    const parent = await this.parentOf(repo, target, options.parentNumber, "revert");
    const dest = await this.cleanBranch(repo, id, `revert on ${id}`);
    const head = await this.refs.getCommit(repo.id, dest.record.commitId);
    return this.applyThreeWay(repo, dest, target.metaRangeId, parent.metaRangeId, "none",
      { committer: options.committer ?? "", message: options.message ?? `Revert ${target.id}`, parents: [head.id], metadata: {} }, head.generation);
  }

  /** Applies the changes a commit made (relative to one of its parents) onto a branch as a new commit. */
  async cherryPick(repoName: string, ref: string, branch: string, options: { parentNumber?: number; committer?: string } = {}): Promise<Commit> {
    const repo = await this.getRepository(repoName);
    const id = branchId(branch);
    const target = await this.refs.getCommit(repo.id, (await this.refs.resolve(repo.id, ref)).commitId);
    const parent = await this.parentOf(repo, target, options.parentNumber, "cherry-pick");
    const dest = await this.cleanBranch(repo, id, `cherry-pick onto ${id}`);
    const head = await this.refs.getCommit(repo.id, dest.record.commitId);
    return this.applyThreeWay(repo, dest, parent.metaRangeId, target.metaRangeId, "none",
      { committer: options.committer ?? target.committer, message: target.message, parents: [head.id], metadata: { ...target.metadata, cherry_picked_from: target.id } }, head.generation);
  }

  async close(): Promise<void> {
    await this.dropping;
    await this.committed.close();
    await this.options.kv.close();
  }
}

export type { Change, Commit, Repository, Listing };
