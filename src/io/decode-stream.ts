/**
 * A web stream of bytes in, batches of events out: the one way to read a line-based input (JSON
 * lines, goflow2, CEF, or JSON-or-CEF lines) on any engine (Node, Deno, workerd, browsers). Gzip
 * is recognised by its magic bytes and decompressed (./gzip.ts); lines go through the incremental
 * decoder of ./from-jsonl.ts with its limits (line length, UTF-8, nesting depth); each event and
 * each rejected line carries its 1-based line number. A gzip stream that breaks off yields the
 * lines before the break, then throws the GzipBreak.
 */
import { eventLineParser, parseJsonOrCefLine, type EventFormat, type LineResult } from './event-lines.js';
import { JsonLinesDecoder, type DecodedLine, type JsonLinesHandlers, type LineError } from './from-jsonl.js';
import { GzipBreak, gunzipIfGzip, type Gunzip } from './gzip.js';
import { chunksOf } from './streams.js';

export interface EventBatch {
  events: DecodedLine[];
  rejects: LineError[];
  /** Lines completed so far, blank lines included (the line number of this batch's last line). */
  lines: number;
}

export interface DecodeStreamOptions {
  /** How lines are read (default 'auto'); 'json-or-cef' decides line by line, as the HTTP API does. */
  format?: EventFormat | 'json-or-cef';
  /** A parser of one line's text instead of `format`'s. */
  parse?: (text: string) => LineResult;
  /** Longest accepted line in bytes. Default 1 MiB. */
  maxLineBytes?: number;
  /** Lines to pass over unread at the start (a resumed run); numbering still counts them. */
  skipLines?: number;
  /** A batch ends after every `batchLines`-th line (fixed line numbers) and at the end. Default 1024. */
  batchLines?: number;
  /** How gzip input is decompressed (default DecompressionStream); false: the input is never gzip. */
  gunzip?: Gunzip | false;
}

/** The events and rejected lines of a byte stream, in batches cut at fixed line numbers. */
export async function* decodeEventStream(input: ReadableStream<Uint8Array>, options: DecodeStreamOptions = {}): AsyncGenerator<EventBatch> {
  const batchLines = options.batchLines ?? 1024;
  const parse = options.parse ?? (options.format === 'json-or-cef' ? parseJsonOrCefLine : eventLineParser(options.format).parse);
  const decoder = new JsonLinesDecoder({ maxLineBytes: options.maxLineBytes, skipLines: options.skipLines, parse });
  const ready: EventBatch[] = [];
  let batch: EventBatch = { events: [], rejects: [], lines: 0 };
  const handlers: JsonLinesHandlers = {
    onEvent: (e) => batch.events.push(e),
    onError: (e) => batch.rejects.push(e),
    onLine: (line) => {
      if (line % batchLines !== 0) return;
      batch.lines = line;
      ready.push(batch);
      batch = { events: [], rejects: [], lines: line };
    },
  };
  const bytes = options.gunzip === false ? input : gunzipIfGzip(input, options.gunzip);
  try {
    for await (const chunk of chunksOf(bytes)) {
      decoder.push(chunk, handlers);
      while (ready.length) yield ready.shift()!;
    }
  } catch (error) {
    if (!(error instanceof GzipBreak)) throw error;
    // Everything before the break counts; the partial line at the break is not read.
    batch.lines = decoder.linesSeen;
    if (batch.events.length || batch.rejects.length) yield batch;
    throw error;
  }
  decoder.end(handlers);
  while (ready.length) yield ready.shift()!;
  batch.lines = decoder.linesSeen;
  if (batch.events.length || batch.rejects.length) yield batch;
}
