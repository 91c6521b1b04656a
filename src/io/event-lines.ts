/**
 * The lines of one input as events: JSON objects as they are, or goflow2 JSON records (v1 CamelCase
 * or v2 snake_case) as the same flow event NetFlow gives (src/io/flow-event.ts). With format
 * 'auto', the first line that holds a JSON object decides for the whole input.
 */
import { decodeGoflowLine, looksLikeGoflow } from './from-goflow.js';
import { parseLine } from './from-jsonl.js';

export type EventFormat = 'auto' | 'jsonl' | 'goflow2';

export const EVENT_FORMATS: readonly EventFormat[] = ['auto', 'jsonl', 'goflow2'];

/** One line read: the event, why the line was refused, or undefined for a blank line. */
export type LineResult = { event: Record<string, unknown> } | { reason: string } | undefined;

export interface EventLineParser {
  parse(text: string): LineResult;
  /** The format in use: undefined while 'auto' has not seen an object yet. */
  readonly format: 'jsonl' | 'goflow2' | undefined;
}

/** A parser for the lines of one input (a file, stdin): keep one per input, since 'auto' decides once. */
export function eventLineParser(format: EventFormat = 'auto'): EventLineParser {
  let chosen: 'jsonl' | 'goflow2' | undefined = format === 'auto' ? undefined : format;
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
      const result = parseLine(text);
      if (chosen === 'jsonl' || result === undefined || 'reason' in result) return result;
      chosen = looksLikeGoflow(result.event) ? 'goflow2' : 'jsonl';
      return chosen === 'goflow2' ? goflow(text) : result;
    },
  };
}
