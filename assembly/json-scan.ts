// The lazy reader's validation scan (src/io/json-scan.ts: same grammar, same depth limit, same
// spans and kinds) in WebAssembly. Built at build time into build/json-scan.wasm, its own small
// module (no runtime, no allocation; strings are skipped 16 bytes at a time with SIMD, which
// Node's V8 has), and driven by src/io/json-scan-wasm.ts, which copies each
// chunk of lines in once and scans it line by line. A line whose top-level key holds an escape or
// a non-ASCII character gets FALLBACK: the TypeScript scanner decodes such keys.
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
    // 16 bytes at a time while none needs a look: `"`, `\`, a control byte or a non-ASCII byte.
    while (i + 16 <= end) {
      const v = v128.load(i);
      const attention = v128.or(
        v128.or(i8x16.eq(v, i8x16.splat(0x22)), i8x16.eq(v, i8x16.splat(0x5c))),
        v128.or(i8x16.lt_u(v, i8x16.splat(0x20)), i8x16.lt_s(v, i8x16.splat(0))),
      );
      if (v128.any_true(attention)) {
        i += <usize>ctz(i8x16.bitmask(attention));
        break;
      }
      i += 16;
    }
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
  return 0; // not reached: the loop returns
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
/** Value kinds, as src/io/json-scan.ts numbers them. */
const VALUE_PLAIN_STRING: u8 = 1;
const VALUE_STRING: u8 = 2;
const VALUE_NUMBER: u8 = 3;
const VALUE_TRUE: u8 = 4;
const VALUE_FALSE: u8 = 5;
const VALUE_NULL: u8 = 6;
const VALUE_COMPOUND: u8 = 7;
/** A VALUE_PLAIN_STRING of at most HASHED_MAX_BYTES whose third span integer holds its hash (as json-scan.ts's intern cache hashes). */
const VALUE_PLAIN_HASHED: u8 = 8;
/** A VALUE_NUMBER that is an integer of at most 9 digits (not -0): its third span integer holds its value. */
const VALUE_INT: u8 = 9;
const HASHED_MAX_BYTES: usize = 32;

/** scan's answers. */
const INVALID: i32 = 0;
const VALID: i32 = 1;
const FALLBACK: i32 = 2;

/** The deepest nesting the stack holds; the host uses the TypeScript scanner for a deeper limit. */
const MAX_DEPTH_SUPPORTED = 1024;
const stack = new StaticArray<u8>(MAX_DEPTH_SUPPORTED + 2);

/** The wanted names: a table of [offset, length] (i32 pairs) the host wrote; see setWanted. */
let wantedTable: usize = 0;
let wantedCount: i32 = 0;
/**
 * Where scan writes its result: a kind (u8) per wanted name at outKinds, [start, end, extra] (i32
 * triples, start and end relative to the line's start) at outSpans; extra is the hash of a
 * VALUE_PLAIN_HASHED, the value of a VALUE_INT, else 0.
 */
let outKinds: usize = 0;
let outSpans: usize = 0;

export function maxDepthSupported(): i32 {
  return MAX_DEPTH_SUPPORTED;
}

/** Where the wanted names are (`count` [offset, length] pairs at `table`) and where results go. */
export function setWanted(table: usize, count: i32, kinds: usize, spans: usize): void {
  wantedTable = table;
  wantedCount = count;
  outKinds = kinds;
  outSpans = spans;
}

/** The wanted index of the key bytes [start, end), or -1. */
function match(start: usize, end: usize): i32 {
  const length = <i32>(end - start);
  for (let k = 0; k < wantedCount; k++) {
    const at = wantedTable + (<usize>k << 3);
    if (load<i32>(at + 4) != length) continue;
    const name = <usize>load<i32>(at);
    let j = 0;
    while (j < length && load<u8>(name + j) == load<u8>(start + j)) j++;
    if (j == length) return k;
  }
  return -1;
}

@inline function record(k: i32, kind: u8, start: usize, end: usize, ptr: usize): void {
  let extra: i32 = 0;
  if (kind == VALUE_PLAIN_STRING && end - start - 2 <= HASHED_MAX_BYTES) {
    // FNV-1a-like over the characters between the quotes, seeded with their count: json-scan.ts's plainText hash.
    let hash: u32 = <u32>(end - start - 2);
    for (let i = start + 1; i < end - 1; i++) hash = (hash ^ <u32>load<u8>(i)) * 0x01000193;
    extra = <i32>hash;
    kind = VALUE_PLAIN_HASHED;
  } else if (kind == VALUE_NUMBER) {
    const negative = load<u8>(start) == 0x2d;
    let i = negative ? start + 1 : start;
    if (end - i <= 9) {
      let n: i32 = 0;
      while (i < end) {
        const c = <i32>load<u8>(i);
        if (c < 0x30 || c > 0x39) break;
        n = n * 10 + (c - 0x30);
        i++;
      }
      // Digits only (no fraction or exponent), and not -0 (which only a double holds).
      if (i == end && !(negative && n == 0)) {
        extra = negative ? -n : n;
        kind = VALUE_INT;
      }
    }
  }
  const at = outSpans + <usize>k * 12;
  store<u8>(outKinds + k, kind);
  store<i32>(at, <i32>(start - ptr));
  store<i32>(at + 4, <i32>(end - ptr));
  store<i32>(at + 8, extra);
}

/**
 * Whether [ptr, ptr + len) is a JSON object JSON.parse accepts, nested at most maxDepth deep:
 * VALID (the wanted names' kinds and spans written), INVALID, or FALLBACK (a top-level key with an
 * escape or a non-ASCII character: let the TypeScript scanner decide, it decodes keys).
 */
