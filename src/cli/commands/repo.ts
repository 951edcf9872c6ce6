// tarn repo create|list|delete
import { Command } from "commander";
import { context } from "../main";
import { table } from "../output";
import { formatTime, positiveInt, withClient } from "../session";
import { parseRepositoryUri } from "../uri";

export function registerRepoCommands(program: Command): void {
  const repo = program.command("repo").description("create, list and delete repositories");

  repo
    .command("create <uri> [namespace]")
    .description("create a repository over a storage namespace (local://DIR, s3://BUCKET/PREFIX, azure://ACCOUNT/CONTAINER/PREFIX); `tarn run` picks one in its data dir when omitted")
    .option("--default-branch <name>", "the first branch", "main")
    .addHelpText("after", "\nExamples:\n  tarn repo create tarn://my-data\n  tarn repo create tarn://my-data s3://bucket/my-data --default-branch trunk")
    .action(async (uri: string, namespace: string | undefined, opts: { defaultBranch: string }, cmd: Command) => {
      const { repository } = parseRepositoryUri(uri);
      const { out } = context(cmd);
      const created = await withClient((c) => c.createRepository({ name: repository, storageNamespace: namespace ?? "", defaultBranch: opts.defaultBranch }));
      out.print(created, (r) => `Repository '${r.id}' created over ${r.storageNamespace}, default branch '${r.defaultBranch}'.`);
    });

  repo
    .command("list")
    .description("list repositories")
    .option("--amount <n>", "at most this many", positiveInt, 1000)
    .option("--prefix <prefix>", "only names starting with this", "")
    .action(async (opts: { amount: number; prefix: string }, cmd: Command) => {
      const { out } = context(cmd);
      const res = await withClient((c) => c.listRepositories({ amount: opts.amount, prefix: opts.prefix }));
      out.print(res.results, (rows) =>
        rows.length === 0 ? "No repositories." : table(["REPOSITORY", "DEFAULT BRANCH", "STORAGE NAMESPACE", "CREATED"], rows.map((r) => [r.id, r.defaultBranch, r.storageNamespace, formatTime(r.creationDate)])),
      );
    });

  repo
    .command("delete <uri>")
    .description("delete a repository (its objects stay in the storage namespace)")
    .option("-y, --yes", "no effect; kept for lakectl habits")
    .action(async (uri: string, _opts: unknown, cmd: Command) => {
      const { repository } = parseRepositoryUri(uri);
      const { out } = context(cmd);
      await withClient((c) => c.deleteRepository({ repository }));
      out.print({ deleted: repository }, () => `Repository '${repository}' deleted.`);
    });
}
