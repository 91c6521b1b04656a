/**
 * JSON lines decoded where the engine runs: the guarded `vigil run` hands the engine thread raw
 * bytes, never parsed events, because copying objects between threads costs as much as parsing
 * them. Lines are cut into batches at fixed line numbers (every `batchLines` lines, counting every
 * line as the CLI does), so a guarded run batches — and outputs — exactly as an unguarded one.
 */
import type { Engine } from '../../engine/engine.js';
import type { EventFormat } from '../../io/event-lines.js';
import { JsonLinesDecoder, type JsonLinesHandlers } from '../../io/from-jsonl.js';
import { eagerDecodeAsked, lineReading } from '../../io/lazy-jsonl.js';

export class LineBatcher {
  private decoder = new JsonLinesDecoder();
  /** Lines before the decoder's first line (after a restore the decoder starts afresh). */
  private offset = 0;
  private batchLines = 1024;
  private format: EventFormat = 'auto';
  private batch: Record<string, unknown>[] = [];
  /** The fields the decoder reads lazily, joined by NUL (undefined: it decodes eagerly). */
  private lazyKey?: string;
  private readonly handlers: JsonLinesHandlers;

  constructor(
    private readonly engine: Engine,
    onError: (line: number, reason: string) => void,
  ) {
    this.handlers = {
      onEvent: ({ event }) => this.batch.push(event),
      onError: (e) => onError(this.offset + e.line, e.reason),
      onLine: (line) => {
        if ((this.offset + line) % this.batchLines === 0) this.pushBatch();
      },
    };
  }

  /**
   * Starts a feed: `skipLines` lines are passed over unread (a resumed run). Returns the fields
   * lines are read lazily for, in order (undefined: eagerly): a span table scanned for them on
   * the reading thread (src/io/line-spans.ts) spares this thread the scan (see push).
   */
  open(options: { skipLines: number; batchLines: number; format?: EventFormat }): readonly string[] | undefined {
    this.format = options.format ?? 'auto';
    const reading = this.reading();
    this.decoder = new JsonLinesDecoder({ skipLines: options.skipLines, ...reading });
    this.offset = 0;
    this.batchLines = options.batchLines;
    this.batch = [];
    this.lazyKey = reading.lazy?.fields.join('\u0000');
    return reading.lazy?.fields;
  }

  /** Continues a feed at a batch boundary after `lines` lines (the engine restored to that point). */
  resume(options: { lines: number; batchLines: number }): void {
    const reading = this.reading();
    this.decoder = new JsonLinesDecoder(reading);
    this.lazyKey = reading.lazy?.fields.join('\u0000');
    this.offset = options.lines;
    this.batchLines = options.batchLines;
    this.batch = [];
  }

  /**
   * Bytes of the feed, with the span table of their lines when the reading thread scanned them
   * for `fields` (joined by NUL). A table for other fields than this decoder's (the rules changed
   * since `open`) is not used: the lines are scanned here.
   */
  push(bytes: Uint8Array, spans?: Int32Array, fields?: string): void {
    if (spans && fields !== undefined && fields === this.lazyKey) this.decoder.pushScanned(bytes, spans, this.handlers);
    else this.decoder.push(bytes, this.handlers);
  }

  /**
   * End of input: the last line, then the last partial batch. Returns the lines seen in all.
   * `withoutPartialLine`: the input broke off (a corrupt gzip stream), so the unterminated last
   * line is not read.
   */
  end(withoutPartialLine = false): number {
    if (!withoutPartialLine) this.decoder.end(this.handlers);
    this.pushBatch();
    return this.offset + this.decoder.linesSeen;
  }

  /** Lazily where the rules allow it (src/io/lazy-jsonl.ts): the bytes posted here are this thread's own, never reused. */
  private reading() {
    return lineReading(this.format, this.engine.rulePlans(), eagerDecodeAsked(process.env));
  }

  private pushBatch(): void {
    const batch = this.batch;
    this.batch = [];
    if (batch.length) this.engine.push(batch);
  }
}
