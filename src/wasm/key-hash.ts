/**
 * The 64-bit keyed hash of IOC keys, computed in JavaScript so a look-up copies no key into
 * WebAssembly memory: the module receives the hash as two u32 halves (assembly/cuckoo.ts, keyed
 * filters). It reads the string's UTF-16 code units two at a time, in two independent 32-bit
 * lanes (Murmur3-style rounds: multiply, rotate, multiply), each keyed by a seed mixed into every
 * word before its first multiply, and a final avalanche that mixes the lanes into each other.
 *
 * Why keyed: lookups are attacker-written (event fields) and so may be IOC lists; with a seed drawn
 * at random per set (and kept in its serialized form) nobody can compute offline which keys share
 * buckets or fingerprints, to crowd a bucket pair or to hit a chosen IOC with a false positive.
 * This is not a cryptographic MAC: it protects the table's balance, and the filter never loses a
 * key whatever the collisions (crowded buckets spill into a new level, see assembly/cuckoo.ts).
 *
 * Keys are hashed as code units, so two strings hash alike only when they collide, including
 * strings with lone surrogates (the UTF-8 path of format 1 merged those into U+FFFD).
 */

/** The last hash's halves (two results without allocating an object per key). */
export let hashLo = 0;
export let hashHi = 0;

export function keyHash(key: string, seedLo: number, seedHi: number): void {
  const n = key.length;
  let h1 = seedLo ^ n;
  let h2 = seedHi ^ Math.imul(n, 0x9e3779b1);
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const w = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16);
    let k = Math.imul(w ^ seedHi, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h1 ^= k;
    h1 = (Math.imul((h1 << 13) | (h1 >>> 19), 5) + 0xe6546b64) | 0;
    let j = Math.imul(w ^ seedLo, 0x85ebca6b);
    j = Math.imul((j << 17) | (j >>> 15), 0xc2b2ae35);
    h2 ^= j;
    h2 = (Math.imul((h2 << 11) | (h2 >>> 21), 9) + 0x52dce729) | 0;
  }
  if (i < n) {
    const w = key.charCodeAt(i);
    let k = Math.imul(w ^ seedHi, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h1 ^= k;
    let j = Math.imul(w ^ seedLo, 0x85ebca6b);
    j = Math.imul((j << 17) | (j >>> 15), 0xc2b2ae35);
    h2 ^= j;
  }
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  hashLo = h1 >>> 0;
  hashHi = h2 >>> 0;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A fresh random seed half (u32), from the platform's CSPRNG (Web Crypto: Node, browsers, Deno, workerd). */
export function randomSeed(): number {
  return globalThis.crypto.getRandomValues(new Uint32Array(1))[0]!;
}
