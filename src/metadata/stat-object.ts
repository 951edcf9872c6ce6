// StatObject on a branch with one ReadIndex round: beside a Raft member, one barrier and then every record
// from the member's database (repository, branch, the staged entry in each token the branch reads through);
// without one, the repository and branch in one round and the staged entries in a second. A path not staged
// comes from the branch's commit (commits never change, graveler caches them). Any other ref (a tag, a
// commit, `@`, `~N`, `^N`) goes through graveler, which resolves it.
import { hasCode, notFound } from "../errors";
import { decodeEntry, path as validPath, type Entry } from "../graveler";
import { repoOf } from "../graveler/engine";
import { keys } from "../graveler/keys";
import { unstage } from "../graveler/staging/manager";
import type { ServiceDeps } from "./handler";
import { repositoryAndBranch } from "./staging-write";

/** The ref names a branch and nothing more: a valid branch name (no `@`, `~`, `^`). */
const BRANCH_NAME = /^[\w][\w.-]*$/;

export async function statObject(deps: Pick<ServiceDeps, "kv" | "graveler" | "memberReads">, repository: string, ref: string, p: string): Promise<Entry> {
  const graveler = deps.graveler;
  if (!BRANCH_NAME.test(ref)) return graveler.statObject(repository, ref, p);
  const member = deps.memberReads?.();
  // After the barrier, the member's own database is as fresh as a linearizable read.
  if (member) await member.sync();
  const store = member?.local ?? deps.kv;
  let found;
  try {
    found = await repositoryAndBranch({ kv: store }, repository, ref);
  } catch (err) {
    // A name too long to be a branch may still be a commit id: graveler tells.
    if (hasCode(err, "INVALID_ARGUMENT")) return graveler.statObject(repository, ref, p);
    throw err;
  }
  const key = validPath(p);
  const branch = found.branch;
  if (!branch) return graveler.statObject(repository, ref, p); // a tag or a commit by that name
  const repo = found.repository;
  // Every token the branch reads through, asked in one turn; the newest that has the path wins.
  const staged = await Promise.all([branch.record.stagingToken, ...branch.record.sealedTokens].map((token) => store.get(keys.staged(token, key))));
  const hit = staged.find((s) => s !== undefined);
  if (hit) return entryOrMissing(unstage(hit.value), p, ref, repo.id);
  const commit = await graveler.refs.getCommit(repo.id, branch.record.commitId);
  return entryOrMissing(await graveler.committed.get(repoOf(repo), commit.metaRangeId, Buffer.from(key)), p, ref, repo.id);
}

function entryOrMissing(value: Buffer | undefined, p: string, ref: string, repo: string): Entry {
  if (value === undefined) throw notFound(`object ${p} not found at ref ${ref} of repository ${repo}`);
  return decodeEntry(value, `entry ${p} of repository ${repo}`);
}
