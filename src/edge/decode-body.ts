/**
 * The body of `POST /events` in, events out: a JSON array, JSON lines, or CEF lines (mixed lines
 * are fine: each line is read as JSON when it starts with `{`, as CEF when it holds `CEF:`).
 * Every line that cannot be read is reported with its 1-based number (for an array: the 1-based
 * index of the element) and the rest go on; so is an event nested deeper than MAX_EVENT_DEPTH (128).
 */
import { nestingDepthExceeds } from '../engine/nesting.js';
import { jsonTextNestsDeeperThan, MAX_EVENT_DEPTH, tooDeepReason } from '../io/json-depth.js';
import { parseCef } from '../io/from-cef.js';

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

const MAX_LINE_BYTES = 1024 * 1024;

/** Decodes a request body. A body that is one JSON value but not an array or object is a BodyError. */
export function decodeEvents(text: string, contentType = ''): DecodedBody {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[') || (type === 'application/json' && !looksLikeJsonLines(trimmed))) {
    return decodeArray(text);
  }
  return decodeLines(text);
}

function looksLikeJsonLines(text: string): boolean {
  const newline = text.indexOf('\n');
  return newline >= 0 && text.slice(newline).trim().length > 0;
}

function decodeArray(text: string): DecodedBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BodyError(`the body is not valid JSON: ${(error as Error).message}`);
  }
  const items = Array.isArray(value) ? value : [value];
  // JSON.parse does not recurse, so a deep body parses; its elements are measured before use (a
  // body whose text nests no deeper than the limit, plus the array around them, needs no walk).
  const mayBeTooDeep = jsonTextNestsDeeperThan(text, MAX_EVENT_DEPTH + (Array.isArray(value) ? 1 : 0));
  const out: DecodedBody = { events: [], lines: [], rejected: [] };
  items.forEach((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      out.rejected.push({ line: i + 1, reason: `element is ${describe(item)}, not an object` });
    } else if (mayBeTooDeep && nestingDepthExceeds(item)) {
      out.rejected.push({ line: i + 1, reason: tooDeepReason() });
    } else {
      out.events.push(item as Record<string, unknown>);
      out.lines.push(i + 1);
    }
  });
  return out;
}

function decodeLines(text: string): DecodedBody {
  const out: DecodedBody = { events: [], lines: [], rejected: [] };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    const number = i + 1;
    if (!line.trim()) continue;
    if (line.length > MAX_LINE_BYTES) {
      out.rejected.push({ line: number, reason: `line is longer than ${MAX_LINE_BYTES} characters` });
      continue;
    }
    const start = line.trimStart();
    if (start.startsWith('{')) {
      if (jsonTextNestsDeeperThan(line)) {
        out.rejected.push({ line: number, reason: tooDeepReason() });
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        out.rejected.push({ line: number, reason: `not JSON: ${(error as Error).message}` });
        continue;
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        out.rejected.push({ line: number, reason: `line is ${describe(value)}, not an object` });
        continue;
      }
      out.events.push(value as Record<string, unknown>);
      out.lines.push(number);
    } else if (line.includes('CEF:')) {
      const result = parseCef(line);
      if (result.ok) {
        out.events.push(result.event);
        out.lines.push(number);
      } else {
        out.rejected.push({ line: number, reason: result.reason });
      }
    } else {
      out.rejected.push({ line: number, reason: 'neither a JSON object nor a CEF record' });
    }
  }
  return out;
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
