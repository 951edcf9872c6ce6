// The ref manager: repositories, branches, tags and commits in the key-value store. Branch heads move only by
// compare-and-set on the branch record, so concurrent updates never overwrite each other silently.
import { alreadyExists, failedPrecondition, hasCode, invalidArgument, notFound } from "../../errors";
import type { KvMutation, KvPrecondition, KvStore } from "../kv/types";
import { scanAll } from "../kv/types";
import { BranchId, CommitId, isFullHash, RepositoryId, TagId } from "../ids";
import { keys } from "../keys";
import { CommitCache } from "./commit-cache";
import { parseRef } from "./expression";
import { findMergeBase, walkLog } from "./history";
import { BranchRecord, Commit, decodeRecord, encodeRecord, Repository } from "./records";

export interface Branch {
  id: BranchId;
  record: BranchRecord;
  /** The stored bytes, the expected value of a compare-and-set. */
  raw: Buffer;
}

export interface ResolvedRef {
  type: "branch" | "tag" | "commit";
  commitId: CommitId;
  /** Set when the ref names a branch without `@` or modifiers: reads include its staged entries. */
  branch?: Branch;
}

export interface Page {
  after?: string;
  amount?: number;
}

const MIN_PREFIX = 4;

export class RefManager {
  private readonly commits = new CommitCache();

  constructor(private readonly kv: KvStore) {}

  // --- repositories ---

  async getRepository(id: RepositoryId): Promise<Repository> {
    const r = await this.kv.get(keys.repository(id));
    if (!r) throw notFound(`repository ${id} not found`);
    return decodeRecord<Repository>(r.value, `repository ${id}`);
  }

  /** Creates the repository with its namespace claim, initial commit and default branch, all or nothing. */
  async createRepository(repo: Repository, initial: Commit, branch: BranchRecord): Promise<void> {
    const nsKey = keys.namespace(repo.storageNamespace);
    const claimedBy = await this.kv.get(nsKey);
    if (claimedBy) throw alreadyExists(`storage namespace ${repo.storageNamespace} is already used by repository ${claimedBy.value.toString()}`);
    try {
      await this.kv.write({
        preconditions: [{ key: keys.repository(repo.id), absent: true }, { key: nsKey, absent: true }],
        mutations: [
          { op: "put", key: keys.repository(repo.id), value: encodeRecord(repo) },
          { op: "put", key: nsKey, value: Buffer.from(repo.id) },
          { op: "put", key: keys.commit(repo.id, initial.id), value: encodeRecord(initial) },
          { op: "put", key: keys.branch(repo.id, repo.defaultBranch), value: encodeRecord(branch) },
        ],
      });
    } catch (err) {
      if (!hasCode(err, "FAILED_PRECONDITION")) throw err;
      if (await this.kv.get(keys.repository(repo.id))) throw alreadyExists(`repository ${repo.id} already exists`);
      throw alreadyExists(`storage namespace ${repo.storageNamespace} is already used by another repository`);
    }
  }

  async listRepositories(page: Page = {}): Promise<Repository[]> {
    const prefix = keys.repositories();
    const records = await this.kv.scan({ prefix, after: page.after ? keys.repository(page.after as RepositoryId) : undefined, limit: page.amount ?? 1000 });
    return records.map((r) => decodeRecord<Repository>(r.value, `repository ${r.key.toString()}`));
  }

  /** Deletes every record of the repository; returns the staging tokens of its branches for the caller to drop. */
  async deleteRepository(id: RepositoryId): Promise<Branch[]> {
    const repo = await this.getRepository(id);
    const branches = await this.listBranches(id, { amount: Number.MAX_SAFE_INTEGER });
    this.commits.forgetRepository(id);
    await this.kv.write({
      mutations: [
        { op: "delete", key: keys.repository(id) },
        { op: "delete", key: keys.namespace(repo.storageNamespace) },
      ],
    });
    for (const prefix of [keys.branches(id), keys.tags(id), keys.commits(id), keys.uploads(id)]) await this.deleteUnder(prefix);
    return branches;
  }

  /** Deletes every key under `prefix`, a thousand per write. */
  private async deleteUnder(prefix: Buffer): Promise<void> {
    let batch: KvMutation[] = [];
    for await (const r of scanAll(this.kv, { prefix })) {
      batch.push({ op: "delete", key: r.key });
      if (batch.length >= 1000) {
        await this.kv.write({ mutations: batch });
        batch = [];
      }
    }
    if (batch.length) await this.kv.write({ mutations: batch });
  }

  // --- branches ---

