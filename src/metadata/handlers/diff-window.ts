// Windowing of a diff for the API (prefix, after, delimiter grouping, amount), one change at a time, so a
// diff streamed page by page from the engine goes out in batches without ever being held whole.
import { type DiffEntry, pathPrefix } from "../../graveler";
import { commonPrefixStats, differenceMessage, pagination } from "../convert";
import type { Difference, Pagination } from "../messages";

export interface Window {
  prefix: string;
  delimiter: string;
  after: string;
  amount: number;
}

/** Changes sent per stream message. */
export const BATCH = 1000;

/**
 * Pure and stateful: `offer` each change in path order; it answers the Difference to send, undefined to skip
 * it, or "full" once `amount` results were taken and another would follow (stop then: there is more).
 * "done" means no later change can match (past the prefix), so the caller may stop reading.
 */
export class DiffWindow {
  private readonly prefix: string;
  private readonly delimiter: string;
  private readonly limit: number;
  private seenPrefix = false;
  count = 0;
  lastPath = "";

  constructor(private readonly w: Window) {
    this.prefix = pathPrefix(w.prefix);
    this.delimiter = pathPrefix(w.delimiter, "delimiter");
    this.limit = w.amount === 0 ? Infinity : w.amount;
  }

  offer(d: DiffEntry): Difference | undefined | "full" | "done" {
    const { prefix, delimiter, w } = this;
    if (!d.path.startsWith(prefix)) return this.seenPrefix ? "done" : undefined; // paths under a prefix are contiguous
    this.seenPrefix = true;
    if (w.after !== "" && d.path <= w.after) return undefined;
    const at = delimiter === "" ? -1 : d.path.indexOf(delimiter, prefix.length);
    let out: Difference;
    if (at >= 0) {
      const common = d.path.slice(0, at + delimiter.length);
      if ((this.count > 0 && this.lastPath === common) || (w.after !== "" && common <= w.after && w.after.startsWith(common))) return undefined;
      const type = d.type === "added" ? "CHANGE_TYPE_ADDED" : d.type === "removed" ? "CHANGE_TYPE_REMOVED" : "CHANGE_TYPE_CHANGED";
      out = { type, path: common, pathType: "PATH_TYPE_COMMON_PREFIX", entry: commonPrefixStats(common) };
    } else {
      out = differenceMessage(d);
    }
    if (this.count >= this.limit) return "full";
    this.count++;
    this.lastPath = out.path;
    return out;
  }
}

/** Pure: applies prefix, after, delimiter grouping and amount to sorted changes. */
export function windowDiff(changes: DiffEntry[], w: Window): { results: Difference[]; hasMore: boolean } {
  const win = new DiffWindow(w);
  const results: Difference[] = [];
  for (const d of changes) {
    const r = win.offer(d);
    if (r === "done") break;
    if (r === "full") return { results, hasMore: true };
    if (r) results.push(r);
  }
  return { results, hasMore: false };
}

/**
 * Stream messages of a windowed diff read page by page: batches of BATCH, pagination only on the last one
 * (always at least one message). Stops reading the pages as soon as the window is full or past its prefix;
 * the caller's `for await` pulls one message at a time, so backpressure reaches the engine's iterators.
 */
export async function* windowedBatches(pages: AsyncIterable<DiffEntry[]>, w: Window): AsyncGenerator<{ results: Difference[]; pagination: Pagination | null }> {
  const win = new DiffWindow(w);
  let batch: Difference[] = [];
  let hasMore = false;
  read: for await (const page of pages) {
    for (const d of page) {
      const r = win.offer(d);
      if (r === "done") break read;
      if (r === "full") {
        hasMore = true;
        break read;
      }
      if (!r) continue;
      // A full batch goes out only once another result follows, so the last batch is the one with pagination.
      if (batch.length === BATCH) {
        yield { results: batch, pagination: null };
        batch = [];
      }
      batch.push(r);
    }
  }
  yield { results: batch, pagination: pagination(win.count, hasMore, win.lastPath, w.amount) };
}
