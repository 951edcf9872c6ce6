// Listing a directory tree in the order S3 lists keys: by UTF-8 bytes of the whole key. A directory
// "a" holds keys "a/...", so it sorts as "a/" (after "a-b", before "a0"); walking entries in that order,
// depth first, yields keys already sorted, and whole subtrees outside the prefix or before the start key
// are skipped without being read.
import type { Dirent } from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { RESERVED_DIR } from "./local-layout";
import { isMissing } from "./local-files";
import { compareKeys } from "./validate";

export interface WalkBounds {
  prefix: string;
  /** Yield only keys strictly after this one. */
  after?: string;
}

/** Yields the keys under `root` within `bounds`, sorted; symlinks and special files are not objects. */
export async function* walkKeys(root: string, bounds: WalkBounds): AsyncGenerator<string> {
  yield* walkDir(root, "", bounds);
}

async function* walkDir(dir: string, keyPrefix: string, bounds: WalkBounds): AsyncGenerator<string> {
  let entries: Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) return; // the root was never written to, or a delete pruned this directory
    throw err;
  }
  const candidates: { sortKey: string; name: string; isDir: boolean }[] = [];
  for (const entry of entries) {
    if (keyPrefix === "" && entry.name === RESERVED_DIR) continue;
    const isDir = entry.isDirectory();
    if (!isDir && !entry.isFile()) continue;
    const sortKey = keyPrefix + entry.name + (isDir ? "/" : "");
    if (isDir ? mayHoldKeysInBounds(sortKey, bounds) : isInBounds(sortKey, bounds)) candidates.push({ sortKey, name: entry.name, isDir });
  }
  candidates.sort((a, b) => compareKeys(a.sortKey, b.sortKey));
  for (const { sortKey, name, isDir } of candidates) {
    if (isDir) yield* walkDir(path.join(dir, name), sortKey, bounds);
    else yield sortKey;
  }
}

function isInBounds(key: string, { prefix, after }: WalkBounds): boolean {
  return key.startsWith(prefix) && (after === undefined || compareKeys(key, after) > 0);
}

/** Every key under directory `dirKey` ("x/") starts with it: can any of them be in bounds? */
function mayHoldKeysInBounds(dirKey: string, { prefix, after }: WalkBounds): boolean {
  if (!dirKey.startsWith(prefix) && !prefix.startsWith(dirKey)) return false;
  // If dirKey sorts before `after` and is not a prefix of it, every key below it sorts before it too.
  if (after !== undefined && compareKeys(dirKey, after) < 0 && !after.startsWith(dirKey)) return false;
  return true;
}