  async findBranch(repo: RepositoryId, id: BranchId): Promise<Branch | undefined> {
    const r = await this.kv.get(keys.branch(repo, id));
    return r && { id, record: decodeRecord<BranchRecord>(r.value, `branch ${repo}/${id}`), raw: r.value };
  }

  async getBranch(repo: RepositoryId, id: BranchId): Promise<Branch> {
    const b = await this.findBranch(repo, id);
    if (!b) throw notFound(`branch ${id} not found in repository ${repo}`);
    return b;
  }

  async createBranch(repo: RepositoryId, id: BranchId, record: BranchRecord): Promise<void> {
    try {
      await this.kv.write({ preconditions: [{ key: keys.branch(repo, id), absent: true }], mutations: [{ op: "put", key: keys.branch(repo, id), value: encodeRecord(record) }] });
    } catch (err) {
      if (hasCode(err, "FAILED_PRECONDITION")) throw alreadyExists(`branch ${id} already exists in repository ${repo}`);
      throw err;
    }
  }

  /**
   * Moves a branch by compare-and-set: fails with FAILED_PRECONDITION when the branch changed since `from` was
   * read. `extra` mutations (a new commit record, staged entries) are written in the same atomic batch.
   */
  async updateBranch(repo: RepositoryId, from: Branch, to: BranchRecord, extra: KvMutation[] = [], extraPre: KvPrecondition[] = []): Promise<Branch> {
    const raw = encodeRecord(to);
    try {
      await this.kv.write({
        preconditions: [{ key: keys.branch(repo, from.id), equals: from.raw }, ...extraPre],
        mutations: [...extra, { op: "put", key: keys.branch(repo, from.id), value: raw }],
      });
    } catch (err) {
      if (hasCode(err, "FAILED_PRECONDITION")) throw failedPrecondition(`branch ${from.id} of repository ${repo} changed concurrently; nothing was changed, try again`, err);
      throw err;
    }
    return { id: from.id, record: to, raw };
  }

  async deleteBranch(repo: RepositoryId, from: Branch): Promise<void> {
    try {
      await this.kv.write({ preconditions: [{ key: keys.branch(repo, from.id), equals: from.raw }], mutations: [{ op: "delete", key: keys.branch(repo, from.id) }] });
    } catch (err) {
      if (hasCode(err, "FAILED_PRECONDITION")) throw failedPrecondition(`branch ${from.id} of repository ${repo} changed concurrently; not deleted`, err);
      throw err;
    }
    // Its multipart uploads in progress can no longer complete or be aborted through the branch.
    await this.deleteUnder(Buffer.concat([keys.uploads(repo), Buffer.from(`${from.id}/`)]));
  }

  async listBranches(repo: RepositoryId, page: Page = {}): Promise<Branch[]> {
    const prefix = keys.branches(repo);
    const records = await this.kv.scan({ prefix, after: page.after ? keys.branch(repo, page.after as BranchId) : undefined, limit: page.amount ?? 1000 });
    return records.map((r) => {
      const id = r.key.subarray(prefix.length).toString() as BranchId;
      return { id, record: decodeRecord<BranchRecord>(r.value, `branch ${repo}/${id}`), raw: r.value };
    });
  }

  // --- tags ---

  async getTag(repo: RepositoryId, id: TagId): Promise<CommitId | undefined> {
    const r = await this.kv.get(keys.tag(repo, id));
    return r && (r.value.toString() as CommitId);
  }

  async createTag(repo: RepositoryId, id: TagId, commit: CommitId): Promise<void> {
    try {
      await this.kv.write({ preconditions: [{ key: keys.tag(repo, id), absent: true }], mutations: [{ op: "put", key: keys.tag(repo, id), value: Buffer.from(commit) }] });
    } catch (err) {
      if (hasCode(err, "FAILED_PRECONDITION")) throw alreadyExists(`tag ${id} already exists in repository ${repo}`);
      throw err;
    }
  }

  async deleteTag(repo: RepositoryId, id: TagId): Promise<void> {
    const current = await this.kv.get(keys.tag(repo, id));
    if (!current) throw notFound(`tag ${id} not found in repository ${repo}`);
    await this.kv.write({ mutations: [{ op: "delete", key: keys.tag(repo, id) }] });
  }

  async listTags(repo: RepositoryId, page: Page = {}): Promise<{ id: TagId; commitId: CommitId }[]> {
    const prefix = keys.tags(repo);
    const records = await this.kv.scan({ prefix, after: page.after ? keys.tag(repo, page.after as TagId) : undefined, limit: page.amount ?? 1000 });
    return records.map((r) => ({ id: r.key.subarray(prefix.length).toString() as TagId, commitId: r.value.toString() as CommitId }));
  }

