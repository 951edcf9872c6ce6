// tarn tag create|list|delete
import { Command } from "commander";
import { context } from "../main";
import { table } from "../output";
import { positiveInt, withClient } from "../session";
import { checkBranchName, parseRepositoryUri, parseTarnUri } from "../uri";
import { invalidArgument } from "../../errors";

function parseTagUri(text: string): { repository: string; tag: string } {
  const uri = parseTarnUri(text);
  if (uri.ref === undefined || (uri.path ?? "") !== "") throw invalidArgument(`expected tarn://REPO/TAG, got '${text}'`);
  return { repository: uri.repository, tag: checkBranchName(uri.ref, "tag", `'${text}'`) };
}

/** A ref given as a tarn:// URI of the same repository, or as a bare ref (commit id, branch, tag). */
function refArgument(text: string, repository: string): string {
  if (!text.startsWith("tarn://")) return text;
  const uri = parseTarnUri(text);
  if (uri.repository !== repository) throw invalidArgument(`${text} is in repository '${uri.repository}', not '${repository}'`);
  if (uri.ref === undefined) throw invalidArgument(`${text} names no ref`);
  return uri.ref;
}

export function registerTagCommands(program: Command): void {
  const tag = program.command("tag").description("create, list and delete tags");

  tag
    .command("create <uri> <ref>")
    .description("tag a ref (commit id, branch or tag; or tarn://REPO/REF)")
    .addHelpText("after", "\nExample:\n  tarn tag create tarn://my-data/v1 main")
    .action(async (uri: string, ref: string, _opts: unknown, cmd: Command) => {
      const t = parseTagUri(uri);
      const { out } = context(cmd);
      const res = await withClient((c) => c.createTag({ repository: t.repository, id: t.tag, ref: refArgument(ref, t.repository) }));
      out.print(res, (r) => `Tag '${r.id}' created at ${r.commitId}.`);
    });

  tag
    .command("list <uri>")
    .description("list a repository's tags")
    .option("--amount <n>", "at most this many", positiveInt, 1000)
    .action(async (uri: string, opts: { amount: number }, cmd: Command) => {
      const { repository } = parseRepositoryUri(uri);
      const { out } = context(cmd);
      const res = await withClient((c) => c.listTags({ repository, amount: opts.amount }));
      out.print(res.results, (rows) => (rows.length === 0 ? "No tags." : table(["TAG", "COMMIT"], rows.map((r) => [r.id, r.commitId]))));
    });

  tag
    .command("delete <uri>")
    .description("delete a tag")
    .option("-y, --yes", "no effect; kept for lakectl habits")
    .action(async (uri: string, _opts: unknown, cmd: Command) => {
      const t = parseTagUri(uri);
      const { out } = context(cmd);
      await withClient((c) => c.deleteTag({ repository: t.repository, tag: t.tag }));
      out.print({ deleted: t.tag }, () => `Tag '${t.tag}' deleted.`);
    });
}
