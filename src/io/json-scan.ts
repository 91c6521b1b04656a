/**
 * One pass over a line's bytes that says whether JSON.parse would accept it as an object nested at
 * most MAX_EVENT_DEPTH deep, and where the values of a few wanted top-level fields lie — without
 * decoding the line to a string or building any object. The lazy JSON-lines reader
 * (lazy-jsonl.ts) builds events from these spans; a line this scanner does not accept goes to the
 * eager path (TextDecoder + JSON.parse), which words its error exactly as before. So the scanner
 * may refuse more than JSON.parse (it refuses, for instance, a leading byte-order mark, which the
 * eager path's decoder strips) but must never accept what JSON.parse refuses.
 *
 * Grammar checked (RFC 8259, as JSON.parse reads it): whitespace is space, tab, CR, LF; strings
 * hold no byte below 0x20, only the escapes \" \\ \/ \b \f \n \r \t \uXXXX, and well-formed UTF-8
 * (no overlong forms, no encoded surrogates, nothing above U+10FFFF: what a fatal TextDecoder
 * refuses); numbers are -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; literals true false null.
 */
import { MAX_EVENT_DEPTH } from './json-depth.js';

/** What a wanted field's value is, as far as building it goes. */
export const VALUE_NONE = 0;
/** A string of ASCII characters without escapes: its bytes are its characters. */
export const VALUE_PLAIN_STRING = 1;
/** A string with escapes or non-ASCII characters: decoded by JSON.parse. */
export const VALUE_STRING = 2;
export const VALUE_NUMBER = 3;
export const VALUE_TRUE = 4;
export const VALUE_FALSE = 5;
export const VALUE_NULL = 6;
/** An object or an array: decoded by JSON.parse. */
export const VALUE_COMPOUND = 7;
/**
 * Kinds only a span table's record holds (scanInto of the WebAssembly scanner), with a fourth
 * integer: a VALUE_PLAIN_STRING of at most INTERN_MAX_BYTES characters with its intern hash, and a
 * VALUE_NUMBER that is an integer of at most 9 digits (not -0) with its value.
 */
export const VALUE_PLAIN_HASHED = 8;
export const VALUE_INT = 9;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

const IN_OBJECT = 1;
const IN_ARRAY = 2;

// What the scanner expects next.
const OBJECT_FIRST = 0; // after `{`: a key or `}`
const OBJECT_KEY = 1; // after `,` in an object: a key
const ARRAY_FIRST = 2; // after `[`: a value or `]`
const VALUE = 3; // a value
const AFTER_VALUE = 4; // `,` or the container's closing bracket

/** Characters allowed after a backslash, besides `u`. */
const SIMPLE_ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;
/** Bytes a string holds as they are: printable ASCII but `"` and `\\`. */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x80; c++) PLAIN[c] = c === QUOTE || c === BACKSLASH ? 0 : 1;
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

const INTERN_SLOTS = 1024;
const INTERN_MAX_BYTES = 32;

const utf8Text = new TextDecoder('utf-8', { fatal: true });

/**
 * Scans lines for one set of wanted top-level field names. After `scan` accepts a line,
 * `kinds[k]`, `starts[k]` and `ends[k]` give the k-th wanted name's value span (the last one when a
 * key repeats, as JSON.parse keeps the last), or VALUE_NONE when the line lacks it.
 */
