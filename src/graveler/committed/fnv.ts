// FNV-1a 64-bit over a key, reduced modulo a small number, without BigInt (it decides range boundaries for
// every key written, so it must be cheap). The 64-bit state is kept as two 32-bit halves.
const PRIME_LOW = 0x1b3; // FNV prime = 2^40 + 0x1b3

export function fnv1a64Mod(key: Uint8Array, modulus: number): number {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < key.length; i++) {
    lo = (lo ^ key[i]) >>> 0;
    // (hi:lo) * (2^40 + 0x1b3) mod 2^64
    const loTimes = lo * PRIME_LOW; // < 2^41, exact
    const carry = Math.floor(loTimes / 0x100000000);
    const newLo = loTimes >>> 0;
    const newHi = (Math.imul(hi, PRIME_LOW) + carry + (lo << 8)) >>> 0; // lo * 2^40 contributes lo << 8 to hi
    hi = newHi;
    lo = newLo;
  }
  // (hi * 2^32 + lo) mod m, with every intermediate below 2^53
  const twoTo32 = 0x100000000 % modulus;
  return (((hi % modulus) * twoTo32) % modulus + (lo % modulus)) % modulus;
}