  // --- commits ---

  commitMutation(repo: RepositoryId, commit: Commit): KvMutation {
    return { op: "put", key: keys.commit(repo, commit.id), value: encodeRecord(commit) };
  }

  async addCommit(repo: RepositoryId, commit: Commit): Promise<void> {
    await this.kv.write({ mutations: [this.commitMutation(repo, commit)] });
  }

  /** A commit by full ID; served from the commit cache when it was read before (commits never change). */
  async getCommit(repo: RepositoryId, id: CommitId): Promise<Commit> {
    const cached = this.commits.get(repo, id);
    if (cached) return cached;
    const r = await this.kv.get(keys.commit(repo, id));
    if (!r) throw notFound(`commit ${id} not found in repository ${repo}`);
    return this.commits.add(repo, decodeRecord<Commit>(r.value, `commit ${repo}/${id}`));
  }

  /** A commit by full ID or by a unique prefix of at least 4 hex digits. */
  async findCommit(repo: RepositoryId, idOrPrefix: string): Promise<Commit | undefined> {
    if (isFullHash(idOrPrefix)) {
      const r = await this.kv.get(keys.commit(repo, idOrPrefix));
      return r && decodeRecord<Commit>(r.value, `commit ${repo}/${idOrPrefix}`);
    }
    if (!/^[0-9a-f]+$/.test(idOrPrefix) || idOrPrefix.length < MIN_PREFIX) return undefined;
    const found = await this.kv.scan({ prefix: keys.commit(repo, idOrPrefix), limit: 2 });
    if (found.length > 1) throw invalidArgument(`commit prefix ${idOrPrefix} is ambiguous in repository ${repo}`);
    return found[0] && decodeRecord<Commit>(found[0].value, `commit ${repo}/${idOrPrefix}`);
  }

  // --- ref expressions ---

  async resolve(repo: RepositoryId, ref: string): Promise<ResolvedRef> {
    const expr = parseRef(ref);
    let resolved: ResolvedRef | undefined;
    const branch = /^[\w][\w.-]*$/.test(expr.base) ? await this.findBranch(repo, expr.base as BranchId) : undefined;
    if (branch) {
      resolved = { type: "branch", commitId: branch.record.commitId, branch };
    } else {
      const tag = /^[\w][\w.-]*$/.test(expr.base) ? await this.getTag(repo, expr.base as TagId) : undefined;
      if (tag) resolved = { type: "tag", commitId: tag };
      else {
        const commit = await this.findCommit(repo, expr.base);
        if (commit) resolved = { type: "commit", commitId: commit.id };
      }
    }
    if (!resolved) throw notFound(`ref ${JSON.stringify(ref)} not found in repository ${repo}: no branch, tag or commit by that name`);
    if (expr.committedOnly && resolved.type !== "branch") throw invalidArgument(`ref ${JSON.stringify(ref)}: '@' applies to branches only`);
    if (expr.committedOnly || expr.modifiers.length > 0) resolved = { type: "commit", commitId: resolved.commitId };
    for (const m of expr.modifiers) {
      for (let step = 0; step < (m.kind === "ancestor" ? m.n : 1); step++) {
        const commit = await this.getCommit(repo, resolved.commitId);
        const parentIndex = m.kind === "ancestor" ? 0 : m.n - 1;
        if (m.kind === "parent" && m.n === 0) break; // ^0 is the commit itself
        const parent = commit.parents[parentIndex];
        if (!parent) throw notFound(`ref ${JSON.stringify(ref)}: commit ${commit.id.slice(0, 12)} has no parent ${parentIndex + 1}`);
        resolved = { type: "commit", commitId: parent };
      }
    }
    return resolved;
  }

  // --- history ---

  /**
   * Commits reachable from `from`, newest first: by generation then creation date (first-parent only when
   * asked), starting after the commit `after`, at most `amount`.
   */
  log(repo: RepositoryId, from: CommitId, options: { firstParent?: boolean; after?: CommitId; amount?: number } = {}): Promise<Commit[]> {
    return walkLog((id) => this.getCommit(repo, id), from, { ...options, amount: options.amount ?? 100 });
  }

  /** The best common ancestor of two commits: the candidate with the highest generation. */
  mergeBase(repo: RepositoryId, a: CommitId, b: CommitId): Promise<Commit | undefined> {
    return findMergeBase((id) => this.getCommit(repo, id), a, b);
  }
}
