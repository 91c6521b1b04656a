// An experiment, not part of the build (assembly/index.ts does not export it): the lazy reader's
// validation scan (src/io/json-scan.ts, same grammar and depth limit) in AssemblyScript, to measure
// whether scanning in WebAssembly beats the TypeScript scanner. `node bench/ingest.mjs --wasm-scan 1`
// compiles it and compares the two on the workload's lines (the TypeScript scanner also matches
// the wanted keys; this one records every top-level member's key and value span).
const PLAIN: StaticArray<u8> = new StaticArray<u8>(256);
let inited = false;
function init(): void {
  for (let c = 0x20; c < 0x80; c++) PLAIN[c] = c == 0x22 || c == 0x5c ? 0 : 1;
  inited = true;
}
@inline function isWs(c: u32): bool { return c == 0x20 || c == 0x09 || c == 0x0d || c == 0x0a; }
@inline function isHex(c: u32): bool { return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66); }

let special: bool = false;
function scanString(i: usize, end: usize): usize {
  special = false;
  while (true) {
    while (i < end && unchecked(PLAIN[load<u8>(i)])) i++;
    if (i >= end) return 0;
    const c = <u32>load<u8>(i);
    if (c == 0x22) return i + 1;
    if (c == 0x5c) {
      special = true;
      if (i + 1 >= end) return 0;
      const e = <u32>load<u8>(i + 1);
      if (e == 0x75) {
        if (i + 6 > end || !isHex(load<u8>(i + 2)) || !isHex(load<u8>(i + 3)) || !isHex(load<u8>(i + 4)) || !isHex(load<u8>(i + 5))) return 0;
        i += 6;
      } else if (e == 0x22 || e == 0x5c || e == 0x2f || e == 0x62 || e == 0x66 || e == 0x6e || e == 0x72 || e == 0x74) i += 2;
      else return 0;
      continue;
    }
    if (c < 0x20) return 0;
    special = true;
    const c1 = i + 1 < end ? <u32>load<u8>(i + 1) : 0;
    if (c >= 0xc2 && c <= 0xdf) { if ((c1 & 0xc0) != 0x80) return 0; i += 2; }
    else if (c >= 0xe0 && c <= 0xef) {
      if ((c1 & 0xc0) != 0x80 || (c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f)) return 0;
      if (i + 2 >= end || (load<u8>(i + 2) & 0xc0) != 0x80) return 0;
      i += 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      if ((c1 & 0xc0) != 0x80 || (c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 > 0x8f)) return 0;
      if (i + 3 >= end || (load<u8>(i + 2) & 0xc0) != 0x80 || (load<u8>(i + 3) & 0xc0) != 0x80) return 0;
      i += 4;
    } else return 0;
  }
}
function scanNumber(i: usize, end: usize): usize {
  if (load<u8>(i) == 0x2d) i++;
  if (i >= end) return 0;
  let c = <u32>load<u8>(i);
  if (c == 0x30) i++;
  else if (c > 0x30 && c <= 0x39) { i++; while (i < end && (c = load<u8>(i)) >= 0x30 && c <= 0x39) i++; }
  else return 0;
  if (i < end && load<u8>(i) == 0x2e) { i++; if (i >= end || !((c = load<u8>(i)) >= 0x30 && c <= 0x39)) return 0; while (i < end && (c = load<u8>(i)) >= 0x30 && c <= 0x39) i++; }
  if (i < end && (load<u8>(i) | 0x20) == 0x65) { i++; if (i < end && (load<u8>(i) == 0x2b || load<u8>(i) == 0x2d)) i++; if (i >= end || !((c = load<u8>(i)) >= 0x30 && c <= 0x39)) return 0; while (i < end && (c = load<u8>(i)) >= 0x30 && c <= 0x39) i++; }
  return i;
}
const stack = new StaticArray<u8>(132);
/** Validates [ptr, ptr+len); writes top-level member spans (keyStart,keyEnd,valStart,valEnd as i32) at out; returns members+1, or 0 invalid. */
export function scan(ptr: usize, len: usize, out: usize): i32 {
  if (!inited) init();
  const end = ptr + len;
  let i = ptr; let c: u32 = 0;
  while (i < end && isWs(c = load<u8>(i))) i++;
  if (i >= end || load<u8>(i) != 0x7b) return 0;
  i++;
  let depth = 1; unchecked(stack[1] = 1);
  let mode = 0; let members = 0; let valueStart: usize = 0;
  while (true) {
    while (i < end && isWs(c = load<u8>(i))) i++;
    if (i >= end) return 0;
    if (mode == 4) {
      if (c == 0x2c) { i++; mode = unchecked(stack[depth]) == 1 ? 1 : 3; continue; }
      if (c != (unchecked(stack[depth]) == 1 ? 0x7d : 0x5d)) return 0;
      i++;
      if (--depth == 0) break;
      if (depth == 1) { store<i32>(out + members * 16 - 4, <i32>(i - ptr)); store<i32>(out + members * 16 - 8, <i32>(valueStart - ptr)); }
      continue;
    }
    if (mode <= 1) {
      if (c == 0x7d && mode == 0) { mode = 4; continue; }
      if (c != 0x22) return 0;
      const ks = i + 1;
      i = scanString(ks, end);
      if (i == 0) return 0;
      if (depth == 1) { store<i32>(out + members * 16, <i32>(ks - ptr) | (special ? 0x40000000 : 0)); store<i32>(out + members * 16 + 4, <i32>(i - 1 - ptr)); members++; }
      while (i < end && isWs(c = load<u8>(i))) i++;
      if (i >= end || c != 0x3a) return 0;
      i++; mode = 3; continue;
    }
    if (mode == 2 && c == 0x5d) { mode = 4; continue; }
    const at = i;
    if (depth == 1) valueStart = at;
    if (c == 0x22) { i = scanString(i + 1, end); if (i == 0) return 0; }
    else if (c == 0x7b || c == 0x5b) { if (++depth > 128) return 0; unchecked(stack[depth] = c == 0x7b ? 1 : 2); mode = c == 0x7b ? 0 : 2; i++; continue; }
    else if (c == 0x2d || (c >= 0x30 && c <= 0x39)) { i = scanNumber(i, end); if (i == 0) return 0; }
    else if (c == 0x74) { if (i + 4 > end || load<u8>(i + 1) != 0x72 || load<u8>(i + 2) != 0x75 || load<u8>(i + 3) != 0x65) return 0; i += 4; }
    else if (c == 0x66) { if (i + 5 > end || load<u8>(i + 1) != 0x61 || load<u8>(i + 2) != 0x6c || load<u8>(i + 3) != 0x73 || load<u8>(i + 4) != 0x65) return 0; i += 5; }
    else if (c == 0x6e) { if (i + 4 > end || load<u8>(i + 1) != 0x75 || load<u8>(i + 2) != 0x6c || load<u8>(i + 3) != 0x6c) return 0; i += 4; }
    else return 0;
    if (depth == 1) { store<i32>(out + members * 16 - 8, <i32>(at - ptr)); store<i32>(out + members * 16 - 4, <i32>(i - ptr)); }
    mode = 4;
  }
  while (i < end && isWs(c = load<u8>(i))) i++;
  return i == end ? members + 1 : 0;
}
