// Batches of string keys written by the host: `n` keys back to back at `data`, with `lens` an
// array of n u32 lengths. In byte mode (units = false) lengths are UTF-8 byte counts. In unit mode
// (units = true) they are UTF-16 code-unit counts (JS string lengths) of keys whose concatenation
// was encoded as one UTF-8 string: the key boundaries are found by walking lead bytes (a 4-byte
// sequence is two units). If a surrogate pair straddles two keys (a key ending in a lone high
// surrogate followed by one starting with a lone low surrogate), the split is impossible; callers
// stop there and return the number of keys processed, and the host encodes the rest one by one.

/** Byte length of the next key, or -1 when a 4-byte sequence straddles its end. */
// @ts-ignore: decorator
@inline export function keyBytes(p: usize, len: u32, units: bool): isize {
  if (!units) return <isize>len;
  let q = p;
  let u = len;
  while (u > 0) {
    const b = load<u8>(q);
    if (b < 0x80) {
      q += 1;
      u -= 1;
    } else if (b < 0xE0) {
      q += 2;
      u -= 1;
    } else if (b < 0xF0) {
      q += 3;
      u -= 1;
    } else {
      if (u < 2) return -1;
      q += 4;
      u -= 2;
    }
  }
  return <isize>(q - p);
}
