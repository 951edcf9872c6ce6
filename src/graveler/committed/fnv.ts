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
  return reduce(h0, h1, h2, h3, modulus);
}

/** (h3:h2:h1:h0) mod m by Horner over the limbs: each step stays below 2^48. */
function reduce(h0: number, h1: number, h2: number, h3: number, m: number): number {
  let r = h3 % m;
  r = (r * 0x10000 + h2) % m;
  r = (r * 0x10000 + h1) % m;
  return (r * 0x10000 + h0) % m;
}

/**
 * fnv1a64Mod for keys that arrive in sorted order, as a range writer sees them: consecutive keys share long
 * prefixes ("tables/events/part-000…"), so the hash state after each byte of the previous key is kept and a
 * key is hashed from where it departs from the previous one. Same results as fnv1a64Mod.
 */
export class SortedKeysFnv {
  /** The four limbs after each byte of the previous key: states[4 * i …] is the state after i bytes. */
  private states = new Int32Array(4 * 257);
  private previous = new Uint8Array(256);
  private previousLength = 0;

  constructor(private readonly modulus: number) {
    this.states.set([0x2325, 0x8422, 0x9ce4, 0xcbf2], 0);
  }

  mod(key: Uint8Array, length = key.length): number {
    if (length > this.previous.length) this.grow(length);
    const prev = this.previous;
    const st = this.states;
    let i = 0;
    const common = Math.min(length, this.previousLength);
    while (i < common && key[i] === prev[i]) i++;
    let h0 = st[4 * i];
    let h1 = st[4 * i + 1];
    let h2 = st[4 * i + 2];
    let h3 = st[4 * i + 3];
    for (; i < length; i++) {
      const b = key[i];
      prev[i] = b;
      h0 ^= b;
      const t0 = h0 * PRIME_LOW;
      const t1 = h1 * PRIME_LOW + (t0 >>> 16);
      const t2 = h2 * PRIME_LOW + (h0 << 8) + (t1 >>> 16);
      const t3 = h3 * PRIME_LOW + (h1 << 8) + (t2 >>> 16);
      h0 = t0 & 0xffff;
      h1 = t1 & 0xffff;
      h2 = t2 & 0xffff;
      h3 = t3 & 0xffff;
      const s = 4 * (i + 1);
      st[s] = h0;
      st[s + 1] = h1;
      st[s + 2] = h2;
      st[s + 3] = h3;
    }
    this.previousLength = length;
    return reduce(h0, h1, h2, h3, this.modulus);
  }

  private grow(length: number): void {
    const previous = new Uint8Array(2 * length);
    previous.set(this.previous.subarray(0, this.previousLength));
    const states = new Int32Array(4 * (2 * length + 1));
    states.set(this.states.subarray(0, 4 * (this.previousLength + 1)));
    this.previous = previous;
    this.states = states;
  }
}