export class JsonObjectScanner {
  readonly names: readonly string[];
  readonly kinds: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Wanted names by their UTF-8 length, as [index, bytes] pairs. */
  private readonly byLength = new Map<number, [number, Uint8Array][]>();
  private readonly byName = new Map<string, number>();
  private readonly stack = new Uint8Array(MAX_EVENT_DEPTH + 2);
  private readonly internPool = new Uint8Array(INTERN_SLOTS * INTERN_MAX_BYTES);
  /** Per slot: the cached string's length + 1 (0: empty). */
  private readonly internLengths = new Uint8Array(INTERN_SLOTS);
  private readonly internTexts: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS).fill(undefined);

  constructor(
    names: readonly string[],
    protected readonly maxDepth: number = MAX_EVENT_DEPTH,
  ) {
    this.names = names;
    this.kinds = new Uint8Array(names.length);
    this.starts = new Int32Array(names.length);
    this.ends = new Int32Array(names.length);
    const encoder = new TextEncoder();
    names.forEach((name, index) => {
      const bytes = encoder.encode(name);
      let list = this.byLength.get(bytes.length);
      if (!list) this.byLength.set(bytes.length, (list = []));
      list.push([index, bytes]);
      this.byName.set(name, index);
    });
  }

  /** Whether bytes[start, end) is a JSON object JSON.parse accepts, nested at most maxDepth deep. */
  scan(b: Uint8Array, start: number, end: number): boolean {
    const kinds = this.kinds;
    for (let k = 0; k < kinds.length; k++) kinds[k] = VALUE_NONE;
    const stack = this.stack;
    let i = start;
    let c = 0;
    while (i < end && ((c = b[i]!) === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a)) i++;
    if (i >= end || b[i] !== OPEN_BRACE) return false;
    i++;
    let depth = 1;
    stack[1] = IN_OBJECT;
    let mode = OBJECT_FIRST;
    /** The wanted index of the top-level member being read (-1: not wanted). */
    let wanted = -1;
    /** Where the top-level member's value starts. */
    let valueStart = 0;
    for (;;) {
      while (i < end && ((c = b[i]!) === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a)) i++;
      if (i >= end) return false;
      if (mode === AFTER_VALUE) {
        if (c === COMMA) {
          i++;
          mode = stack[depth] === IN_OBJECT ? OBJECT_KEY : VALUE;
          continue;
        }
        if (c !== (stack[depth] === IN_OBJECT ? CLOSE_BRACE : CLOSE_BRACKET)) return false;
        i++;
        if (--depth === 0) break;
        if (depth === 1 && wanted >= 0) this.record(wanted, valueStart, i, VALUE_COMPOUND);
        continue;
      }
      if (mode === OBJECT_FIRST || mode === OBJECT_KEY) {
        if (c === CLOSE_BRACE && mode === OBJECT_FIRST) {
          mode = AFTER_VALUE;
          continue; // AFTER_VALUE closes it
        }
        if (c !== QUOTE) return false;
        const keyStart = i + 1;
        i = scanString(b, keyStart, end);
        if (i < 0) return false;
        if (depth === 1) wanted = this.match(b, keyStart, i - 1);
        while (i < end && ((c = b[i]!) === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a)) i++;
        if (i >= end || c !== COLON) return false;
        i++;
        mode = VALUE;
        continue;
      }
      if (mode === ARRAY_FIRST && c === CLOSE_BRACKET) {
        mode = AFTER_VALUE;
        continue;
      }
      // A value.
      const at = i;
      if (depth === 1) valueStart = at;
      let kind: number;
      if (c === QUOTE) {
        i = scanString(b, i + 1, end);
        if (i < 0) return false;
        kind = special ? VALUE_STRING : VALUE_PLAIN_STRING;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (++depth > this.maxDepth) return false;
        stack[depth] = c === OPEN_BRACE ? IN_OBJECT : IN_ARRAY;
        mode = c === OPEN_BRACE ? OBJECT_FIRST : ARRAY_FIRST;
        i++;
        continue;
      } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
        i = scanNumber(b, i, end);
        if (i < 0) return false;
        kind = VALUE_NUMBER;
      } else if (c === 0x74 /* t */) {
        if (i + 4 > end || b[i + 1] !== 0x72 || b[i + 2] !== 0x75 || b[i + 3] !== 0x65) return false;
        i += 4;
        kind = VALUE_TRUE;
      } else if (c === 0x66 /* f */) {
        if (i + 5 > end || b[i + 1] !== 0x61 || b[i + 2] !== 0x6c || b[i + 3] !== 0x73 || b[i + 4] !== 0x65) return false;
        i += 5;
        kind = VALUE_FALSE;
      } else if (c === 0x6e /* n */) {
        if (i + 4 > end || b[i + 1] !== 0x75 || b[i + 2] !== 0x6c || b[i + 3] !== 0x6c) return false;
        i += 4;
        kind = VALUE_NULL;
      } else {
        return false;
      }
      if (depth === 1 && wanted >= 0) this.record(wanted, at, i, kind);
      mode = AFTER_VALUE;
    }
    while (i < end && ((c = b[i]!) === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a)) i++;
    return i === end;
  }

  /**
   * Scans bytes[start, end) as `scan` does and writes the answer as one line record of a span
   * table (line-spans.ts) at `table[at]`: 1 (accepted) or 0, then per wanted name its kind, start,
   * end and an extra integer (see VALUE_PLAIN_HASHED; 0 here). The record is what `valueOf` builds
   * values from, on this thread or another.
   */
  scanInto(b: Uint8Array, start: number, end: number, table: Int32Array, at: number): boolean {
    return this.writeRecord(this.scan(b, start, end), table, at);
  }

  /**
   * The span table (line-spans.ts) of `count` lines of `b` from byte `from`, each ending with a
   * newline, in one pass — or undefined: scan them line by line (this scanner has no such pass).
   */
  scanLines(_b: Uint8Array, _from: number, _count: number): Int32Array | undefined {
    return undefined;
  }

  /** The last scan's answer (`accepted`) and spans as a line record at table[at] (see scanInto). */
  protected writeRecord(accepted: boolean, table: Int32Array, at: number): boolean {
    if (!accepted) {
      table[at] = 0;
      return false;
    }
    table[at] = 1;
    const { kinds, starts, ends } = this;
    for (let k = 0, to = at + 1; k < kinds.length; k++, to += 4) {
      table[to] = kinds[k]!;
      table[to + 1] = starts[k]!;
      table[to + 2] = ends[k]!;
      table[to + 3] = 0;
    }
    return true;
  }

  /** The value of the k-th wanted name after a scan that accepted bytes `b` (undefined: the line lacks it). */
  value(b: Uint8Array, k: number): unknown {
    return this.valueOf(b, this.kinds[k]!, this.starts[k]!, this.ends[k]!);
  }

  /**
   * The value of kind `kind` at bytes[start, end) of a line a scan accepted (a span this scanner
   * or another with the same names found); `extra` is a record's fourth integer.
   */
  valueOf(b: Uint8Array, kind: number, start: number, end: number, extra = 0): unknown {
    switch (kind) {
      case VALUE_PLAIN_HASHED:
        return this.plainText(b, start + 1, end - 1, extra);
      case VALUE_INT:
        return extra;
      case VALUE_PLAIN_STRING:
        return this.plainText(b, start + 1, end - 1);
      case VALUE_NUMBER:
        return numberValue(b, start, end);
      case VALUE_TRUE:
        return true;
      case VALUE_FALSE:
        return false;
      case VALUE_NULL:
        return null;
      case VALUE_STRING:
      case VALUE_COMPOUND:
        return JSON.parse(utf8Text.decode(b.subarray(start, end)));
      default:
        return undefined;
    }
  }

  /**
   * Short ASCII strings through a small cache: the fields rules route and filter on repeat
   * (groups, tags, actions), and a string seen before is neither built nor hashed again by the
   * maps it is looked up in.
   */
  private plainText(b: Uint8Array, start: number, end: number, knownHash?: number): string {
    const length = end - start;
    if (length > INTERN_MAX_BYTES) return asciiText(b, start, end);
    let hash = length;
    if (knownHash !== undefined) hash = knownHash;
    else for (let i = start; i < end; i++) hash = Math.imul(hash ^ b[i]!, 0x01000193);
    const slot = (hash >>> 0) & (INTERN_SLOTS - 1);
    const at = slot * INTERN_MAX_BYTES;
    const pool = this.internPool;
    if (this.internLengths[slot] === length + 1) {
      let i = 0;
      while (i < length && pool[at + i] === b[start + i]) i++;
      if (i === length) return this.internTexts[slot]!;
    }
    const text = asciiText(b, start, end);
    pool.set(b.subarray(start, end), at);
    this.internLengths[slot] = length + 1;
    this.internTexts[slot] = text;
    return text;
  }

  private record(k: number, start: number, end: number, kind: number): void {
    this.kinds[k] = kind;
    this.starts[k] = start;
    this.ends[k] = end;
  }

  /** The wanted index of the key in b[start, end) (its raw bytes, between the quotes), or -1. */
  private match(b: Uint8Array, start: number, end: number): number {
    if (special) {
      // Escapes (`"t\u0061g"` is `tag`) or non-ASCII: compare the decoded key.
      const key = JSON.parse(utf8Text.decode(b.subarray(start - 1, end + 1))) as string;
      return this.byName.get(key) ?? -1;
    }
    const list = this.byLength.get(end - start);
    if (!list) return -1;
    outer: for (let n = 0; n < list.length; n++) {
      const name = list[n]![1];
      for (let j = 0; j < name.length; j++) if (b[start + j] !== name[j]) continue outer;
      return list[n]![0];
    }
    return -1;
  }
}

