/**
 * JSON lines in, events out. Works on byte chunks from any source (a file, stdin, a fetch body),
 * so it serves Node, browsers and the edge alike. Every bad line becomes a report naming its line
 * number and the rest of the input goes on: a line that is not JSON, not an object, not UTF-8,
 * nested deeper than MAX_EVENT_DEPTH (128), or longer than the limit (its bytes are skipped without
 * being held in memory).
 */
import { jsonTextNestsDeeperThan, tooDeepReason } from './json-depth.js';
import { SPANS_COUNT, SPANS_FIELDS, SPANS_FROM, SPANS_HEADER, spanStride } from './line-spans.js';

/** One line read: an event, the reason it is refused, or nothing (a blank line). */
export type LineResult = { event: Record<string, unknown> } | { reason: string } | undefined;

/** Reads a line's bytes lazily (src/io/lazy-jsonl.ts), or answers null: read it the eager way. */
export interface LazyLineReader {
  read(bytes: Uint8Array, start: number, end: number): LineResult | null;
  /** The wanted fields, in the order of a span table's records (src/io/line-spans.ts). */
  readonly fields?: readonly string[];
  /** As `read`, with the line's scan already done: its record at `table[at]` (the `accepted` integer). */
  readScanned?(bytes: Uint8Array, start: number, end: number, table: Int32Array, at: number): LineResult | null;
}

export interface LineError {
  /** 1-based line number. */
  line: number;
  reason: string;
}

export interface JsonLinesOptions {
  /** Longest accepted line in bytes. Default 1 MiB. */
  maxLineBytes?: number;
  /** Lines to pass over unread at the start (a resumed run); numbering still counts them. */
  skipLines?: number;
  /** How a line's text becomes an event (default parseLine); e.g. an eventLineParser for goflow2. */
  parse?: (text: string) => { event: Record<string, unknown> } | { reason: string } | undefined;
  /**
   * Tried before `parse` on each line's bytes (lazy-jsonl.ts): its result stands unless it answers
   * null. It may keep the bytes it was given, so the caller must not reuse a chunk's buffer.
   */
  lazy?: LazyLineReader;
}

/** What a decoder reports as lines complete. */
export interface JsonLinesHandlers {
  onEvent(e: DecodedLine): void;
  onError(e: LineError): void;
  /** After every line, whatever it held (an event, an error, nothing). */
  onLine?(line: number): void;
}

export interface DecodedLine {
  line: number;
  event: Record<string, unknown>;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** The longest line a decoder takes by default (JsonLinesOptions.maxLineBytes): 1 MiB. */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Incremental decoder: feed byte chunks, get events and line errors as lines complete. */
export class JsonLinesDecoder {
  private readonly maxLineBytes: number;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private skippingOversized = false;
  private oversizedBytes = 0;
  private lineNumber = 0;
  private skipping: number;
  private readonly parse: NonNullable<JsonLinesOptions['parse']>;
  private readonly lazy?: LazyLineReader;

  constructor(options: JsonLinesOptions = {}) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.skipping = options.skipLines ?? 0;
    this.parse = options.parse ?? parseLine;
    this.lazy = options.lazy;
  }

  /** Lines completed so far (blank lines included). */
  get linesSeen(): number {
    return this.lineNumber;
  }

