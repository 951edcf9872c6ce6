// StatObject on a branch in two ReadIndex rounds instead of three: the repository and branch records are read
// in one turn (staging-write.ts), then the staged entry in the branch's tokens; a path not staged comes from
// the branch's commit (commits never change, graveler caches them). Any other ref (a tag, a commit, `@`,
// `~N`, `^N`) goes through graveler, which resolves it.
import { hasCode, notFound } from "../errors";
import { decodeEntry, path as validPath, type Entry, type Graveler, type KvStore } from "../graveler";
import { repoOf } from "../graveler/engine";
import { repositoryAndBranch } from "./staging-write";

/** The ref names a branch and nothing more: a valid branch name (no `@`, `~`, `^`). */
const BRANCH_NAME = /^[\w][\w.-]*$/;

export async function statObject(kv: KvStore, graveler: Graveler, repository: string, ref: string, p: string): Promise<Entry> {
  if (!BRANCH_NAME.test(ref)) return graveler.statObject(repository, ref, p);
  let found;
  try {
    found = await repositoryAndBranch(kv, graveler, repository, ref);
  } catch (err) {
    // A name too long to be a branch may still be a commit id: graveler tells.
    if (hasCode(err, "INVALID_ARGUMENT")) return graveler.statObject(repository, ref, p);
    throw err;
  }
  const key = Buffer.from(validPath(p));
  const branch = found.branch;
  if (!branch) return graveler.statObject(repository, ref, p); // a tag or a commit by that name
  const repo = found.repository;
  // Every token the branch reads through, asked in one turn (one round); the newest that has the path wins.
  const staged = await Promise.all([branch.record.stagingToken, ...branch.record.sealedTokens].map((token) => graveler.staging.get(token, key)));
  const hit = staged.find((s) => s !== undefined);
  if (hit) return entryOrMissing(hit.value, p, ref, repo.id);
  const commit = await graveler.refs.getCommit(repo.id, branch.record.commitId);
  return entryOrMissing(await graveler.committed.get(repoOf(repo), commit.metaRangeId, key), p, ref, repo.id);
}

function entryOrMissing(value: Buffer | undefined, p: string, ref: string, repo: string): Entry {
  if (value === undefined) throw notFound(`object ${p} not found at ref ${ref} of repository ${repo}`);
  return decodeEntry(value, `entry ${p} of repository ${repo}`);
}
