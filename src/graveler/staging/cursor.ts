// Async cursors over staged entries: one per staging token, read page by page; and a merge of several tokens
// where the first (newest) token that holds a path decides its value.
import type { StagingToken } from "../ids";
import type { StagedEntry, StagingManager } from "./manager";

const PAGE = 1000;

export class StagingCursor {
  private page: StagedEntry[] = [];
  private index = 0;
  private lastPage = true;

  constructor(
    private readonly staging: StagingManager,
    private readonly token: StagingToken,
    private readonly prefix: Buffer | undefined,
    private readonly pageSize = PAGE,
  ) {}

  get valid(): boolean {
    return this.index < this.page.length;
  }

  current(): StagedEntry {
    return this.page[this.index];
  }

  /** Every staged key >= coveredFrom and <= the page's last key (or any key, on the last page) is in the page. */
  private coveredFrom: Buffer | undefined;

  private async load(options: { after?: Buffer; from?: Buffer }): Promise<boolean> {
    this.page = await this.staging.scan(this.token, { prefix: this.prefix, ...options, limit: this.pageSize });
    this.index = 0;
    this.lastPage = this.page.length < this.pageSize;
    this.coveredFrom = options.from ?? (options.after ? this.page[0]?.path : Buffer.alloc(0));
    return this.valid;
  }

  async seekGE(key: Buffer): Promise<boolean> {
    if (this.seekInPage(key)) return this.valid;
    return this.load({ from: key });
  }

  /**
   * Seeks without a query when the buffered page covers `key` (or it lies past the end of the last page), as
   * it does for every seek of a listing after the first; false when seekGE must query the store.
   */
  seekInPage(key: Buffer): boolean {
    const n = this.page.length;
    if (!this.coveredFrom || Buffer.compare(key, this.coveredFrom) < 0 || (!this.lastPage && Buffer.compare(key, this.page[n - 1].path) > 0)) return false;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Buffer.compare(this.page[mid].path, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    this.index = lo;
    return true;
  }

  async first(): Promise<boolean> {
    return this.load({});
  }

  async next(): Promise<boolean> {
    this.index++;
    if (this.index < this.page.length) return true;
    if (this.lastPage || this.page.length === 0) return false;
    return this.load({ after: this.page[this.page.length - 1].path });
  }
}

/** Staged entries of several tokens merged by path; the earliest token in the list wins a path. */
export class MergedStagingCursor {
  private cursors: StagingCursor[];
  private head: StagedEntry | undefined;

  constructor(staging: StagingManager, tokens: readonly StagingToken[], prefix?: Buffer, pageSize?: number) {
    this.cursors = tokens.map((t) => new StagingCursor(staging, t, prefix, pageSize));
  }

  get valid(): boolean {
    return this.head !== undefined;
  }

  current(): StagedEntry {
    return this.head!;
  }

  private settle(): void {
    this.head = undefined;
    for (const c of this.cursors) {
      if (!c.valid) continue;
      if (!this.head || Buffer.compare(c.current().path, this.head.path) < 0) this.head = c.current();
    }
  }

  async first(): Promise<boolean> {
    await Promise.all(this.cursors.map((c) => c.first()));
    this.settle();
    return this.valid;
  }

  async seekGE(key: Buffer): Promise<boolean> {
    // Only the cursors whose page does not cover the key query the store.
    const queries: Promise<boolean>[] = [];
    for (const c of this.cursors) if (!c.seekInPage(key)) queries.push(c.seekGE(key));
    if (queries.length > 0) await Promise.all(queries);
    this.settle();
    return this.valid;
  }

  async next(): Promise<boolean> {
    const at = this.head?.path;
    if (!at) return false;
    await Promise.all(this.cursors.filter((c) => c.valid && c.current().path.equals(at)).map((c) => c.next()));
    this.settle();
    return this.valid;
  }
}

/** All staged changes of the tokens in path order (strictly after `after` when given), in chunks, for a commit or a diff. */
export async function* stagedChunks(staging: StagingManager, tokens: readonly StagingToken[], chunkSize = 10_000, after?: Buffer): AsyncGenerator<{ key: Buffer; value: Buffer | undefined }[]> {
  if (tokens.length === 1) {
    // One token (the usual commit): whole pages straight from the store, no per-entry merging.
    let from = after;
    for (;;) {
      const page = await staging.scan(tokens[0], { after: from, limit: chunkSize });
      if (page.length > 0) yield page.map((e) => ({ key: e.path, value: e.value }));
      if (page.length < chunkSize) return;
      from = page[page.length - 1].path;
    }
  }
  const cursor = new MergedStagingCursor(staging, tokens, undefined, chunkSize);
  let chunk: { key: Buffer; value: Buffer | undefined }[] = [];
  for (let ok = await (after ? cursor.seekGE(Buffer.concat([after, Buffer.from([0])])) : cursor.first()); ok; ok = await cursor.next()) {
    const e = cursor.current();
    chunk.push({ key: e.path, value: e.value });
    if (chunk.length >= chunkSize) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}
