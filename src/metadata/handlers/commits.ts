// CommitService: commit, log, show.
import { invalidArgument, notFound } from "../../errors";
import { commitMessage, pageSize, pagination } from "../convert";
import { ServiceDeps, ServiceHandlers, unary } from "../handler";
import type { CommitRequest, GetCommitRequest, LogRequest } from "../messages";

export function commitService({ graveler }: ServiceDeps): ServiceHandlers {
  return {
    Commit: unary(async (r: CommitRequest, ctx) => {
      if (r.message.trim() === "") throw invalidArgument("commit message is empty: say what changed");
      // The engine dates commits with its own clock (the date is part of the commit ID): refuse rather than ignore.
      if (r.date !== 0) throw invalidArgument(`commit date override (date=${r.date}) is not supported: commits are dated by the server`);
      const c = await graveler.commit(r.repository, r.branch, { message: r.message, committer: ctx.caller.user.id, metadata: { ...r.metadata }, allowEmpty: r.allowEmpty });
      return commitMessage(c);
    }),
    Log: unary(async (r: LogRequest) => {
      const amount = pageSize(r.amount);
      if (r.ref === "") throw invalidArgument("ref is required");
      if (r.after !== "") await graveler.getCommit(r.repository, r.after);
      if (r.stopAt !== "") await graveler.getCommit(r.repository, r.stopAt).catch((err: unknown) => Promise.reject(notFound(`stop_at commit ${r.stopAt} not found: ${(err as Error).message}`, err)));
      const stop = r.stopAt === "" ? undefined : (await graveler.getCommit(r.repository, r.stopAt)).id;
      const found = await graveler.log(r.repository, r.ref, { amount: amount + 1, after: r.after || undefined, firstParent: r.firstParent });
      let commits = found;
      let hasMore = found.length > amount;
      const at = stop === undefined ? -1 : commits.findIndex((c) => c.id === stop);
      if (at >= 0) {
        commits = commits.slice(0, at + 1);
        hasMore = false;
      }
      const results = commits.slice(0, amount).map(commitMessage);
      hasMore = hasMore && results.length === amount;
      return { results, pagination: pagination(results.length, hasMore, results.at(-1)?.id ?? "", amount) };
    }),
    GetCommit: unary(async (r: GetCommitRequest) => {
      if (r.ref === "") throw invalidArgument("ref is required");
      return commitMessage(await graveler.getCommit(r.repository, r.ref));
    }),
  };
}
