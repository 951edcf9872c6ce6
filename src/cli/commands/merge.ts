// tarn diff, tarn merge, tarn cherry-pick
import { Command } from "commander";
import { ApiError } from "../../client";
import { invalidArgument, TarnError } from "../../errors";
import type { Difference, MergeStrategy } from "../../metadata/messages";
import { context } from "../main";
import { collect, parseKeyValues, positiveInt, withClient } from "../session";
import { parseBranchUri, parseRefUri } from "../uri";

const SIGN: Record<string, string> = {
  CHANGE_TYPE_ADDED: "+ added  ",
  CHANGE_TYPE_REMOVED: "- removed",
  CHANGE_TYPE_CHANGED: "~ changed",
  CHANGE_TYPE_CONFLICT: "! conflict",
};

const STRATEGIES: Record<string, MergeStrategy> = { "source-wins": "MERGE_STRATEGY_SOURCE_WINS", "dest-wins": "MERGE_STRATEGY_DEST_WINS" };

function diffText(rows: { type: string; path: string }[]): string {
  if (rows.length === 0) return "No changes.";
  return rows.map((d) => `${SIGN[d.type] ?? d.type} ${d.path}`).join("\n");
}

export function registerMergeCommands(program: Command): void {
  program
    .command("diff <left> [right]")
    .description("the changes between two refs, or a branch's uncommitted changes when only one URI is given")
    .option("--prefix <path>", "only paths under this prefix", "")
    .option("--two-way", "compare the refs as they are (default: the changes RIGHT made since the common ancestor)")
    .addHelpText("after", "\nExamples:\n  tarn diff tarn://my-data/main tarn://my-data/experiment\n  tarn diff tarn://my-data/experiment      # uncommitted changes")
    .action(async (left: string, right: string | undefined, opts: { prefix: string; twoWay?: boolean }, cmd: Command) => {
      const { out } = context(cmd);
      const rows: { type: string; path: string; sizeBytes?: number }[] = [];
      const keep = (d: Difference) => rows.push({ type: d.type, path: d.path, sizeBytes: d.entry?.sizeBytes });
      if (right === undefined) {
        const b = parseBranchUri(left);
        await withClient(async (c) => {
          for await (const d of c.differences({ repository: b.repository, branch: b.branch, prefix: opts.prefix })) keep(d);
        });
      } else {
        const l = parseRefUri(left);
        const r = parseRefUri(right);
        if (l.repository !== r.repository) throw invalidArgument(`cannot diff across repositories ('${l.repository}' and '${r.repository}')`);
        await withClient(async (c) => {
          const type = opts.twoWay ? "DIFF_TYPE_TWO_DOT" : "DIFF_TYPE_THREE_DOT";
          for await (const d of c.differences({ repository: l.repository, leftRef: l.ref, rightRef: r.ref, type, prefix: opts.prefix })) keep(d);
        });
      }
      out.print(
        rows.map((d) => ({ ...d, type: d.type.replace("CHANGE_TYPE_", "").toLowerCase() })),
        () => diffText(rows),
      );
    });

  program
    .command("merge <source> <destination>")
    .description("merge a ref into a branch")
    .option("--strategy <strategy>", "on conflicts: source-wins or dest-wins (default: fail listing the conflicts)")
    .option("-m, --message <message>", "the merge commit's message")
    .option("--meta <key=value>", "merge commit metadata (repeatable)", collect)
    .option("--allow-empty", "commit even without changes")
    .addHelpText("after", "\nExample:\n  tarn merge tarn://my-data/experiment tarn://my-data/main --strategy source-wins")
    .action(async (source: string, destination: string, opts: { strategy?: string; message?: string; meta?: string[]; allowEmpty?: boolean }, cmd: Command) => {
      const s = parseRefUri(source);
      const d = parseBranchUri(destination);
      if (s.repository !== d.repository) throw invalidArgument(`cannot merge across repositories ('${s.repository}' and '${d.repository}')`);
      let strategy: MergeStrategy = "MERGE_STRATEGY_NONE";
      if (opts.strategy !== undefined) {
        const found = STRATEGIES[opts.strategy];
        if (!found) throw invalidArgument(`--strategy must be source-wins or dest-wins, not '${opts.strategy}'`);
        strategy = found;
      }
      const { out } = context(cmd);
      try {
        const res = await withClient((c) =>
          c.merge({ repository: s.repository, sourceRef: s.ref, destinationBranch: d.branch, strategy, message: opts.message ?? "", metadata: parseKeyValues(opts.meta, "--meta"), allowEmpty: opts.allowEmpty ?? false }),
        );
        out.print(res, (r) => `Merged '${s.ref}' into '${d.branch}': commit ${r.reference} (${r.summary.added} added, ${r.summary.removed} removed, ${r.summary.changed} changed)`);
      } catch (err) {
        if (err instanceof ApiError && err.conflicts && err.conflicts.paths.length > 0) {
          const list = err.conflicts.paths.slice(0, 10).join(", ") + (err.conflicts.paths.length > 10 || err.conflicts.truncated ? ", ..." : "");
          throw new TarnError("FAILED_PRECONDITION", `merge of '${s.ref}' into '${d.branch}' has conflicts at ${list}: resolve them, or pass --strategy source-wins|dest-wins`);
        }
        throw err;
      }
    });

  program
    .command("cherry-pick <commit> <branch>")
    .description("apply one commit's changes to a branch as a new commit")
    .option("-m, --parent-number <n>", "for a merge commit: the parent to diff against (1-based)", positiveInt, 0)
    .addHelpText("after", "\nExample:\n  tarn cherry-pick 3f2a9c tarn://my-data/main")
    .action(async (commit: string, branch: string, opts: { parentNumber: number }, cmd: Command) => {
      const b = parseBranchUri(branch);
      const ref = commit.startsWith("tarn://") ? parseRefUri(commit).ref : commit;
      const { out } = context(cmd);
      const res = await withClient((c) => c.cherryPick({ repository: b.repository, branch: b.branch, ref, parentNumber: opts.parentNumber }));
      out.print(res, (r) => `Cherry-picked ${ref} onto '${b.branch}': commit ${r.id}`);
    });
}
