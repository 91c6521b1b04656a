/**
 * The lines of one input as events: JSON objects as they are, goflow2 JSON records (v1 CamelCase
 * or v2 snake_case) as the same flow event NetFlow gives (src/io/flow-event.ts), or CEF records
 * (src/io/from-cef.ts). With format 'auto', the first line that holds a JSON object decides
 * between JSON lines and goflow2 for the whole input; CEF is read when asked for ('cef').
 */
import { parseCef } from './from-cef.js';
import { decodeGoflowLine, looksLikeGoflow } from './from-goflow.js';
import { parseLine, readJsonObject, type LineResult } from './from-jsonl.js';

export type EventFormat = 'auto' | 'jsonl' | 'goflow2' | 'cef';

export const EVENT_FORMATS: readonly EventFormat[] = ['auto', 'jsonl', 'goflow2', 'cef'];

/** One line read: the event, why the line was refused, or undefined for a blank line. */
export type { LineResult } from './from-jsonl.js';

export interface EventLineParser {
  parse(text: string): LineResult;
  /** The format in use: undefined while 'auto' has not seen an object yet. */
  readonly format: 'jsonl' | 'goflow2' | 'cef' | undefined;
}

/** A parser for the lines of one input (a file, stdin): keep one per input, since 'auto' decides once. */
export function eventLineParser(format: EventFormat = 'auto'): EventLineParser {
  let chosen: 'jsonl' | 'goflow2' | 'cef' | undefined = format === 'auto' ? undefined : format;
  const goflow = (text: string): LineResult => {
    if (text.trim() === '') return undefined;
    const result = decodeGoflowLine(text);
    return result.ok ? { event: result.flow } : { reason: `goflow2: ${result.error.message}` };
  };
  return {
    get format() {
      return chosen;
    },
    parse(text) {
      if (chosen === 'goflow2') return goflow(text);
      if (chosen === 'cef') return parseCefLine(text);
      const result = parseLine(text);
      if (chosen === 'jsonl' || result === undefined || 'reason' in result) return result;
      chosen = looksLikeGoflow(result.event) ? 'goflow2' : 'jsonl';
      return chosen === 'goflow2' ? goflow(text) : result;
    },
  };
}

/** One CEF line: undefined for a blank line. */
export function parseCefLine(text: string): LineResult {
  if (text.trim() === '') return undefined;
  const result = parseCef(text);
  return result.ok ? { event: result.event } : { reason: result.reason };
}

/**
 * A line of a body that mixes JSON lines and CEF (the edge's POST /events): JSON when it starts
 * with `{`, CEF when it holds `CEF:`. Worded as the HTTP API has always worded its rejections.
 */
export function parseJsonOrCefLine(text: string): LineResult {
  if (!text.trim()) return undefined;
  if (text.trimStart().startsWith('{')) {
    const read = readJsonObject(text);
    if ('event' in read) return read;
    if ('tooDeep' in read) return { reason: read.tooDeep };
    if ('malformed' in read) return { reason: `not JSON: ${read.malformed}` };
    return { reason: `line is ${read.found}, not an object` };
  }
  if (text.includes('CEF:')) return parseCefLine(text);
  return { reason: 'neither a JSON object nor a CEF record' };
}
