// FNV-1a 64-bit over a key, reduced modulo a small number, without BigInt (it decides range boundaries for
// every key written, so it must be cheap). The 64-bit state is kept as four 16-bit limbs: every product and
// carry stays an exact small integer, so the loop runs on integer operations only (no division per byte).
const PRIME_LOW = 0x1b3; // FNV prime = 2^40 + 0x1b3

/** fnv1a64(key[0, length)) mod `modulus`, for a modulus below 2^32. */
export function fnv1a64Mod(key: Uint8Array, modulus: number, length = key.length): number {
  // offset basis 0xcbf29ce484222325, least significant limb first
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  for (let i = 0; i < length; i++) {
    h0 ^= key[i];
    // (h3:h2:h1:h0) * (2^40 + 0x1b3) mod 2^64: 2^40 moves limb 0 to limb 2 and limb 1 to limb 3, 8 bits up.
    const t0 = h0 * PRIME_LOW;
    const t1 = h1 * PRIME_LOW + (t0 >>> 16);
    const t2 = h2 * PRIME_LOW + (h0 << 8) + (t1 >>> 16);
    const t3 = h3 * PRIME_LOW + (h1 << 8) + (t2 >>> 16);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  }
  // Horner over the limbs: each step stays below 2^48.
  let r = h3 % modulus;
  r = (r * 0x10000 + h2) % modulus;
  r = (r * 0x10000 + h1) % modulus;
  return (r * 0x10000 + h0) % modulus;
}
