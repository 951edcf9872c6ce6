// Index keys. An index entry's key must be >= every key in its block and < every key in the next one; short
// keys make small indexes, so the writer shortens user keys the way pebble's DefaultComparer does and marks a
// shortened key with the largest sequence number and the separator kind.

/** Length of the longest common prefix of a and b. */
export function sharedPrefix(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/**
 * A short user key s with a <= s < b (a < b required), or undefined when none is shorter than a
 * (then a itself is the separator).
 */
export function shortSeparator(a: Uint8Array, b: Uint8Array): Buffer | undefined {
  const n = sharedPrefix(a, b);
  if (n >= a.length || n >= b.length) return undefined; // a is a prefix of b
  const ca = a[n];
  if (ca < 0xff && ca + 1 < b[n]) {
    if (n + 1 >= a.length) return undefined; // not shorter than a
    const s = Buffer.from(a.subarray(0, n + 1));
    s[n]++;
    return s;
  }
  // a[n] + 1 == b[n]: keep a[0..n] and bump the first later byte of a that can be bumped; the result still
  // sorts before b because its byte n is a[n] < b[n].
  for (let i = n + 1; i < a.length - 1; i++) {
    if (a[i] < 0xff) {
      const s = Buffer.from(a.subarray(0, i + 1));
      s[i]++;
      return s;
    }
  }
  return undefined;
}

/** A short user key s >= a, or undefined when none is shorter than a. */
export function shortSuccessor(a: Uint8Array): Buffer | undefined {
  for (let i = 0; i < a.length - 1; i++) {
    if (a[i] < 0xff) {
      const s = Buffer.from(a.subarray(0, i + 1));
      s[i]++;
      return s;
    }
  }
  return undefined;
}
