// tarn commit, tarn log, tarn show
import { Command } from "commander";
import type { Commit } from "../../metadata/messages";
import { context } from "../main";
import { collect, formatTime, parseKeyValues, positiveInt, withClient } from "../session";
import { parseBranchUri, parseRefUri } from "../uri";

export function describeCommit(c: Commit): string {
  const lines = [`commit ${c.id}`];
  if (c.parents.length > 1) lines.push(`Merge: ${c.parents.map((p) => p.slice(0, 12)).join(" ")}`);
  lines.push(`Author: ${c.committer}`, `Date:   ${formatTime(c.creationDate)}`);
  for (const [k, v] of Object.entries(c.metadata).sort()) lines.push(`Meta:   ${k} = ${v}`);
  lines.push("", ...c.message.split("\n").map((l) => `    ${l}`));
  return lines.join("\n");
}

export function registerCommitCommands(program: Command): void {
  program
    .command("commit <uri>")
    .description("commit a branch's uncommitted changes")
    .requiredOption("-m, --message <message>", "the commit message")
    .option("--meta <key=value>", "commit metadata (repeatable)", collect)
    .option("--allow-empty", "commit even without changes")
    .addHelpText("after", '\nExample:\n  tarn commit tarn://my-data/main -m "add raw data" --meta source=sensor-7')
    .action(async (uri: string, opts: { message: string; meta?: string[]; allowEmpty?: boolean }, cmd: Command) => {
      const b = parseBranchUri(uri);
      const metadata = parseKeyValues(opts.meta, "--meta");
      const { out } = context(cmd);
      const c = await withClient((client) => client.commit({ repository: b.repository, branch: b.branch, message: opts.message, metadata, allowEmpty: opts.allowEmpty ?? false }));
      out.print(c, (x) => `Branch '${b.branch}' committed: ${x.id}`);
    });

  program
    .command("log <uri>")
    .description("the commits reachable from a ref, newest first")
    .option("--amount <n>", "at most this many", positiveInt, 100)
    .option("--first-parent", "follow only the first parent of merges")
    .addHelpText("after", "\nExample:\n  tarn log tarn://my-data/main --amount 5")
    .action(async (uri: string, opts: { amount: number; firstParent?: boolean }, cmd: Command) => {
      const r = parseRefUri(uri);
      const { out } = context(cmd);
      const res = await withClient((c) => c.log({ repository: r.repository, ref: r.ref, amount: opts.amount, firstParent: opts.firstParent ?? false }));
      out.print(res.results, (rows) => rows.map(describeCommit).join("\n\n"));
    });

  program
    .command("show <uri>")
    .description("one commit: the one a ref points at")
    .action(async (uri: string, _opts: unknown, cmd: Command) => {
      const r = parseRefUri(uri);
      const { out } = context(cmd);
      const c = await withClient((client) => client.getCommit({ repository: r.repository, ref: r.ref }));
      out.print(c, describeCommit);
    });
}
