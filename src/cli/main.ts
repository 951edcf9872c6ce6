// The `tarn` command line. Each command group lives in commands/ and registers itself on the program;
// this file owns only the global options and the one place where failures become a line on stderr.
import { Command, CommanderError } from "commander";
import { TarnError } from "../errors";
import { registerBranchCommands } from "./commands/branch";
import { registerClusterCommands } from "./commands/cluster";
import { registerCommitCommands } from "./commands/commit";
import { registerDebugCommands } from "./commands/debug";
import { registerFsCommands } from "./commands/fs";
import { registerMergeCommands } from "./commands/merge";
import { registerRepoCommands } from "./commands/repo";
import { registerServerCommands } from "./commands/server";
import { registerTagCommands } from "./commands/tag";
import { makeOutput, Output } from "./output";

import * as fs from "node:fs";
import * as path from "node:path";

const VERSION: string = JSON.parse(fs.readFileSync(path.join(__dirname, "../../../package.json"), "utf8")).version;

/** Options every command can read through `context(cmd)`. */
export interface CliContext {
  out: Output;
}

export function context(cmd: Command): CliContext {
  const opts = cmd.optsWithGlobals<{ output?: string }>();
  return { out: makeOutput(opts.output) };
}

export function buildProgram(): Command {
  const program = new Command("tarn")
    .description("Tarn: Git for object storage. Branch, commit, diff and merge data on S3, Azure Blob or local disk.")
    .version(VERSION, "-v, --version")
    .option("-o, --output <format>", "output format: text or json", "text")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerServerCommands(program);
  registerRepoCommands(program);
  registerBranchCommands(program);
  registerTagCommands(program);
  registerFsCommands(program);
  registerCommitCommands(program);
  registerMergeCommands(program);
  registerClusterCommands(program);
  registerDebugCommands(program);
  program.addHelpText(
    "after",
    `
Quick start:
  tarn run &                                                # prints admin keys, writes ~/.tarn/config.yaml
  tarn repo create tarn://my-data
  tarn fs upload ./data tarn://my-data/main/ --recursive
  tarn commit tarn://my-data/main -m "first data"

Clients read TARN_ENDPOINT, TARN_ACCESS_KEY_ID, TARN_SECRET_ACCESS_KEY or ~/.tarn/config.yaml.`,
  );
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    process.exitCode = exitCodeFor(err);
    if (err instanceof CommanderError) return; // commander already printed help, the version or the usage error
    process.stderr.write(`tarn: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode;
  if (err instanceof TarnError && err.code === "INVALID_ARGUMENT") return 2;
  return 1;
}
