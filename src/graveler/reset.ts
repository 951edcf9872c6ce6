// Dropping a branch's uncommitted changes under a path prefix, as a conditional write. Every batch of deletes
// carries a compare-and-set on the branch record, so it lands only while the branch is exactly as read:
// - a commit that seals the staging token meanwhile makes the next batch fail, and the reset starts over on
//   the new record (the sealed token included);
// - when tokens are already sealed (a commit may be reading them right now), the reset first seals the
//   current token too, moving the branch record: that commit's final compare-and-set then fails, its changes
//   stay sealed for the next commit, and no commit ever records a half-reset state.
import { hasCode } from "../errors";
import { Engine, newToken, STAGE_RETRIES } from "./engine";
import type { BranchId } from "./ids";
import { keys } from "./keys";
import type { Repository } from "./refs/records";

export async function resetPrefix(e: Engine, repo: Repository, id: BranchId, prefix: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    let b = await e.refs.getBranch(repo.id, id);
    try {
      if (b.record.sealedTokens.length > 0) {
        b = await e.refs.updateBranch(repo.id, b, { commitId: b.record.commitId, stagingToken: newToken(), sealedTokens: [b.record.stagingToken, ...b.record.sealedTokens] });
      }
      const unchanged = [{ key: keys.branch(repo.id, id), equals: b.raw }];
      for (const token of [b.record.stagingToken, ...b.record.sealedTokens]) await e.staging.drop(token, prefix, unchanged);
      return;
    } catch (err) {
      if (!hasCode(err, "FAILED_PRECONDITION") || attempt >= STAGE_RETRIES) throw err;
    }
  }
}
