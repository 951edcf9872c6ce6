// Bytewise comparison of two ranges. For the short keys of a table a JavaScript loop is several times faster
// than Buffer#compare with offsets, whose argument checks and native call dominate; long ranges go native.

const NATIVE_FROM = 256;

/** Compares a[as, ae) with b[bs, be) bytewise: negative when a sorts first, 0 when equal, positive otherwise. */
export function compareBytes(a: Buffer, as: number, ae: number, b: Uint8Array, bs: number, be: number): number {
  const alen = ae - as;
  const blen = be - bs;
  const n = alen < blen ? alen : blen;
  if (n >= NATIVE_FROM) return a.compare(b, bs, be, as, ae);
  for (let i = 0; i < n; i++) {
    const d = a[as + i] - b[bs + i];
    if (d !== 0) return d;
  }
  return alen - blen;
}

/** Where comparePrefixed reports the length of the common prefix it found (avoids returning a pair). */
export const prefix = { matched: 0 };

/**
 * Compares a[as, ae) with the whole of b, knowing their first `skip` bytes are equal (skip <= both lengths),
 * and records their common prefix length in prefix.matched. Seeks use it to skip the prefix a sorted block's
 * keys share with the target, which for path-like keys is most of every key.
 */
export function comparePrefixed(a: Buffer, as: number, ae: number, b: Uint8Array, skip: number): number {
  const alen = ae - as;
  const blen = b.length;
  const n = alen < blen ? alen : blen;
  for (let i = skip; i < n; i++) {
    const d = a[as + i] - b[i];
    if (d !== 0) {
      prefix.matched = i;
      return d;
    }
  }
  prefix.matched = n;
  return alen - blen;
}
