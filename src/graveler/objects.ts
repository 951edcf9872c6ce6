// Objects on a branch or ref: staging writes and deletes, reads through staging then committed data, listings.
import { hasCode, notFound } from "../errors";
import { decodeEntry, Entry, encodeEntry } from "./entry";
import { Engine, pageSize, repoOf, STAGE_RETRIES } from "./engine";
import { BranchId, branchId, CommitId, path as validPath, pathPrefix } from "./ids";
import { keys } from "./keys";
import { listPage, Listing } from "./listing";
import type { Branch, ResolvedRef } from "./refs/manager";
import type { Repository } from "./refs/records";
import { MergedStagingCursor } from "./staging/cursor";
import { ViewCursor } from "./view";

export interface ListOptions {
  prefix?: string;
  delimiter?: string;
  after?: string;
  amount?: number;
}

/**
 * Stages changes on a branch: each goes into the branch's current staging token, atomically with a check that
 * the token is still current (a commit sealing it concurrently makes the write retry into the new token).
 */
async function stage(e: Engine, repo: Repository, branch: BranchId, items: { path: string; value: Buffer | undefined }[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const b = await e.refs.getBranch(repo.id, branch);
    try {
      await e.kv.write({
        preconditions: [{ key: keys.branch(repo.id, branch), equals: b.raw }],
        mutations: items.map((i) => e.staging.setMutation(b.record.stagingToken, i.path, i.value)),
      });
      return;
    } catch (err) {
      if (!hasCode(err, "FAILED_PRECONDITION") || attempt >= STAGE_RETRIES) throw err;
    }
  }
}

/** Stages many entries in one atomic write. */
export async function setObjects(e: Engine, repoName: string, branch: string, items: { path: string; entry: Entry }[]): Promise<void> {
  const repo = await e.getRepository(repoName);
  const id = branchId(branch);
  const values = items.map((i) => ({ path: validPath(i.path) as string, value: encodeEntry(i.entry) }));
  await stage(e, repo, id, values);
}

/** Deletes a path from a branch: a tombstone when committed data (or a sealed token) has it. */
export async function deleteObject(e: Engine, repoName: string, branch: string, p: string): Promise<void> {
  const repo = await e.getRepository(repoName);
  const id = branchId(branch);
  const key = Buffer.from(validPath(p));
  const b = await e.refs.getBranch(repo.id, id);
  if ((await lookup(e, repo, b, key)) === undefined) throw notFound(`object ${p} not found on branch ${id} of repository ${repo.id}`);
  // A tombstone is always correct; the plain delete is an optimisation that keeps staging small.
  await stage(e, repo, id, [{ path: p, value: undefined }]);
}

async function lookup(e: Engine, repo: Repository, branch: Branch | undefined, key: Buffer, commitId?: CommitId): Promise<Buffer | undefined> {
  if (branch) {
    for (const token of [branch.record.stagingToken, ...branch.record.sealedTokens]) {
      const staged = await e.staging.get(token, key);
      if (staged) return staged.value;
    }
  }
  const commit = await e.refs.getCommit(repo.id, commitId ?? branch!.record.commitId);
  return e.committed.get(repoOf(repo), commit.metaRangeId, key);
}

export async function getObject(e: Engine, repoName: string, ref: string, p: string): Promise<Entry> {
  const repo = await e.getRepository(repoName);
  const key = Buffer.from(validPath(p));
  const resolved = await e.refs.resolve(repo.id, ref);
  const value = await lookup(e, repo, resolved.branch, key, resolved.commitId);
  if (value === undefined) throw notFound(`object ${p} not found at ref ${ref} of repository ${repo.id}`);
  return decodeEntry(value, `entry ${p} of repository ${repo.id}`);
}

export async function listObjects(e: Engine, repoName: string, ref: string, options: ListOptions = {}): Promise<{ results: Listing[]; hasMore: boolean }> {
  const repo = await e.getRepository(repoName);
  const prefix = Buffer.from(pathPrefix(options.prefix));
  const delimiter = Buffer.from(pathPrefix(options.delimiter, "delimiter"));
  const after = Buffer.from(pathPrefix(options.after, "after"));
  const amount = pageSize(options.amount, 1000);
  const resolved = await e.refs.resolve(repo.id, ref);
  const cursor = await viewCursor(e, repo, resolved, prefix);
  try {
    return await listPage(cursor, { prefix, delimiter, after, amount }, (key, value) => decodeEntry(value, `entry ${key.toString()} of repository ${repo.id}`));
  } finally {
    cursor.close();
  }
}

async function viewCursor(e: Engine, repo: Repository, resolved: ResolvedRef, prefix: Buffer): Promise<ViewCursor> {
  const commit = await e.refs.getCommit(repo.id, resolved.commitId);
  const committed = await e.committed.cursor(repoOf(repo), commit.metaRangeId);
  const b = resolved.branch?.record;
  const staged = b ? new MergedStagingCursor(e.staging, [b.stagingToken, ...b.sealedTokens], prefix) : undefined;
  return new ViewCursor(staged, committed);
}
