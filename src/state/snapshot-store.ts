// The snapshot store: an object store (local, S3 or Azure) holding snapshot tables under
// `snapshots/<index>-<term>.sst`. The Raft snapshot reference is that key. Uploads keep the newest
// `keep` snapshots; restores download to a local file, from the store or, when the store does not have it
// (a member-local store), from the leader's fallback stream.
import * as fs from "node:fs";
import { pipeline } from "node:stream/promises";
import { CorruptionError, hasCode, TarnError } from "../errors";
import type { ObjectStore } from "../block";
import type { Applied } from "./keyspace";

export const SNAPSHOT_PREFIX = "snapshots/";
const KEY_PATTERN = /^snapshots\/(\d{1,16})-(\d{1,16})\.sst$/;

export const snapshotKey = (applied: Applied): string => `${SNAPSHOT_PREFIX}${applied.index}-${applied.term}.sst`;

/** The index and term a snapshot key names; undefined for any other key. */
export function parseSnapshotKey(key: string): Applied | undefined {
  const m = KEY_PATTERN.exec(key);
  if (!m) return undefined;
  const index = Number(m[1]);
  const term = Number(m[2]);
  return Number.isSafeInteger(index) && Number.isSafeInteger(term) ? { index, term } : undefined;
}

export class SnapshotStore {
  constructor(
    readonly store: ObjectStore,
    private readonly keep: number,
    private readonly log?: (message: string) => void,
  ) {}

  parse(reference: string): Applied {
    const applied = parseSnapshotKey(reference);
    if (!applied) throw new CorruptionError(reference, `not a snapshot reference (expected ${SNAPSHOT_PREFIX}<index>-<term>.sst)`);
    return applied;
  }

  /** Uploads the table at `file` as the snapshot of `applied`; returns its key. */
  async upload(file: string, applied: Applied): Promise<string> {
    const key = snapshotKey(applied);
    const size = fs.statSync(file).size;
    await this.store.put(key, fs.createReadStream(file), { contentLength: size, contentType: "application/octet-stream" });
    await this.prune().catch((err: Error) => this.log?.(`could not prune old snapshots in ${this.store.uri}: ${err.message}`));
    return key;
  }

  /** Every snapshot in the store, newest (highest index) first. */
  async list(): Promise<{ key: string; applied: Applied }[]> {
    const found: { key: string; applied: Applied }[] = [];
    for await (const info of this.store.listAll(SNAPSHOT_PREFIX)) {
      const applied = parseSnapshotKey(info.key);
      if (applied) found.push({ key: info.key, applied });
    }
    return found.sort((a, b) => b.applied.index - a.applied.index || b.applied.term - a.applied.term);
  }

  private async prune(): Promise<void> {
    const all = await this.list();
    for (const old of all.slice(this.keep)) await this.store.delete(old.key);
  }
}

/**
 * Downloads `reference` to `file`. Falls back to `fetch` (the leader's stream) only when the store says the
 * key does not exist; returns the name to use in errors about the bytes.
 */
export async function downloadSnapshot(
  store: ObjectStore,
  reference: string,
  file: string,
  fetch: () => Promise<Uint8Array>,
): Promise<{ name: string; source: "store" | "leader" }> {
  try {
    await pipeline(await store.get(reference), fs.createWriteStream(file));
    return { name: `${store.uri}/${reference}`, source: "store" };
  } catch (err) {
    if (!hasCode(err, "NOT_FOUND")) throw err;
    let bytes: Uint8Array;
    try {
      bytes = await fetch();
    } catch (fetchErr) {
      throw new TarnError("UNAVAILABLE", `snapshot ${reference} is not in ${store.uri} and the leader could not send it: ${(fetchErr as Error).message}`, { cause: fetchErr });
    }
    fs.writeFileSync(file, bytes);
    return { name: `${reference} (sent by the leader)`, source: "leader" };
  }
}
