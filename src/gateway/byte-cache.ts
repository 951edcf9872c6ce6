// The bytes of small objects, kept in memory by physical address. Tarn writes every address once, so the
// bytes at an address never change: a read still asks the metadata service which address the path names
// now (and whether the caller may read it), and only then takes the bytes from here instead of the disk
// or the object store. Keyed by repository, address, checksum and size, so even an address reused under a
// recreated repository cannot serve other bytes. Bounded by total bytes; the least recently used go first.
import type * as M from "../metadata/messages";

export class ByteCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(
    private readonly maxBytes = 32 * 1024 * 1024,
    /** Larger objects are never kept. */
    readonly maxObjectBytes = 64 * 1024,
  ) {}

  private static key = (repository: string, stats: M.ObjectStats) => `${repository}\0${stats.physicalAddress}\0${stats.checksum}\0${stats.sizeBytes}`;

  /** Whether `stats` names bytes this cache may keep. */
  fits(stats: M.ObjectStats): boolean {
    return this.maxBytes > 0 && stats.addressType === "ADDRESS_TYPE_RELATIVE" && Number(stats.sizeBytes) <= this.maxObjectBytes;
  }

  get(repository: string, stats: M.ObjectStats): Buffer | undefined {
    if (!this.fits(stats)) return undefined;
    const key = ByteCache.key(repository, stats);
    const hit = this.entries.get(key);
    if (hit) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(repository: string, stats: M.ObjectStats, data: Buffer): void {
    if (!this.fits(stats) || data.length !== Number(stats.sizeBytes)) return;
    const key = ByteCache.key(repository, stats);
    if (this.entries.has(key)) return;
    // A copy: `data` may be a slice of a larger pooled buffer that must not be kept alive.
    const own = Buffer.from(data);
    this.entries.set(key, own);
    this.bytes += own.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.length;
    }
  }
}
