/**
 * A drop-in for JsonLinesDecoder in the guarded `vigil run`: the same `push` / `end` /
 * `linesSeen`, but the bytes are decoded on the engine thread and their events pushed there, in
 * batches cut at every `batchLines`-th line (counted as the decoder counts). The main thread finds
 * the batch boundaries — a scan for newlines — scans the lines for the engine thread's lazy
 * fields (when given a scanner: src/io/line-spans.ts) and makes one call per batch, so a
 * checkpoint taken at a boundary sees the engine exactly after that batch, as in an unguarded run.
 *
 * Handlers: `onError` gets the decoder's line errors; `onLine` is called at batch boundaries only
 * (the unguarded CLI acts on no other line); `onEvent` is never called — the events stay on the
 * engine thread. The engine thread works on earlier batches while this thread cuts and scans the
 * next (see GuardedEngine.feedLines): errors and alerts arrive once their batch is through, in order.
 */
import type { EventFormat } from '../../io/event-lines.js';
import { DEFAULT_MAX_LINE_BYTES, type JsonLinesHandlers } from '../../io/from-jsonl.js';
import type { JsonObjectScanner } from '../../io/json-scan.js';
import { scanLineSpans } from '../../io/line-spans.js';

const NEWLINE = 0x0a;

/**
 * Spaces fed to the engine thread in place of the bytes of a line past the decoder's limit
 * (LineBatcher's decoder has the default one): it only counts them, and the guard keeps what it
 * feeds until the next batch boundary — a line of gigabytes (a gzip bomb) would be held whole.
 */
let filler: Uint8Array | undefined;
const FILLER_BYTES = 1 << 20;

export interface LineFeedOptions {
  /** Lines to pass over unread at the start (a resumed run); numbering still counts them. */
  skipLines?: number;
  /** Lines per batch. */
  batchLines: number;
  /** How lines are read: JSON objects, goflow2 records, or decided by the first line. */
  format?: EventFormat;
  /**
   * Batch boundaries where `onLine` must see the engine exactly after that line (a checkpoint is
   * taken there): the feed waits for the engine thread first. At other boundaries `onLine` is
   * called as soon as the batch is handed over, while the engine thread may still be at work on it.
   */
  settleAt?: (line: number) => boolean;
  /**
   * A scanner for the fields the engine thread reads lazily (none: it reads every line eagerly).
   * With one, this thread scans each piece's whole lines and sends their span table with the
   * bytes (src/io/line-spans.ts), so the engine thread builds events without scanning.
   */
  scanner?: (fields: readonly string[]) => JsonObjectScanner;
}

/** What the lines go to: GuardedEngine (named by shape, so this file and guarded-engine.ts do not import each other). */
export interface LineFeedTarget {
  /** Bytes up to line `toLine`, decoded and pushed on the engine thread; `boundary` ends a batch. */
  feedLines(bytes: Uint8Array, toLine: number, boundary: boolean, onError: (line: number, reason: string) => void, spans?: LineSpans): void;
  /** Waits until the engine thread has taken every line fed so far. */
  settle(): void;
  /** Pieces fed that the engine thread has not answered yet (0: it waits for the next). */
  feedBacklog?(): number;
  /** End of input; returns the lines seen. */
  endLines(onError: (line: number, reason: string) => void, withoutPartialLine?: boolean): number;
}

/** A piece's span table and the fields it was scanned for (joined by NUL), which the engine thread checks against its own. */
export interface LineSpans {
  table: Int32Array;
  fields: string;
}

export class GuardedLines {
  private lines: number;
  private readonly skipLines: number;
  private readonly batchLines: number;
  private readonly settleAt?: (line: number) => boolean;
  private seen?: number;
  /** Scans pieces for the engine thread's lazy fields, when it reads lazily and a scanner was given. */
  private readonly scanner?: JsonObjectScanner;
  private readonly fieldsKey: string = '';
  /** The bytes fed so far end with a newline (or none were fed): the next piece starts a line. */
  private atLineStart = true;
  /** Bytes of the line being fed that were fed so far. */
  private lineBytes = 0;

