// 64-bit hashing of byte ranges in linear memory.
//
// XXH64 (Yann Collet's xxHash, 64-bit variant): only 64-bit multiplies, which WebAssembly has
// natively — xxh3/wyhash lean on a 64×64→128 multiply that wasm must emulate with four 32-bit
// products, so on this target XXH64 is the faster member of the family for short keys.
// Output is bit-identical to the reference implementation (seed 0 vectors are in test/wasm).

import { keyBytes } from './keys';

// @ts-ignore: decorator
@inline const P1: u64 = 0x9E3779B185EBCA87;
// @ts-ignore: decorator
@inline const P2: u64 = 0xC2B2AE3D27D4EB4F;
// @ts-ignore: decorator
@inline const P3: u64 = 0x165667B19E3779F9;
// @ts-ignore: decorator
@inline const P4: u64 = 0x85EBCA77C2B2AE63;
// @ts-ignore: decorator
@inline const P5: u64 = 0x27D4EB2F165667C5;

// @ts-ignore: decorator
@inline function round(acc: u64, input: u64): u64 {
  acc += input * P2;
  acc = rotl<u64>(acc, 31);
  return acc * P1;
}

// @ts-ignore: decorator
@inline function mergeRound(acc: u64, val: u64): u64 {
  acc ^= round(0, val);
  return acc * P1 + P4;
}

/** XXH64 of `len` bytes at `ptr`. */
export function xxh64(ptr: usize, len: usize, seed: u64): u64 {
  let p = ptr;
  const end = ptr + len;
  let h: u64;
  if (len >= 32) {
    const limit = end - 32;
    let v1 = seed + P1 + P2;
    let v2 = seed + P2;
    let v3 = seed;
    let v4 = seed - P1;
    do {
      v1 = round(v1, load<u64>(p));
      v2 = round(v2, load<u64>(p, 8));
      v3 = round(v3, load<u64>(p, 16));
      v4 = round(v4, load<u64>(p, 24));
      p += 32;
    } while (p <= limit);
    h = rotl<u64>(v1, 1) + rotl<u64>(v2, 7) + rotl<u64>(v3, 12) + rotl<u64>(v4, 18);
    h = mergeRound(h, v1);
    h = mergeRound(h, v2);
    h = mergeRound(h, v3);
    h = mergeRound(h, v4);
  } else {
    h = seed + P5;
  }
  h += <u64>len;
  while (p + 8 <= end) {
    h ^= round(0, load<u64>(p));
    h = rotl<u64>(h, 27) * P1 + P4;
    p += 8;
  }
  if (p + 4 <= end) {
    h ^= <u64>load<u32>(p) * P1;
    h = rotl<u64>(h, 23) * P2 + P3;
    p += 4;
  }
  while (p < end) {
    h ^= <u64>load<u8>(p) * P5;
    h = rotl<u64>(h, 11) * P1;
    p++;
  }
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}

/** A cheap 64-bit finalizer (murmur3 fmix64), used to derive independent hashes from one. */
// @ts-ignore: decorator
@inline export function mix64(x: u64): u64 {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCD;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53;
  x ^= x >> 33;
  return x;
}

/** Exported for the host: XXH64 (seed 0) of `len` UTF-8 bytes at `ptr`. */
export function hash64(ptr: usize, len: usize): u64 {
  return xxh64(ptr, len, 0);
}

/**
 * XXH64 (seed 0) of a batch of keys (layout and unit mode: keys.ts), one u64 per key at `out`.
 * Returns the number of keys hashed (fewer than n when a surrogate pair straddles two keys).
 */
export function hash64_many(data: usize, lens: usize, n: u32, units: bool, out: usize): u32 {
  let p = data;
  for (let k: u32 = 0; k < n; k++) {
    const len = keyBytes(p, load<u32>(lens + (<usize>k << 2)), units);
    if (len < 0) return k;
    store<u64>(out + (<usize>k << 3), xxh64(p, <usize>len, 0));
    p += <usize>len;
  }
  return n;
}
