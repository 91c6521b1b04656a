/**
 * The body of `POST /events` in, events out: a JSON array, JSON lines, or CEF lines (mixed lines
 * are fine: each line is read as JSON when it starts with `{`, as CEF when it holds `CEF:`).
 * Every line that cannot be read is reported with its 1-based number (for an array: the 1-based
 * index of the element) and the rest go on. The decoding is src/io's: lines through its line
 * decoder (lines of at most 1 MiB, UTF-8, nesting at most MAX_EVENT_DEPTH (128)), arrays through
 * src/io/from-json.ts.
 */
import { parseJsonOrCefLine } from '../io/event-lines.js';
import { decodeJsonElements, decodeJsonEvents, JsonTextError, type DecodedElements } from '../io/from-json.js';
import { JsonLinesDecoder } from '../io/from-jsonl.js';

export interface RejectedLine {
  /** 1-based line number (for a JSON array: 1-based element index). */
  line: number;
  reason: string;
}

export interface DecodedBody {
  events: Record<string, unknown>[];
  /** For each event, the line (or element) it came from. */
  lines: number[];
  rejected: RejectedLine[];
}

export class BodyError extends Error {}

const encoder = new TextEncoder();

/** Decodes a request body. A body that is one JSON value but not an array or object is a BodyError. */
export function decodeEvents(text: string, contentType = ''): DecodedBody {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[') || (type === 'application/json' && !looksLikeJsonLines(trimmed))) {
    let decoded;
    try {
      decoded = decodeJsonEvents(text);
    } catch (error) {
      if (error instanceof JsonTextError) throw new BodyError(error.message);
      throw error;
    }
    return fromElements(decoded);
  }
  const out: DecodedBody = { events: [], lines: [], rejected: [] };
  const decoder = new JsonLinesDecoder({ parse: parseJsonOrCefLine });
  const handlers = {
    onEvent: ({ line, event }: { line: number; event: Record<string, unknown> }) => {
      out.events.push(event);
      out.lines.push(line);
    },
    onError: (e: RejectedLine) => out.rejected.push(e),
  };
  decoder.push(encoder.encode(text), handlers);
  decoder.end(handlers);
  return out;
}

/**
 * The events of an array parsed already (a `{ "batch", "events" }` body's), read as a JSON array
 * body is; without turning them back into text, which recurses and so overflows the stack on an
 * element nested deep enough.
 */
export function decodeEventArray(items: readonly unknown[]): DecodedBody {
  return fromElements(decodeJsonElements(items));
}

function fromElements(decoded: DecodedElements): DecodedBody {
  return { events: decoded.events, lines: decoded.indexes, rejected: decoded.rejected.map((r) => ({ line: r.index, reason: r.reason })) };
}

function looksLikeJsonLines(text: string): boolean {
  const newline = text.indexOf('\n');
  return newline >= 0 && text.slice(newline).trim().length > 0;
}
