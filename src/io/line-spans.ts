/**
 * Line span tables: the lazy reader's scan of a piece of JSON lines, done where the bytes are read
 * and handed with them to where they are decoded (the guarded `vigil run` scans on its reading
 * thread, so the engine thread builds events from the spans without scanning). A table answers
 * for a run of whole lines of one byte array, exactly as JsonObjectScanner.scan would answer for
 * each: whether it accepted the line and where the wanted fields' values lie. Nothing is decided
 * here that the scan would not decide: a line the scan refused is read by the eager path, on the
 * decoding side, as without a table (JsonLinesDecoder.pushScanned, LazyJsonLines.readScanned).
 *
 * Layout (Int32Array): a header [from, count, fields], then `count` line records of
 * 2 + 4 × fields integers: [newline, accepted, then per wanted field kind, start, end, extra]
 * (see JsonObjectScanner.scanInto: the WebAssembly scan adds a short string's intern hash or a
 * small integer's value, so the decoding side neither hashes nor parses them). The lines
 * are consecutive: the first starts at byte `from`, each ends at its `newline` (the byte index of
 * its `\n`) and the next starts after it. A line's scanned bytes end before a `\r` that precedes
 * the newline, as the decoder cuts them. Spans are byte indices into the same array.
 */
import type { JsonObjectScanner } from './json-scan.js';

export const SPANS_FROM = 0;
export const SPANS_COUNT = 1;
export const SPANS_FIELDS = 2;
/** Where the first line record starts. */
export const SPANS_HEADER = 3;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** Integers per line record for `fields` wanted fields. */
export function spanStride(fields: number): number {
  return 2 + 4 * fields;
}

/**
 * Scans the `count` lines of `bytes` that start at `from` (each ends with a newline inside
 * `bytes`) with `scanner`, into a new table. The scanner's wanted names, in their order, are the
 * fields the decoding side reads: it checks that they are its own before using the table.
 */
export function scanLineSpans(scanner: JsonObjectScanner, bytes: Uint8Array, from: number, count: number): Int32Array {
  const whole = scanner.scanLines(bytes, from, count);
  if (whole) return whole;
  const fields = scanner.names.length;
  const stride = spanStride(fields);
  const table = new Int32Array(SPANS_HEADER + count * stride);
  table[SPANS_FROM] = from;
  table[SPANS_COUNT] = count;
  table[SPANS_FIELDS] = fields;
  let start = from;
  for (let i = 0, at = SPANS_HEADER; i < count; i++, at += stride) {
    const newline = bytes.indexOf(NEWLINE, start);
    if (newline < 0) throw new RangeError(`scanLineSpans: line ${i + 1} of ${count} has no newline`);
    table[at] = newline;
    const end = newline > start && bytes[newline - 1] === CARRIAGE_RETURN ? newline - 1 : newline;
    scanner.scanInto(bytes, start, end, table, at + 1);
    start = newline + 1;
  }
  return table;
}