  push(chunk: Uint8Array, handlers: JsonLinesHandlers): void {
    let start = 0;
    while (this.skipping > 0 && start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline < 0) return;
      this.lineNumber++;
      this.skipping--;
      start = newline + 1;
    }
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline < 0 ? chunk.length : newline;
      if (newline >= 0 && this.pendingBytes === 0 && !this.skippingOversized && end - start <= this.maxLineBytes) {
        // The common case: a whole line inside the chunk, decoded without copying.
        const line = ++this.lineNumber;
        this.emit(line, chunk, start, end, handlers);
        handlers.onLine?.(line);
        start = newline + 1;
        continue;
      }
      this.append(chunk.subarray(start, end));
      if (newline < 0) return;
      this.completeLine(handlers);
      start = newline + 1;
    }
  }

  /**
   * As `push`, with a span table of the chunk's lines (src/io/line-spans.ts, scanned for this
   * decoder's lazy fields): the lines it covers are read from their records instead of being
   * scanned again; the bytes before and after them go through `push`. Events, errors and line
   * numbers are those `push` gives (a table whose fields are not the lazy reader's is ignored).
   */
  pushScanned(chunk: Uint8Array, table: Int32Array, handlers: JsonLinesHandlers): void {
    const lazy = this.lazy;
    const fields = table[SPANS_FIELDS]!;
    const count = table[SPANS_COUNT]!;
    if (!lazy?.readScanned || lazy.fields?.length !== fields || count === 0) return this.push(chunk, handlers);
    const from = table[SPANS_FROM]!;
    // Bytes before the first line of the table: the end of a line begun in an earlier chunk.
    if (from > 0) this.push(chunk.subarray(0, from), handlers);
    // The table's lines must start clean (no partial line held, none left to skip); otherwise as push.
    if (this.skipping > 0 || this.pendingBytes > 0 || this.skippingOversized) return this.push(chunk.subarray(from), handlers);
    const stride = spanStride(fields);
    let start = from;
    for (let i = 0, at = SPANS_HEADER; i < count; i++, at += stride) {
      const newline = table[at]!;
      if (newline - start > this.maxLineBytes) {
        // Too long: push reports and skips it.
        this.push(chunk.subarray(start, newline + 1), handlers);
      } else {
        const line = ++this.lineNumber;
        let end = newline;
        if (end > start && chunk[end - 1] === CARRIAGE_RETURN) end--;
        this.deliver(line, chunk, start, end, lazy.readScanned(chunk, start, end, table, at + 1), handlers);
        handlers.onLine?.(line);
      }
      start = newline + 1;
    }
    if (start < chunk.length) this.push(chunk.subarray(start), handlers);
  }

  /** End of input: a last line without a newline still counts. */
  end(handlers: JsonLinesHandlers): void {
    if (this.pendingBytes > 0 || this.skippingOversized) this.completeLine(handlers);
  }

  private append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.skippingOversized) {
      this.oversizedBytes += bytes.length;
      return;
    }
    if (this.pendingBytes + bytes.length > this.maxLineBytes) {
      this.skippingOversized = true;
      this.oversizedBytes = this.pendingBytes + bytes.length;
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    // Copy: the caller may reuse its chunk buffer.
    this.pending.push(bytes.slice());
    this.pendingBytes += bytes.length;
  }

  private completeLine(handlers: JsonLinesHandlers): void {
    const line = ++this.lineNumber;
    if (this.skippingOversized) {
      handlers.onError({ line, reason: `line is ${this.oversizedBytes} bytes, longer than the ${this.maxLineBytes}-byte limit; skipped` });
      this.skippingOversized = false;
      this.oversizedBytes = 0;
      handlers.onLine?.(line);
      return;
    }
    let bytes: Uint8Array;
    if (this.pending.length === 1) bytes = this.pending[0];
    else {
      bytes = new Uint8Array(this.pendingBytes);
      let at = 0;
      for (const part of this.pending) {
        bytes.set(part, at);
        at += part.length;
      }
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.emit(line, bytes, 0, bytes.length, handlers);
    handlers.onLine?.(line);
  }

  private emit(line: number, bytes: Uint8Array, start: number, end: number, handlers: JsonLinesHandlers): void {
    if (end > start && bytes[end - 1] === CARRIAGE_RETURN) end--;
    this.deliver(line, bytes, start, end, this.lazy ? this.lazy.read(bytes, start, end) : null, handlers);
  }

  /** A line's result (null from the lazy reader: decode it the eager way) to the handlers. */
  private deliver(line: number, bytes: Uint8Array, start: number, end: number, lazyResult: LineResult | null, handlers: JsonLinesHandlers): void {
    let result = lazyResult;
    if (result === null) result = decodeLine(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end), this.parse);
    if (result === undefined) return;
    if ('reason' in result) handlers.onError({ line, reason: result.reason });
    else handlers.onEvent({ line, event: result.event });
  }
}

/** Decodes one line's bytes: undefined for a blank line. */
export function decodeLine(bytes: Uint8Array, parse = parseLine): { event: Record<string, unknown> } | { reason: string } | undefined {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { reason: `invalid UTF-8 at byte ${firstInvalidUtf8(bytes)}` };
  }
  return parse(text);
}

/** One JSON text read as an event: the object, or why not, in words each reader phrases its own way. */
export type JsonObjectRead =
  | { event: Record<string, unknown> }
  | { tooDeep: string }
  | { malformed: string }
  /** What the text held instead: 'null', 'an array', 'string', 'number', 'boolean'. */
  | { found: string };

/**
 * Reads one JSON text that should hold an object: the one JSON decoder of every line reader (the
 * CLI's, the edge's, the web app's). A text nested deeper than MAX_EVENT_DEPTH is refused before
 * it is parsed; `__proto__` is an ordinary field (JSON.parse makes it an own property).
 */
export function readJsonObject(text: string): JsonObjectRead {
  if (jsonTextNestsDeeperThan(text)) return { tooDeep: tooDeepReason() };
  let value: unknown;
  // No stack trace for JSON.parse's SyntaxError: only its message is used, and capturing the
  // trace was most of the cost of a malformed line (a body of 5 million `{` lines: ~16 µs each).
  const traceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { malformed: (error as Error).message };
  } finally {
    Error.stackTraceLimit = traceLimit;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { found: describeJsonValue(value) };
  return { event: value as Record<string, unknown> };
}

/** 'null', 'an array', or the value's typeof. */
export function describeJsonValue(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/** Parses one line of text: undefined for a blank line. */
export function parseLine(text: string): { event: Record<string, unknown> } | { reason: string } | undefined {
  if (text.trim() === '') return undefined;
  const read = readJsonObject(text);
  if ('event' in read) return read;
  if ('tooDeep' in read) return { reason: read.tooDeep };
  if ('malformed' in read) return { reason: `malformed JSON: ${read.malformed}` };
  return { reason: `expected a JSON object, found ${read.found}` };
}

/** Byte offset of the first invalid UTF-8 sequence, for the error message. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const need = b < 0x80 ? 0 : b >= 0xc2 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b < 0xf5 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return i;
}