  /** `lazyFields`: the fields the engine thread reads lazily (undefined: eagerly). */
  constructor(
    private readonly engine: LineFeedTarget,
    options: LineFeedOptions,
    lazyFields?: readonly string[],
  ) {
    this.skipLines = options.skipLines ?? 0;
    this.batchLines = options.batchLines;
    this.settleAt = options.settleAt;
    this.lines = 0;
    if (lazyFields && options.scanner) {
      this.scanner = options.scanner(lazyFields);
      this.fieldsKey = lazyFields.join('\u0000');
    }
  }

  /** Lines completed so far (blank lines included). */
  get linesSeen(): number {
    return this.seen ?? this.lines;
  }

  /** Bytes of the input. The caller never writes `chunk` after this: the guard keeps views of it until its next snapshot. */
  push(chunk: Uint8Array, handlers: JsonLinesHandlers): void {
    const onError = (line: number, reason: string) => handlers.onError({ line, reason });
    let start = 0;
    while (start < chunk.length) {
      if (this.lineBytes > DEFAULT_MAX_LINE_BYTES) {
        // The rest of a line over the limit, up to its newline: as many spaces instead of its bytes.
        const newline = chunk.indexOf(NEWLINE, start);
        const end = Math.min(newline < 0 ? chunk.length : newline, start + FILLER_BYTES);
        if (end > start) {
          filler ??= new Uint8Array(FILLER_BYTES).fill(0x20);
          this.engine.feedLines(filler.subarray(0, end - start), this.lines, false, onError);
          this.lineBytes += end - start;
          this.atLineStart = false;
          start = end;
          continue;
        }
      }
      const linesBefore = this.lines;
      let cut = -1;
      let at = start;
      for (;;) {
        const newline = chunk.indexOf(NEWLINE, at);
        if (newline < 0) break;
        this.lines++;
        at = newline + 1;
        if (this.lines % this.batchLines === 0 && this.lines > this.skipLines) {
          cut = at;
          break;
        }
      }
      const end = cut < 0 ? chunk.length : cut;
      // A view: feedLines moves a copy of exactly these bytes to the engine thread.
      const piece = chunk.subarray(start, end);
      // Scanned here while the engine thread is busy with earlier pieces; when it has caught up
      // (this thread is the slower), it scans this piece itself: the two share the work.
      const spans = this.scanner && (this.engine.feedBacklog?.() ?? 1) > 0 ? this.spansOf(piece, linesBefore) : undefined;
      this.atLineStart = piece[piece.length - 1] === NEWLINE;
      const lastNewline = this.lines > linesBefore ? piece.lastIndexOf(NEWLINE) : -1;
      this.lineBytes = lastNewline < 0 ? this.lineBytes + piece.length : piece.length - lastNewline - 1;
      this.engine.feedLines(piece, this.lines, cut >= 0, onError, spans);
      if (cut >= 0) {
        if (this.settleAt?.(this.lines)) this.engine.settle();
        handlers.onLine?.(this.lines);
      }
      start = end;
    }
  }

  /**
   * The span table of the piece's whole lines (after `linesBefore` lines), from the first line
   * the engine thread's decoder reads whole from this piece — not the end of a line begun before,
   * nor lines a resumed run skips (the decoder passes over those itself) — or undefined when
   * there is none.
   */
  private spansOf(piece: Uint8Array, linesBefore: number): LineSpans | undefined {
    let count = this.lines - linesBefore;
    const pass = Math.max(this.atLineStart ? 0 : 1, this.skipLines - linesBefore);
    if (pass >= count) return undefined;
    let from = 0;
    for (let i = 0; i < pass; i++) from = piece.indexOf(NEWLINE, from) + 1;
    count -= pass;
    return { table: scanLineSpans(this.scanner!, piece, from, count), fields: this.fieldsKey };
  }

  /** End of input: the last line (without a newline), then the last partial batch. */
  end(handlers: JsonLinesHandlers): void {
    this.finish(handlers, false);
  }

  /** The input broke off: the last partial batch, without the unterminated line at the break. */
  endAtBreak(handlers: JsonLinesHandlers): void {
    this.finish(handlers, true);
  }

  private finish(handlers: JsonLinesHandlers, withoutPartialLine: boolean): void {
    const lines = this.engine.endLines((line, reason) => handlers.onError({ line, reason }), withoutPartialLine);
    this.seen = lines;
    if (lines > this.lines && lines % this.batchLines === 0 && lines > this.skipLines) handlers.onLine?.(lines);
  }
}

