// `tarn debug ...`: tools for looking inside Tarn's files. (`debug sst` is implemented with src/sstable.)
import { Command } from "commander";

export function registerDebugCommands(program: Command): void {
  program.command("debug").description("inspect Tarn's on-disk and on-store files");
}
