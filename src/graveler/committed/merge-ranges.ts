// The range-level fast path of a three-way merge. Between the ranges that base and source share, the key
// space splits into regions the source changed. Where the destination still holds exactly the base's ranges
// in such a region, the merge result there is the source's ranges, taken whole without reading a key.
// Pure: works on range records only.
import type { RangeRecord } from "./records";

export interface RegionSubstitution {
  /** The destination's ranges with every fast region replaced by the source's ranges. */
  dest: RangeRecord[];
  /** IDs of base and source ranges in fast regions: the key-level merge must leave them out. */
  handled: Set<string>;
}

interface Region {
  /** Exclusive bounds: the max key of the shared range before, the min key of the shared range after. */
  lo?: Buffer;
  hi?: Buffer;
  base: RangeRecord[];
  source: RangeRecord[];
}

function changedRegions(base: readonly RangeRecord[], source: readonly RangeRecord[]): Region[] | undefined {
  const inSource = new Set(source.map((r) => r.id));
  const shared = new Set(base.filter((r) => inSource.has(r.id)).map((r) => r.id));
  const regions: Region[] = [];
  let i = 0;
  let j = 0;
  let lo: Buffer | undefined;
  while (i < base.length || j < source.length) {
    const bi = i;
    const sj = j;
    while (i < base.length && !shared.has(base[i].id)) i++;
    while (j < source.length && !shared.has(source[j].id)) j++;
    const hi = i < base.length ? base[i].minKey : undefined;
    if (bi < i || sj < j) regions.push({ lo, hi, base: base.slice(bi, i), source: source.slice(sj, j) });
    if (i < base.length) {
      // Shared ranges appear in the same order on both sides; anything else is not a well-formed pair of trees.
      if (j >= source.length || source[j].id !== base[i].id) return undefined;
      lo = base[i].maxKey;
      i++;
      j++;
    } else if (j < source.length) {
      return undefined;
    }
  }
  return regions;
}

export function substituteUnchangedRegions(base: readonly RangeRecord[], source: readonly RangeRecord[], dest: readonly RangeRecord[]): RegionSubstitution {
  const regions = changedRegions(base, source);
  const handled = new Set<string>();
  if (!regions) return { dest: [...dest], handled };
  const out: RangeRecord[] = [];
  let k = 0;
  for (const region of regions) {
    // The destination's ranges that reach into (lo, hi).
    let k1 = k;
    while (k1 < dest.length && region.lo && Buffer.compare(dest[k1].maxKey, region.lo) <= 0) k1++;
    let k2 = k1;
    while (k2 < dest.length && (!region.hi || Buffer.compare(dest[k2].minKey, region.hi) < 0)) k2++;
    const run = dest.slice(k1, k2);
    const unchanged = run.length === region.base.length && run.every((r, n) => r.id === region.base[n].id);
    if (!unchanged) continue;
    out.push(...dest.slice(k, k1), ...region.source);
    k = k2;
    for (const r of region.base) handled.add(r.id);
    for (const r of region.source) handled.add(r.id);
  }
  out.push(...dest.slice(k));
  return { dest: out, handled };
}
