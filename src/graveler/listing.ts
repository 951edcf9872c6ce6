// One page of a listing over what a ref shows: entries under a prefix, in path order, after a cursor, with
// everything below a delimiter folded into one common prefix (as S3's ListObjectsV2 does).
import type { Entry } from "./entry";
import { prefixEnd } from "./kv/types";

export type Listing = { path: string; entry: Entry } | { commonPrefix: string };

export interface ListCursor {
  seekGE(key: Buffer): Promise<boolean>;
  next(): Promise<boolean>;
  current(): { key: Buffer; value: Buffer };
}

export interface ListPageOptions {
  prefix: Buffer;
  /** Empty for a flat listing. */
  delimiter: Buffer;
  /** Empty to start at the prefix; a common prefix returned earlier skips everything under it. */
  after: Buffer;
  amount: number;
}

export async function listPage(
  cursor: ListCursor,
  { prefix, delimiter, after, amount }: ListPageOptions,
  decode: (key: Buffer, value: Buffer) => Entry,
): Promise<{ results: Listing[]; hasMore: boolean }> {
  const results: Listing[] = [];
  const underPrefix = (key: Buffer) => key.subarray(0, prefix.length).equals(prefix);
  let start: Buffer = prefix;
  if (after.length > 0 && Buffer.compare(after, prefix) >= 0) {
    const afterIsCommonPrefix = delimiter.length > 0 && after.subarray(after.length - delimiter.length).equals(delimiter);
    // The smallest key after `after` is `after` + NUL (paths never contain NUL).
    start = afterIsCommonPrefix ? (prefixEnd(after) ?? after) : Buffer.concat([after, Buffer.from([0])]);
  }
  let ok = await cursor.seekGE(start);
  while (ok && results.length < amount) {
    const { key, value } = cursor.current();
    if (!underPrefix(key)) break;
    const at = delimiter.length > 0 ? key.indexOf(delimiter, prefix.length) : -1;
    if (at >= 0) {
      const common = key.subarray(0, at + delimiter.length);
      results.push({ commonPrefix: common.toString("utf8") });
      const past = prefixEnd(common);
      ok = past ? await cursor.seekGE(past) : false;
    } else {
      results.push({ path: key.toString("utf8"), entry: decode(key, value) });
      ok = await cursor.next();
    }
  }
  return { results, hasMore: ok && underPrefix(cursor.current().key) };
}
