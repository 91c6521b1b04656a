/**
 * A drop-in for JsonLinesDecoder in the guarded `vigil run`: the same `push` / `end` /
 * `linesSeen`, but the bytes are decoded on the engine thread and their events pushed there, in
 * batches cut at every `batchLines`-th line (counted as the decoder counts). The main thread only
 * finds the batch boundaries — a scan for newlines — and makes one call per batch, so a checkpoint
 * taken at a boundary sees the engine exactly after that batch, as in an unguarded run.
 *
 * Handlers: `onError` gets the decoder's line errors; `onLine` is called at batch boundaries only
 * (the unguarded CLI acts on no other line); `onEvent` is never called — the events stay on the
 * engine thread. The engine thread works on one batch while this thread cuts the next (see
 * GuardedEngine.feedLines): errors and alerts arrive once their batch is through, in order.
 */
import type { EventFormat } from '../../io/event-lines.js';
import type { JsonLinesHandlers } from '../../io/from-jsonl.js';

const NEWLINE = 0x0a;

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
}

/** What the lines go to: GuardedEngine (named by shape, so this file and guarded-engine.ts do not import each other). */
export interface LineFeedTarget {
  /** Bytes up to line `toLine`, decoded and pushed on the engine thread; `boundary` ends a batch. */
  feedLines(bytes: Uint8Array, toLine: number, boundary: boolean, onError: (line: number, reason: string) => void): void;
  /** Waits until the engine thread has taken every line fed so far. */
  settle(): void;
  /** End of input; returns the lines seen. */
  endLines(onError: (line: number, reason: string) => void, withoutPartialLine?: boolean): number;
}

export class GuardedLines {
  private lines: number;
  private readonly skipLines: number;
  private readonly batchLines: number;
  private readonly settleAt?: (line: number) => boolean;
  private seen?: number;

  constructor(
    private readonly engine: LineFeedTarget,
    options: LineFeedOptions,
  ) {
    this.skipLines = options.skipLines ?? 0;
    this.batchLines = options.batchLines;
    this.settleAt = options.settleAt;
    this.lines = 0;
  }

  /** Lines completed so far (blank lines included). */
  get linesSeen(): number {
    return this.seen ?? this.lines;
  }

  push(chunk: Uint8Array, handlers: JsonLinesHandlers): void {
    const onError = (line: number, reason: string) => handlers.onError({ line, reason });
    let start = 0;
    while (start < chunk.length) {
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
      // A copy of exactly this piece (Buffer#slice would be a view): posting a view copies its whole underlying buffer.
      this.engine.feedLines(Uint8Array.prototype.slice.call(chunk, start, end), this.lines, cut >= 0, onError);
      if (cut >= 0) {
        if (this.settleAt?.(this.lines)) this.engine.settle();
        handlers.onLine?.(this.lines);
      }
      start = end;
    }
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
