// `tarn debug ...`: tools for looking inside Tarn's files.
//   tarn debug sst FILE [--scan]   layout (footer, handles, index), properties, and with --scan every entry
import { Command } from "commander";
import { describeTable, renderDescription, TableReader } from "../../sstable";
import { context } from "../main";

export function registerDebugCommands(program: Command): void {
  const debug = program.command("debug").description("inspect Tarn's on-disk and on-store files");
  debug
    .command("sst")
    .description("show a RocksDB block-based table: footer, block handles, index, properties; --scan adds every entry (keys and values as text, or hex when binary)")
    .argument("<file>", "the table file")
    .option("--scan", "print every key and value")
    .action((file: string, opts: { scan?: boolean }, cmd: Command) => {
      const { out } = context(cmd);
      const reader = TableReader.openFile(file);
      try {
        out.print(describeTable(reader, { scan: !!opts.scan }), renderDescription);
      } finally {
        reader.close();
      }
    });
}
