// A progress bar on stderr for transfers of many or large files: shown only when stderr is a terminal (so
// scripts and logs get clean output), redrawn at most every 100 ms, erased when done.
import { formatBytes } from "./session";

export interface ProgressOptions {
  verb: string;
  totalFiles: number;
  totalBytes: number;
  stream?: NodeJS.WriteStream;
  /** Show it regardless of the size of the transfer (default: only for ≥ 10 files or ≥ 16 MiB). */
  force?: boolean;
}

/** Pure: one line describing the transfer so far, fitting `width` columns. */
export function renderProgress(verb: string, files: number, totalFiles: number, bytes: number, totalBytes: number, elapsedMs: number, width = 80): string {
  const fraction = totalBytes > 0 ? Math.min(1, bytes / totalBytes) : totalFiles > 0 ? files / totalFiles : 1;
  const rate = elapsedMs > 0 ? (bytes / elapsedMs) * 1000 : 0;
  const text = ` ${Math.floor(fraction * 100)}% ${files}/${totalFiles} files ${formatBytes(bytes)}/${formatBytes(totalBytes)} ${formatBytes(Math.round(rate))}/s`;
  const barWidth = Math.max(10, width - verb.length - text.length - 4);
  const filled = Math.round(fraction * barWidth);
  return `${verb} [${"#".repeat(filled)}${".".repeat(barWidth - filled)}]${text}`;
}

export class Progress {
  private files = 0;
  private bytes = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly enabled: boolean;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    const big = opts.totalFiles >= 10 || opts.totalBytes >= 16 * 1024 * 1024;
    this.enabled = Boolean(this.stream.isTTY) && (opts.force || big);
  }

  addBytes(n: number): void {
    this.bytes += n;
    this.draw(false);
  }

  fileDone(): void {
    this.files++;
    this.draw(false);
  }

  finish(): void {
    if (!this.enabled) return;
    this.draw(true);
    this.stream.write("\n");
  }

  private draw(force: boolean): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const line = renderProgress(this.opts.verb, this.files, this.opts.totalFiles, this.bytes, this.opts.totalBytes, now - this.started, this.stream.columns ?? 80);
    this.stream.write(`\r${line}`);
  }
}

/** Runs `work` over `items` with at most `limit` in flight; the first failure stops new work and is thrown. */
export async function parallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}
