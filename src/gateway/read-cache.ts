// An optional, short-lived cache of GetObject answers (entry + where its bytes are), so hot small objects
// cost no metadata round trip. Off by default: with it on, another gateway's (or the SDK's) write to the
// same path may take up to the TTL to show here; this gateway's own writes drop their path at once. Keyed
// by caller too, so one user's permission to read never serves another user.
import type * as M from "../metadata/messages";

export class ReadCache {
  private readonly entries = new Map<string, Map<string, { at: number; value: Promise<M.GetObjectResponse> }>>();

  constructor(private readonly ttlMs: number, private readonly maxPaths = 50_000) {}

  private static pathKey = (repository: string, ref: string, path: string) => `${repository}\0${ref}\0${path}`;

  get(caller: string, repository: string, ref: string, path: string, load: () => Promise<M.GetObjectResponse>): Promise<M.GetObjectResponse> {
    const key = ReadCache.pathKey(repository, ref, path);
    const now = Date.now();
    let byCaller = this.entries.get(key);
    const hit = byCaller?.get(caller);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = load();
    if (!byCaller) {
      if (this.entries.size >= this.maxPaths) this.entries.delete(this.entries.keys().next().value as string);
      byCaller = new Map();
      this.entries.set(key, byCaller);
    }
    byCaller.set(caller, { at: now, value });
    value.catch(() => byCaller!.delete(caller));
    return value;
  }

  /** A write through this gateway: drop what was cached for the path. */
  forget(repository: string, ref: string, path: string): void {
    this.entries.delete(ReadCache.pathKey(repository, ref, path));
  }
}
