import { beforeAll, describe, expect, it } from 'vitest';
import { vigilExports, type VigilExports } from '../../src/wasm/exports.js';
import { freshHotPaths } from './build-wasm.js';

let ex: VigilExports;
beforeAll(async () => {
  ex = vigilExports((await freshHotPaths()).instance);
});

function hash(s: string): string {
  const bytes = new TextEncoder().encode(s);
  const ptr = ex.scratch_reserve(bytes.length) >>> 0;
  new Uint8Array(ex.memory.buffer).set(bytes, ptr);
  return BigInt.asUintN(64, ex.hash64(ptr, bytes.length)).toString(16).padStart(16, '0');
}

describe('hash64 (XXH64, seed 0) over UTF-8', () => {
  // Reference values of the xxHash implementation (XXH64, seed 0).
  it.each([
    ['', 'ef46db3751d8e999'],
    ['a', 'd24ec4f1a98c6e5b'],
    ['abc', '44bc2cf5ad770999'],
    ['hello world', '45ab6734b21e6968'],
    ['0123456789abcdef0123456789abcdef', '642a94958e71e6c5'],
    ['x'.repeat(100), '92f0de5a88a3c094'],
    ['héllo ✓ 😀', 'f44af51f66466b73'],
  ])('%j → %s', (input, expected) => {
    expect(hash(input)).toBe(expected);
  });
});
