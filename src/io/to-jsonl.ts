/**
 * Records out as JSON lines, the inverse of ./from-jsonl.ts: one JSON text per line. JSON.stringify
 * escapes every control character in strings, so no value can break a line.
 */

/** One record as a JSON line, newline included. */
export function toJsonLine(record: unknown): string {
  return `${JSON.stringify(record)}\n`;
}
