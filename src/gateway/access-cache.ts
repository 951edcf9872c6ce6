// How to read an object's bytes depends only on its physical address, which never changes content: the
// gateway keeps what GetObject said (a local file path, or a presigned URL until shortly before it
// expires) per repository and address. A read then costs one StatObject, which checks the caller's right
// to read the path and names the address, instead of a GetObject that presigns anew every time.
import type * as M from "../metadata/messages";

const MARGIN_SECONDS = 60;

export class AccessCache {
  private readonly entries = new Map<string, M.GetObjectResponse>();

  constructor(private readonly maxEntries = 100_000) {}

  private static key = (repository: string, physicalAddress: string) => `${repository}\0${physicalAddress}`;

  /** How to read `stats`'s bytes, if known and still valid; the answer carries the caller's fresh stats. */
  lookup(repository: string, stats: M.ObjectStats, nowSeconds = Date.now() / 1000): M.GetObjectResponse | undefined {
    const hit = this.entries.get(AccessCache.key(repository, stats.physicalAddress));
    if (!hit) return undefined;
    if (hit.presignedUrl && Number(hit.expiresAt) - MARGIN_SECONDS <= nowSeconds) {
      this.entries.delete(AccessCache.key(repository, stats.physicalAddress));
      return undefined;
    }
    return { ...hit, stats };
  }

  remember(repository: string, got: M.GetObjectResponse): void {
    if (!got.stats || got.stats.addressType !== "ADDRESS_TYPE_RELATIVE" || (!got.presignedUrl && !got.direct?.local)) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(AccessCache.key(repository, got.stats.physicalAddress), got);
  }
}
