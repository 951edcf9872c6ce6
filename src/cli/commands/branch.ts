// tarn branch create|list|delete|reset|revert
import { Command } from "commander";
import { invalidArgument } from "../../errors";
import { context } from "../main";
import { table } from "../output";
import { positiveInt, withClient } from "../session";
import { parseBranchUri, parseRefUri, parseRepositoryUri } from "../uri";

export function registerBranchCommands(program: Command): void {
  const branch = program.command("branch").description("create, list, delete, reset and revert branches");

  branch
    .command("create <uri>")
    .description("create a branch from a ref")
    .requiredOption("-s, --source <uri>", "tarn://REPO/REF to branch from")
    .addHelpText("after", "\nExample:\n  tarn branch create tarn://my-data/experiment --source tarn://my-data/main")
    .action(async (uri: string, opts: { source: string }, cmd: Command) => {
      const target = parseBranchUri(uri);
      const source = parseRefUri(opts.source);
      if (source.repository !== target.repository) throw invalidArgument(`--source ${opts.source} is in repository '${source.repository}', not '${target.repository}'`);
      const { out } = context(cmd);
      const ref = await withClient((c) => c.createBranch({ repository: target.repository, name: target.branch, source: source.ref }));
      out.print(ref, (r) => `Branch '${r.id}' created at ${r.commitId}.`);
    });

  branch
    .command("list <uri>")
    .description("list a repository's branches")
    .option("--amount <n>", "at most this many", positiveInt, 1000)
    .action(async (uri: string, opts: { amount: number }, cmd: Command) => {
      const { repository } = parseRepositoryUri(uri);
      const { out } = context(cmd);
      const res = await withClient((c) => c.listBranches({ repository, amount: opts.amount }));
      out.print(res.results, (rows) => table(["BRANCH", "COMMIT"], rows.map((r) => [r.id, r.commitId])));
    });

  branch
    .command("delete <uri>")
    .description("delete a branch")
    .option("-y, --yes", "no effect; kept for lakectl habits")
    .action(async (uri: string, _opts: unknown, cmd: Command) => {
      const b = parseBranchUri(uri);
      const { out } = context(cmd);
      await withClient((c) => c.deleteBranch({ repository: b.repository, branch: b.branch }));
      out.print({ deleted: b.branch }, () => `Branch '${b.branch}' deleted.`);
    });

  branch
    .command("reset <uri>")
    .description("drop uncommitted changes: all of them, or under a path with --prefix, or one object with --object")
    .option("--prefix <path>", "only changes under this path")
    .option("--object <path>", "only this object")
    .addHelpText("after", "\nExamples:\n  tarn branch reset tarn://my-data/experiment\n  tarn branch reset tarn://my-data/experiment --prefix logs/")
    .action(async (uri: string, opts: { prefix?: string; object?: string }, cmd: Command) => {
      const b = parseBranchUri(uri);
      if (opts.prefix !== undefined && opts.object !== undefined) throw invalidArgument("give --prefix or --object, not both");
      const type = opts.object !== undefined ? "RESET_TYPE_OBJECT" : opts.prefix !== undefined ? "RESET_TYPE_PREFIX" : "RESET_TYPE_ALL";
      const { out } = context(cmd);
      await withClient((c) => c.resetBranch({ repository: b.repository, branch: b.branch, type, path: opts.object ?? opts.prefix ?? "" }));
      out.print({ reset: b.branch, type }, () => `Uncommitted changes on '${b.branch}' dropped.`);
    });

  branch
    .command("revert <uri> <commit>")
    .description("commit the inverse of COMMIT's changes on the branch")
    .option("-m, --parent-number <n>", "for a merge commit: the parent to revert against (1-based)", positiveInt, 0)
    .option("--allow-empty", "commit even when nothing changes")
    .action(async (uri: string, commit: string, opts: { parentNumber: number; allowEmpty?: boolean }, cmd: Command) => {
      const b = parseBranchUri(uri);
      const { out } = context(cmd);
      const res = await withClient((c) => c.revertCommit({ repository: b.repository, branch: b.branch, ref: commit, parentNumber: opts.parentNumber, allowEmpty: opts.allowEmpty ?? false }));
      out.print(res, (r) => `Reverted ${commit} on '${b.branch}': commit ${r.id}.`);
    });
}
