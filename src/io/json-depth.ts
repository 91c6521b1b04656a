/**
 * How deeply a JSON text nests, measured on the text before it is parsed: a line nested deeper than
 * MAX_EVENT_DEPTH is refused at the door, so nothing downstream (grouping keys, JSON output,
 * checkpoints, the sandbox's encoder, the web app) ever walks a value deep enough to overflow its
 * stack. A text with no more than `max` opening brackets cannot nest deeper than `max`: counting
 * them with the built-in `String.prototype.indexOf` costs about 5% of what JSON.parse costs on the
 * same line (a typed array's `indexOf` costs four times as much: decoders measure the text, not its
 * bytes), and only a text with more is scanned bracket by bracket (outside strings).
 */
import { MAX_EVENT_DEPTH } from '../engine/nesting.js';

export { MAX_EVENT_DEPTH };

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Whether the JSON text nests objects and arrays deeper than `max` levels. */
export function jsonTextNestsDeeperThan(text: string, max: number = MAX_EVENT_DEPTH): boolean {
  if (text.length <= 2 * max) return false;
  if (countCharUpTo(text, '{', max + 1) + countCharUpTo(text, '[', max + 1) <= max) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < text.length && text.charCodeAt(i) !== QUOTE; i++) if (text.charCodeAt(i) === BACKSLASH) i++;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** The reason a decoder gives for a line it refuses as too deep. */
export function tooDeepReason(max: number = MAX_EVENT_DEPTH): string {
  return `nested deeper than ${max}`;
}

function countCharUpTo(text: string, char: string, limit: number): number {
  let n = 0;
  for (let at = text.indexOf(char); at >= 0 && n < limit; at = text.indexOf(char, at + 1)) n++;
  return n;
}