/** Set by scanString: the string held an escape or a non-ASCII character. */
let special = false;

/**
 * The string whose first character is at `i` (after the opening quote): returns the index after
 * its closing quote, or -1 if it is not a valid JSON string. Sets `special` when it holds an
 * escape or a non-ASCII character.
 */
function scanString(b: Uint8Array, i: number, end: number): number {
  special = false;
  for (;;) {
    // The common run: printable ASCII other than `"` and `\`.
    while (i < end && PLAIN[b[i]!]) i++;
    if (i >= end) return -1;
    const c = b[i]!;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      special = true;
      if (i + 1 >= end) return -1;
      const e = b[i + 1]!;
      if (e === 0x75 /* u */) {
        if (i + 6 > end || !HEX[b[i + 2]!] || !HEX[b[i + 3]!] || !HEX[b[i + 4]!] || !HEX[b[i + 5]!]) return -1;
        i += 6;
      } else if (SIMPLE_ESCAPE[e]) {
        i += 2;
      } else {
        return -1;
      }
      continue;
    }
    if (c < 0x20) return -1;
    // UTF-8, as a fatal TextDecoder accepts it.
    special = true;
    const c1 = i + 1 < end ? b[i + 1]! : 0;
    if (c >= 0xc2 && c <= 0xdf) {
      if ((c1 & 0xc0) !== 0x80) return -1;
      i += 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      if ((c1 & 0xc0) !== 0x80 || (c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) return -1;
      if (i + 2 >= end || (b[i + 2]! & 0xc0) !== 0x80) return -1;
      i += 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      if ((c1 & 0xc0) !== 0x80 || (c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return -1;
      if (i + 3 >= end || (b[i + 2]! & 0xc0) !== 0x80 || (b[i + 3]! & 0xc0) !== 0x80) return -1;
      i += 4;
    } else {
      return -1;
    }
  }
}

/** The number starting at `i`: the index after it, or -1 when it is not a JSON number. */
function scanNumber(b: Uint8Array, i: number, end: number): number {
  if (b[i] === MINUS) i++;
  if (i >= end) return -1;
  let c = b[i]!;
  if (c === ZERO) i++;
  else if (c > ZERO && c <= NINE) {
    i++;
    while (i < end && (c = b[i]!) >= ZERO && c <= NINE) i++;
  } else return -1;
  if (i < end && b[i] === DOT) {
    i++;
    if (i >= end || !((c = b[i]!) >= ZERO && c <= NINE)) return -1;
    while (i < end && (c = b[i]!) >= ZERO && c <= NINE) i++;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < end && (b[i] === PLUS || b[i] === MINUS)) i++;
    if (i >= end || !((c = b[i]!) >= ZERO && c <= NINE)) return -1;
    while (i < end && (c = b[i]!) >= ZERO && c <= NINE) i++;
  }
  return i;
}

/**
 * A valid JSON number's value, as JSON.parse gives it: integers of up to 15 digits exactly by
 * hand (`-0` stays negative zero), anything else by Number(), which rounds a JSON number's text
 * the way JSON.parse does (both follow ECMAScript's StringToNumber).
 */
function numberValue(b: Uint8Array, start: number, end: number): number {
  const negative = b[start] === MINUS;
  let i = negative ? start + 1 : start;
  if (end - i <= 15) {
    let n = 0;
    for (; i < end; i++) {
      const c = b[i]!;
      if (c < ZERO || c > NINE) break;
      n = n * 10 + (c - ZERO);
    }
    if (i === end) return negative ? -n : n;
  }
  return Number(asciiText(b, start, end));
}

/** Bytes known to be ASCII as a string. */
function asciiText(b: Uint8Array, start: number, end: number): string {
  const length = end - start;
  if (length <= 64) {
    let text = '';
    for (let i = start; i < end; i++) text += String.fromCharCode(b[i]!);
    return text;
  }
  // In pieces: one `apply` with a line's worth of arguments (up to the line limit) overflows the stack.
  if (length <= ASCII_PIECE) return String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
  const pieces: string[] = [];
  for (let at = start; at < end; at += ASCII_PIECE) pieces.push(String.fromCharCode.apply(null, b.subarray(at, Math.min(at + ASCII_PIECE, end)) as unknown as number[]));
  return pieces.join('');
}

/** Characters per String.fromCharCode.apply call in asciiText. */
const ASCII_PIECE = 8192;
