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
/** Tables up to this size are uploaded from memory in one request; larger ones stream. */
const ONE_REQUEST_BYTES = 32 * 1024 * 1024;
const UPLOAD_ATTEMPTS = 2;
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

  /**
   * Uploads the table at `file` as the snapshot of `applied`; returns its key. Members of one group may
   * snapshot the same index at the same moment: their tables are byte for byte the same (the state machine
   * and the writer are deterministic), so when our upload fails but the key is there with our size, another
   * member's upload serves as ours. Small tables go up in one request (atomic on every store).
   */
  async upload(file: string, applied: Applied): Promise<string> {
    const key = snapshotKey(applied);
    const size = fs.statSync(file).size;
    for (let attempt = 1; ; attempt++) {
      try {
        const body = size <= ONE_REQUEST_BYTES ? fs.readFileSync(file) : fs.createReadStream(file);
        await this.store.put(key, body, { contentLength: size, contentType: "application/octet-stream" });
        break;
      } catch (err) {
        const there = await this.store.head(key).catch(() => undefined);
        if (there && there.size === size) break;
        if (attempt >= UPLOAD_ATTEMPTS) throw err;
        this.log?.(`snapshot upload of ${key} to ${this.store.uri} failed (attempt ${attempt}): ${(err as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      }
    }
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
