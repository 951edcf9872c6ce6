// The versioning controller: composes the ref manager (branches, tags, commits), the staging manager
// (uncommitted entries per staging token) and the committed manager (ranges and metaranges) into the
// operations users see. Every operation validates its input before it changes anything, and changes state
// with one compare-and-set at the end, so a failure leaves no partial result.
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from "../errors";
import type { Change } from "./committed/apply";
import { CommittedManager, CommittedOptions } from "./committed/manager";
import { commit, CommitOptions, importCommit } from "./commits";
import { collect, DiffEntry, DiffPageOptions, diffPages, diffUncommittedPages } from "./diffs";
import type { Entry } from "./entry";
import { Engine, makeCommit, newToken, pageSize, repoOf } from "./engine";
import { BranchId, branchId, CommitId, pathPrefix, repositoryId, StagingToken, tagId, TagId } from "./ids";
import { keys } from "./keys";
import type { KvStore } from "./kv/types";
import type { Listing } from "./listing";
import { cherryPick, merge, MergeOptions, revert } from "./merging";
import { deleteObject, getObject, ListOptions, listObjects, setObjects } from "./objects";
import { Page, RefManager } from "./refs/manager";
import type { Commit, Repository } from "./refs/records";
import { resetPrefix } from "./reset";
import { StagingManager } from "./staging/manager";

export interface GravelerOptions {
  kv: KvStore;
  committed: CommittedOptions;
  /** The clock for commit dates (tests pin it). */
  now?: () => Date;
}


export { MAX_PAGE } from "./engine";

export class Graveler {
  readonly refs: RefManager;
  readonly staging: StagingManager;
  readonly committed: CommittedManager;
  private readonly now: () => Date;
  private dropping: Promise<void> = Promise.resolve();
  /** What the operation files (objects, diffs, merging, reset) work with. */
  private readonly engine: Engine;

  constructor(private readonly options: GravelerOptions) {
    this.refs = new RefManager(options.kv);
    this.staging = new StagingManager(options.kv);
    this.committed = new CommittedManager(options.committed);
    this.now = options.now ?? (() => new Date());
    this.engine = {
      kv: options.kv,
      refs: this.refs,
      staging: this.staging,
      committed: this.committed,
      getRepository: (name) => this.getRepository(name),
      makeCommit: (fields, generation) => this.makeCommit(fields, generation),
      dropTokens: (tokens) => this.dropTokens(tokens),
    };
  }

  private repo(r: Repository) {
    return repoOf(r);
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
    if (prefix) return resetPrefix(this.engine, repo, id, prefix);
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

  // --- objects (objects.ts) ---

  async setObject(repoName: string, branch: string, p: string, entry: Entry): Promise<void> {
    await setObjects(this.engine, repoName, branch, [{ path: p, entry }]);
  }

  /** Stages many entries in one atomic write. */
  setObjects(repoName: string, branch: string, items: { path: string; entry: Entry }[]): Promise<void> {
    return setObjects(this.engine, repoName, branch, items);
  }

  /** Deletes a path from a branch: a tombstone when committed data (or a sealed token) has it. */
  deleteObject(repoName: string, branch: string, p: string): Promise<void> {
    return deleteObject(this.engine, repoName, branch, p);
  }

  getObject(repoName: string, ref: string, p: string): Promise<Entry> {
    return getObject(this.engine, repoName, ref, p);
  }

  statObject(repoName: string, ref: string, p: string): Promise<Entry> {
    return getObject(this.engine, repoName, ref, p);
  }

  listObjects(repoName: string, ref: string, options: ListOptions = {}): Promise<{ results: Listing[]; hasMore: boolean }> {
    return listObjects(this.engine, repoName, ref, options);
  }

  // --- commits ---

  private makeCommit(fields: Omit<Commit, "id" | "generation" | "creationDate">, generation: number): Commit {
    return makeCommit(this.now, fields, generation);
  }

  /**
   * Commits a branch's staged changes. The staging token is sealed first (new writes go to a fresh token and
   * land in the next commit); the head moves by compare-and-set, so of two concurrent commits one wins and the
   * other is refused, its sealed changes included in the winner.
   */
  commit(repoName: string, branch: string, options: CommitOptions): Promise<Commit> {
    return commit(this.engine, repoName, branch, options);
  }

  /** Bulk path: makes a commit on a branch straight from sorted [path, entry] pairs, replacing its tree. */
  importCommit(repoName: string, branch: string, entries: Iterable<[Buffer, Buffer]>, options: CommitOptions): Promise<Commit> {
    return importCommit(this.engine, repoName, branch, entries, options);
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

  // --- diff (diffs.ts) ---

  /**
   * Differences between the committed states of two refs (staging is not included): a page of `amount` after
   * `after`, or every difference when no amount is given (use diffPages for large diffs).
   */
  diff(repoName: string, leftRef: string, rightRef: string, page: { after?: string; amount?: number } = {}): Promise<DiffEntry[]> {
    return collect(diffPages(this.engine, repoName, leftRef, rightRef, { after: page.after, amount: page.amount ?? 10_000 }), page.amount !== undefined);
  }

  /** Differences between the committed states of two refs as a stream of pages (bounded memory). */
  diffPages(repoName: string, leftRef: string, rightRef: string, options: DiffPageOptions = {}): AsyncGenerator<DiffEntry[]> {
    return diffPages(this.engine, repoName, leftRef, rightRef, options);
  }

  /** The uncommitted changes of a branch in path order: a page when `amount` is given, else all of them. */
  diffUncommitted(repoName: string, branch: string, page: { after?: string; amount?: number } = {}): Promise<DiffEntry[]> {
    return collect(diffUncommittedPages(this.engine, repoName, branch, { after: page.after, amount: page.amount ?? 10_000 }), page.amount !== undefined);
  }

  /** The uncommitted changes of a branch as a stream of pages (bounded memory). */
  diffUncommittedPages(repoName: string, branch: string, options: DiffPageOptions = {}): AsyncGenerator<DiffEntry[]> {
    return diffUncommittedPages(this.engine, repoName, branch, options);
  }

  // --- merge, revert, cherry-pick (merging.ts) ---

  merge(repoName: string, sourceRef: string, destBranch: string, options: MergeOptions = {}): Promise<Commit> {
    return merge(this.engine, repoName, sourceRef, destBranch, options);
  }

  /** Makes a commit on the branch that undoes the changes a commit made relative to one of its parents. */
  revert(repoName: string, branch: string, ref: string, options: { parentNumber?: number; committer?: string; message?: string } = {}): Promise<Commit> {
    return revert(this.engine, repoName, branch, ref, options);
  }

  /** Applies the changes a commit made (relative to one of its parents) onto a branch as a new commit. */
  cherryPick(repoName: string, ref: string, branch: string, options: { parentNumber?: number; committer?: string } = {}): Promise<Commit> {
    return cherryPick(this.engine, repoName, ref, branch, options);
  }

  async close(): Promise<void> {
    await this.dropping;
    await this.committed.close();
    await this.options.kv.close();
  }
}

export type { Change, CommitOptions, Commit, Repository, Listing, ListOptions, DiffEntry, DiffPageOptions, MergeOptions };
