// The file-system moves of the local store: write a temp file completely (fsync), then rename it into
// place, so a reader sees the old object or the new one, never part of one. Sidecars record the inode
// of the data file they describe; a sidecar whose inode does not match (a crash between the two renames,
// or a file someone copied in by hand) is ignored and the etag falls back to one derived from the stat.
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { failedPrecondition } from "../errors";
import type { LocalLayout } from "./local-layout";
import { Meter } from "./streams";

export interface Sidecar {
  /** Inode of the data file this sidecar describes, as a decimal string (inodes may exceed 2^53). */
  ino: string;
  size: number;
  etag: string;
  contentType?: string;
  metadata?: Record<string, string>;
}

export const isMissing = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
};

export const tempName = (): string => randomBytes(16).toString("hex");

/** Streams `body` into a new temp file, fsyncs it and returns its path, size, MD5 and inode. */
export async function writeTemp(layout: LocalLayout, body: Readable): Promise<{ tmp: string; size: number; md5: Buffer; ino: string }> {
  await fsp.mkdir(layout.tmpDir, { recursive: true });
  const tmp = path.join(layout.tmpDir, tempName());
  const meter = new Meter("md5");
  try {
    await pipeline(body, meter, fs.createWriteStream(tmp, { flags: "wx", flush: true, highWaterMark: 1024 * 1024 }));
    const stat = await fsp.stat(tmp, { bigint: true });
    return { tmp, size: meter.bytes, md5: meter.digest(), ino: stat.ino.toString() };
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/** fsync a directory so that a rename into it survives a crash. */
async function syncDir(dir: string): Promise<void> {
  const handle = await fsp.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeFileDurably(file: string, data: string): Promise<void> {
  const handle = await fsp.open(file, "wx");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Moves a complete temp file to `key` with its sidecar. Parent directories are created as needed; a
 * parent that is itself an object (key "a" when writing "a/b"), or a key that is a directory of other
 * objects, is a FAILED_PRECONDITION: a directory tree cannot hold both, unlike S3.
 */
export async function commitObject(storeUri: string, layout: LocalLayout, key: string, tmp: string, sidecar: Sidecar): Promise<void> {
  const target = layout.objectPath(key);
  const sidecarFile = layout.sidecarPath(key);
  const sidecarTmp = path.join(layout.tmpDir, tempName());
  try {
    await writeFileDurably(sidecarTmp, JSON.stringify(sidecar));
    await renameInto(storeUri, key, sidecarTmp, sidecarFile);
    try {
      await renameInto(storeUri, key, tmp, target);
    } catch (err) {
      // Do not leave a sidecar behind for data that never arrived (it would not match anyway: tidiness).
      if ((await readSidecar(layout, key, BigInt(sidecar.ino))) !== undefined) await fsp.rm(sidecarFile, { force: true });
      throw err;
    }
    await Promise.all([syncDir(path.dirname(sidecarFile)), syncDir(path.dirname(target))]);
  } finally {
    await Promise.all([fsp.rm(tmp, { force: true }), fsp.rm(sidecarTmp, { force: true })]);
  }
}

async function renameInto(storeUri: string, key: string, from: string, to: string): Promise<void> {
  // A concurrent delete may prune the parent directory between our mkdir and rename: try again then.
  for (let attempt = 0; ; attempt++) {
    try {
      await fsp.mkdir(path.dirname(to), { recursive: true });
      await fsp.rename(from, to);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOTDIR" || code === "EEXIST") {
        throw failedPrecondition(`${storeUri}: key '${key}' cannot be stored: a parent path segment is an existing object`, err);
      }
      if (code === "EISDIR" || code === "ENOTEMPTY") {
        throw failedPrecondition(`${storeUri}: key '${key}' cannot be stored: other objects exist under '${key}/'`, err);
      }
      if (code !== "ENOENT" || attempt >= 3) throw err;
    }
  }
}

/** Reads the sidecar of `key` if it still describes the data file with inode `ino`. */
export async function readSidecar(layout: LocalLayout, key: string, ino: bigint): Promise<Sidecar | undefined> {
  try {
    const sidecar = JSON.parse(await fsp.readFile(layout.sidecarPath(key), "utf8")) as Sidecar;
    return sidecar.ino === ino.toString() ? sidecar : undefined;
  } catch (err) {
    if (isMissing(err) || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** The etag of a file that has no valid sidecar: stable while the file is unchanged. */
export const statEtag = (stat: fs.BigIntStats): string =>
  createHash("md5").update(`${stat.ino}:${stat.size}:${stat.mtimeNs}`).digest("hex");

/** Removes `dir` and its now-empty parents up to (not including) `stop`, so deleted prefixes disappear. */
export async function pruneEmptyDirs(dir: string, stop: string): Promise<void> {
  for (let d = dir; d.startsWith(stop + path.sep); d = path.dirname(d)) {
    try {
      await fsp.rmdir(d);
    } catch {
      return; // not empty (or already gone, or raced with a writer): stop here
    }
  }
}