export function scan(ptr: usize, len: usize, maxDepth: i32): i32 {
  if (!inited) init();
  memory.fill(outKinds, 0, <usize>wantedCount);
  const end = ptr + len;
  let i = ptr; let c: u32 = 0;
  while (i < end && isWs(c = load<u8>(i))) i++;
  if (i >= end || load<u8>(i) != 0x7b) return INVALID;
  i++;
  let depth = 1; unchecked(stack[1] = 1);
  let mode = 0; let wanted = -1; let valueStart: usize = 0;
  while (true) {
    while (i < end && isWs(c = load<u8>(i))) i++;
    if (i >= end) return INVALID;
    if (mode == 4) {
      if (c == 0x2c) { i++; mode = unchecked(stack[depth]) == 1 ? 1 : 3; continue; }
      if (c != (unchecked(stack[depth]) == 1 ? 0x7d : 0x5d)) return INVALID;
      i++;
      if (--depth == 0) break;
      if (depth == 1 && wanted >= 0) record(wanted, VALUE_COMPOUND, valueStart, i, ptr);
      continue;
    }
    if (mode <= 1) {
      if (c == 0x7d && mode == 0) { mode = 4; continue; }
      if (c != 0x22) return INVALID;
      const ks = i + 1;
      i = scanString(ks, end);
      if (i == 0) return INVALID;
      if (depth == 1) {
        if (special) return FALLBACK;
        wanted = match(ks, i - 1);
      }
      while (i < end && isWs(c = load<u8>(i))) i++;
      if (i >= end || c != 0x3a) return INVALID;
      i++; mode = 3; continue;
    }
    if (mode == 2 && c == 0x5d) { mode = 4; continue; }
    const at = i;
    if (depth == 1) valueStart = at;
    let kind: u8 = 0;
    if (c == 0x22) { i = scanString(i + 1, end); if (i == 0) return INVALID; kind = special ? VALUE_STRING : VALUE_PLAIN_STRING; }
    else if (c == 0x7b || c == 0x5b) { if (++depth > maxDepth) return INVALID; unchecked(stack[depth] = c == 0x7b ? 1 : 2); mode = c == 0x7b ? 0 : 2; i++; continue; }
    else if (c == 0x2d || (c >= 0x30 && c <= 0x39)) { i = scanNumber(i, end); if (i == 0) return INVALID; kind = VALUE_NUMBER; }
    else if (c == 0x74) { if (i + 4 > end || load<u8>(i + 1) != 0x72 || load<u8>(i + 2) != 0x75 || load<u8>(i + 3) != 0x65) return INVALID; i += 4; kind = VALUE_TRUE; }
    else if (c == 0x66) { if (i + 5 > end || load<u8>(i + 1) != 0x61 || load<u8>(i + 2) != 0x6c || load<u8>(i + 3) != 0x73 || load<u8>(i + 4) != 0x65) return INVALID; i += 5; kind = VALUE_FALSE; }
    else if (c == 0x6e) { if (i + 4 > end || load<u8>(i + 1) != 0x75 || load<u8>(i + 2) != 0x6c || load<u8>(i + 3) != 0x6c) return INVALID; i += 4; kind = VALUE_NULL; }
    else return INVALID;
    if (depth == 1 && wanted >= 0) record(wanted, kind, at, i, ptr);
    mode = 4;
  }
  while (i < end && isWs(c = load<u8>(i))) i++;
  return i == end ? VALID : INVALID;
}

/** scanLines' `accepted` for a line scan answered FALLBACK: the host scans it in TypeScript. */
const LINE_FALLBACK: i32 = 2;

/**
 * The span-table records (src/io/line-spans.ts) of `count` lines of a piece at `piece`, the first
 * starting at byte `from`, each ending with a newline: per line [newline, accepted, then per
 * wanted name kind, start, end, extra] (i32s, byte offsets from `piece`), written from `table`.
 * A line's bytes end before a `\r` preceding its newline. One call for a piece's lines instead of
 * one per line. Returns the lines recorded (fewer than `count` only if a newline is missing).
 */
export function scanLines(piece: usize, length: usize, from: usize, count: i32, maxDepth: i32, table: usize): i32 {
  const end = piece + length;
  let start = piece + from;
  let at = table;
  for (let n = 0; n < count; n++) {
    // The newline, 16 bytes at a time.
    let i = start;
    while (i + 16 <= end) {
      const hits = i8x16.bitmask(i8x16.eq(v128.load(i), i8x16.splat(0x0a)));
      if (hits) {
        i += <usize>ctz(hits);
        break;
      }
      i += 16;
    }
    while (i < end && load<u8>(i) != 0x0a) i++;
    if (i >= end) return n;
    const newline = i;
    const lineEnd = newline > start && load<u8>(newline - 1) == 0x0d ? newline - 1 : newline;
    const answer = scan(start, lineEnd - start, maxDepth);
    store<i32>(at, <i32>(newline - piece));
    store<i32>(at + 4, answer == VALID ? 1 : answer == FALLBACK ? LINE_FALLBACK : 0);
    at += 8;
    for (let k = 0; k < wantedCount; k++) {
      const spans = outSpans + <usize>k * 12;
      if (answer == VALID) {
        store<i32>(at, <i32>load<u8>(outKinds + k));
        store<i32>(at + 4, load<i32>(spans) + <i32>(start - piece));
        store<i32>(at + 8, load<i32>(spans + 4) + <i32>(start - piece));
        store<i32>(at + 12, load<i32>(spans + 8));
      } else {
        store<i64>(at, 0);
        store<i64>(at + 8, 0);
      }
      at += 16;
    }
    start = newline + 1;
  }
  return count;
}
