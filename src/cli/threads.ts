/**
 * `vigil run --threads N` and `vigil collect --threads N`: the input's lines (or datagrams) spread
 * over N engines, one per thread, with output byte for byte that of one engine.
 *
 * Which rules may be spread is the edge's question (src/edge/routing.ts): a rule's routing class
 * says what it must be co-located with. A simple rule fed by events (class `events:partition`
 * without a group key) correlates nothing — "any one engine will do" — so its events may go to any
 * thread. Every other class (AGGREGATE BY / STATE MACHINE BY keys, global windows, alert-fed
 * rules) and SUPPRESS (state per key and time) needs more than a share of the events: the watermark
 * of a window moves with every event of the input, and where a window's alert falls in the output
 * depends on the event that moved it. A function that runs in the sandbox may keep state in its
 * globals from event to event, so it too needs every event. A rule set holding any such rule runs
 * on one thread, as `--threads 1` does.
 *
 * The unit of work is a *block*: the input lines of one batch (BATCH_LINES lines, cut at fixed line
 * numbers as the one-thread run cuts its batches). Each block is decoded and pushed as one batch by
 * whichever thread takes it, and the blocks' alerts and errors are written in block order. Within a
 * block the order is the engine's own (src/engine/reentry.ts), so the output is the one-thread
 * output. What one engine carries from block to block for such rules is only whether a rule is
 * still active: a rule deactivated (a limit tripped) in block j raises nothing after it, so the
 * merge drops a deactivated rule's alerts and reports from the blocks after j and tells every
 * engine (BlockMerger).
 *
 * Which inputs go how: a plain file (a regular file, not gzip) read from its start without
 * --checkpoint is shared by *range* (FileRange): the main thread reads the file only to count
 * newlines and cut it into ranges of RANGE_BATCHES whole batches (so a range starts at a line
 * the one-thread run starts a batch at, and its thread knows that line's number), and the thread
 * that takes a range reads those bytes itself, decodes them and runs the rules; only its alerts
 * and reports come back. Cutting at whole batches rather than at byte offsets keeps what the
 * output depends on: a batch's line errors are written before what its push reports, so a batch
 * must not be split between threads. Every other input — stdin, gzip (its byte offsets are not
 * the lines'), --resume (a checkpoint holds a line count, not a byte offset) and --checkpoint
 * (taken between batches while the blocks before are written) — is read by the main thread and
 * handed over as blocks.
 *
 * Why stateful rules are not partitioned by key (as the edge does) yet — each of these breaks
 * "byte for byte as one engine", and none has a fix small enough to be sure of:
 * - Event time: the watermark one engine has at an event depends on every earlier event of the
 *   input (EventClock: minimum over sources, quarantine, and a confirmed jump *releasing* held
 *   events into windows of any key). Threads seeing a share would each need it from the main
 *   thread, which then has to decode every line (JSON.parse and the USING fields) — the work the
 *   threads were to take; bench/threads.mjs measures that serial share.
 * - Output order: one engine sorts an input's alerts by (the event they arose from, a sequence
 *   number counted over all rules in the batch, firing.ts); windows that close at one event come
 *   in order of end, keys in order of arrival (window.ts). Alerts from two threads closing windows
 *   at the same event cannot be ordered without the engine exporting, per alert, the rule's place,
 *   the window's end and its key's first arrival in the whole input — a change of the engine's key.
 * - Alert-fed rules: re-entry is depth-first per cause with a budget and a fan-out limit counted
 *   over all the alerts of an input (reentry.ts), and alert-fed windows advance only once the
 *   batch's alerts have re-entered (time-index.ts): a barrier between threads after every batch.
 * - Checkpoints: one engine's checkpoint holds every key; resuming with another number of threads
 *   would need windows, state tables and suppression split by key hash and merged back, which the
 *   engine's checkpoint (checkpointing.ts) cannot do.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { Alert, Engine, RuntimeDiagnostic } from '../engine/engine.js';
import { languageOf } from '../engine/compile-source.js';
import type { PushOptions, RuleInfo } from '../engine/types.js';
import type { ViolationKind } from '../sandbox/violation.js';
import { eventLineParser, type EventFormat } from '../io/event-lines.js';
import { JsonLinesDecoder, type JsonLinesHandlers } from '../io/from-jsonl.js';
import { eagerDecodeAsked, lineReading } from '../io/lazy-jsonl.js';
import { routingClassOf } from '../edge/routing.js';
import { MORE_RULE_ERRORS, RULE_ERRORS_REPORTED } from '../engine/firing.js';
import type { RuleAst } from '../lang/ast.js';
import { parseRules } from '../lang/parse.js';
import type { EngineSurface } from '../runtime/guard/engine-surface.js';
import { GuardedEngine } from '../runtime/guard/guarded-engine.js';
import { readText, ruleFiles } from './io.js';

/** The longest line the decoders read (JsonLinesDecoder's default); longer lines are reported and skipped. */
const MAX_LINE_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;
/** Alerts of the engine itself; a `vigil.rule.deactivated` alert names the rule in `deactivatedRule`. */
const DEACTIVATED = 'vigil.rule.deactivated';
/**
 * Any field: routingClassOf places a rule whose keys hold the partition field in the partition
 * class. The CLI has no partition field, so it names one no rule can hold.
 */
const NO_PARTITION_FIELD = '\u0000vigil.threads';

/**
 * Why these rules must run on one thread, or undefined when any thread may take any block. The
 * classes are the edge's (routingClassOf); a Sigma rule, which has no VGL text, goes by its kind.
 */
export function sequentialReason(rules: readonly RuleInfo[]): string | undefined {
  for (const info of rules) {
    // The sandbox keeps a rule's globals from call to call (a function may count events in them);
    // native functions are pure (src/lang/compile-whitelist.ts), so only they may see a share.
    const sandboxed = info.functions.find((f) => f.mode === 'sandbox');
    if (sandboxed) return `rule "${info.name}" runs its ${sandboxed.phase} in the sandbox (its globals may carry state from event to event)`;
    if (info.language === 'sigma') {
      if (info.kind !== 'simple') return `Sigma rule "${info.name}" correlates events`;
      continue;
    }
    const ast = parseRules(info.text, info.name).rules[0];
    if (!ast) return `rule "${info.name}" could not be read again`;
    const reason = correlates(ast);
    if (reason) return reason;
  }
  return undefined;
}

/** Why a VGL rule needs more than a share of the events, if it does. */
function correlates(ast: RuleAst): string | undefined {
  const cls = routingClassOf(ast, NO_PARTITION_FIELD);
  if (cls.feed === 'alerts') return `rule "${ast.name}" is fed by alerts`;
  if (cls.placement !== 'partition') return `rule "${ast.name}" groups by ${cls.fields.length ? cls.fields.join(', ') : 'nothing (one global window)'}`;
  if (ast.suppress) return `rule "${ast.name}" has SUPPRESS (state per key)`;
  return undefined;
}

/**
 * Before the engine loads them: whether the VGL texts already show a rule that needs every event
 * (so the other threads are not even started). Sigma texts and sandboxed functions are found out
 * once the rules are compiled (sequentialReason).
 */
export function mayShare(vglTexts: readonly string[]): boolean {
  for (const text of vglTexts) {
    const parsed = parseRules(text);
    if (parsed.rules.some((ast) => correlates(ast) !== undefined)) return false;
  }
  return true;
}

/** Whether the VGL rule files leave a chance that the rules can be shared between threads (unreadable files are setUpEngine's to report). */
export async function rulesMayShare(paths: readonly string[]): Promise<boolean> {
  try {
    const files = (await ruleFiles(paths)).filter((f) => languageOf(f) === 'vgl');
    return mayShare(await Promise.all(files.map((f) => readText(f, 'rules'))));
  } catch {
    return true;
  }
}

/**
 * Events already decoded (`vigil collect`: one datagram's flows), pushed as one batch with the
 * push's options, as the one-thread collector pushes them.
 */
export interface EventsBlock {
  /** Its place in the output order. */
  index: number;
  events: Record<string, unknown>[];
  options?: PushOptions;
}

/** A unit of work for any thread: lines to decode and push, or events to push, or a part of a file to read, decode and push. */
export type WorkUnit = Block | EventsBlock | FileRange;

/**
 * Whole batches of a plain file, given by where they are: the thread that takes it reads the bytes
 * itself (the main thread only finds where every RANGE_BATCHES-th batch starts). It starts at a
 * batch boundary, so the thread cuts its batches where the one-thread run cuts them.
 */
export interface FileRange {
  index: number;
  path: string;
  /** Byte offsets: the range's first line starts at `start`; `end` is just after its last newline (the file's end for the last range). */
  start: number;
  end: number;
  /** Lines of the input before the range (a multiple of the batch size). */
  firstLine: number;
  /** How its lines are read, as for a Block. */
  format: EventFormat;
}

/** Batches per FileRange: big enough that a range's messages cost nothing beside its work, small enough to balance the threads at the end. */
export const RANGE_BATCHES = 16;
/** Bytes a thread reads at a time from its range (what the one-thread run reads at a time too). */
const RANGE_READ_BYTES = 1 << 20;

/**
 * Cuts a plain file into FileRanges of `batchesPerRange` whole batches, from the bytes read once
 * on the main thread: it only counts newlines (and, with `auto`, reads lines until the first
 * object decides the format, as FormatDecider does). The threads read and decode the bytes.
 */
export class RangeCutter {
  /** Bytes seen so far, lines ended so far. */
  private offset = 0;
  lines = 0;
  private rangeStart = 0;
  private rangeFirstLine = 0;
  private nextIndex = 0;
  /** Whether the bytes so far end with a newline (else the file's last line has none). */
  private endsWithNewline = true;
  private readonly linesPerRange: number;
  /** With `auto`: the lines read until one decides the format, and the line that did. */
  private readonly decider?: { decoder: JsonLinesDecoder; parser: ReturnType<typeof eventLineParser>; decidedAt?: number };

  constructor(
    private readonly path: string,
    batchLines: number,
    batchesPerRange: number,
    private readonly format: EventFormat = 'auto',
  ) {
    this.linesPerRange = batchLines * batchesPerRange;
    if (format === 'auto') {
      const parser = eventLineParser('auto');
      this.decider = { decoder: new JsonLinesDecoder({ parse: (text) => (parser.format ? undefined : parser.parse(text)) }), parser };
    }
  }

  /** The ranges the chunk (the next bytes of the file) completes. */
  push(chunk: Uint8Array): FileRange[] {
    if (chunk.length) this.endsWithNewline = chunk[chunk.length - 1] === NEWLINE;
    this.decide(chunk);
    const ranges: FileRange[] = [];
    for (let newline = chunk.indexOf(NEWLINE); newline >= 0; newline = chunk.indexOf(NEWLINE, newline + 1)) {
      if (++this.lines % this.linesPerRange === 0) ranges.push(this.cut(this.offset + newline + 1));
    }
    this.offset += chunk.length;
    return ranges;
  }

  /** The last range: the lines after the last cut, the last one with or without its newline. */
  end(): FileRange | undefined {
    if (this.offset === this.rangeStart) return undefined;
    // A last line without a newline still counts (the decoders count it at their end).
    if (!this.endsWithNewline) this.lines++;
    return this.cut(this.offset);
  }

  /** With `auto`, until a line decides: reads the chunk's lines as each range's own `auto` parser would. */
  private decide(chunk: Uint8Array): void {
    const decider = this.decider;
    if (!decider || decider.decidedAt !== undefined) return;
    const ignore = () => undefined;
    decider.decoder.push(chunk, {
      onEvent: ignore,
      onError: ignore,
      onLine: (line) => {
        if (decider.decidedAt === undefined && decider.parser.format) decider.decidedAt = line;
      },
    });
  }

  private cut(end: number): FileRange {
    // Ranges up to the one holding the deciding line are read with `auto` (see FormatDecider).
    const decided = this.decider ? (this.decider.decidedAt !== undefined && this.decider.decidedAt <= this.rangeFirstLine ? this.decider.parser.format! : 'auto') : this.format;
    const range: FileRange = { index: this.nextIndex++, path: this.path, start: this.rangeStart, end, firstLine: this.rangeFirstLine, format: decided };
    this.rangeStart = end;
    this.rangeFirstLine = this.lines;
    return range;
  }
}

/** The lines of one batch, as bytes, with where they are in the input. */
export interface Block {
  /** Block number: its first line is `index * batchLines + 1`. */
  index: number;
  /** Lines of the input before this block. */
  firstLine: number;
  /** Whole lines (newline-terminated, save the input's last); a line over the limit is left out and listed in `oversized`. */
  bytes: Uint8Array;
  /** How its lines are read: the input's format once the first object decided it, `auto` before. */
  format: EventFormat;
  /** Lines over MAX_LINE_BYTES: their number in the input and their length, reported as the decoder reports them. */
  oversized: { line: number; bytes: number }[];
  /** The input broke off after this block (a corrupt gzip stream): no line after its last newline. */
  atBreak: boolean;
}

/**
 * Cuts a byte stream into blocks of `batchLines` lines at the line numbers where the one-thread run
 * cuts its batches. Lines longer than the decoder takes are not buffered: only their length is kept.
 */
export class LineBlocks {
  /** Bytes of the current block's complete lines. */
  private parts: Uint8Array[] = [];
  private partBytes = 0;
  /** Bytes of the line being read that came in earlier chunks (none once it is over the limit). */
  private tail: Uint8Array[] = [];
  /** Length of the line being read so far. */
  private lineBytes = 0;
  /** The line being read is over the limit: its bytes are counted, not kept. */
  private oversizedLine = false;
  private oversized: Block['oversized'] = [];
  /** Lines ended so far (with those skipped). */
  lines = 0;
  /** Lines before the current block, and its number. */
  private blockStart: number;
  private nextIndex: number;
  private skipping: number;
  private readonly format: FormatDecider;

  constructor(
    private readonly batchLines: number,
    skipLines: number,
    format: EventFormat | undefined,
  ) {
    this.skipping = skipLines;
    this.blockStart = skipLines;
    this.nextIndex = Math.floor(skipLines / batchLines);
    this.format = new FormatDecider(format ?? 'auto');
  }

  /** Number of the next block cut. */
  get nextBlock(): number {
    return this.nextIndex;
  }

  /** The blocks the chunk completes. */
  push(chunk: Uint8Array): Block[] {
    const blocks: Block[] = [];
    let start = 0;
    while (this.skipping > 0 && start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline < 0) return blocks;
      this.lines++;
      this.skipping--;
      start = newline + 1;
    }
    // chunk[from, start) holds complete lines not yet kept.
    let from = start;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline < 0 ? chunk.length : newline;
      this.lineBytes += end - start;
      if (!this.oversizedLine && this.lineBytes > MAX_LINE_BYTES) {
        this.oversizedLine = true;
        this.tail = [];
      }
      if (newline < 0) {
        this.keep(chunk, from, start);
        if (!this.oversizedLine) this.tail.push(chunk.slice(start));
        return blocks;
      }
      this.lines++;
      if (this.oversizedLine) {
        this.keep(chunk, from, start);
        this.oversized.push({ line: this.lines, bytes: this.lineBytes });
        // The line still counts: a blank line stands in for it.
        this.keep(NEWLINE_BYTES, 0, 1);
        from = newline + 1;
      } else if (this.tail.length) {
        // The line began in an earlier chunk (so it begins this one, at `from`): its first part first.
        for (const part of this.tail) this.keep(part, 0, part.length);
        this.tail = [];
      }
      this.oversizedLine = false;
      this.lineBytes = 0;
      start = newline + 1;
      if (this.lines % this.batchLines === 0) {
        this.keep(chunk, from, start);
        from = start;
        blocks.push(this.cut(false));
      }
    }
    this.keep(chunk, from, start);
    return blocks;
  }

  /** The last block: the lines after the last cut, and the input's last line if it has no newline (unless the input broke off). */
  end(atBreak: boolean): Block | undefined {
    if (this.skipping > 0) return undefined;
    if (this.lineBytes > 0 || this.oversizedLine) {
      if (!atBreak) {
        this.lines++;
        if (this.oversizedLine) this.oversized.push({ line: this.lines, bytes: this.lineBytes });
        else for (const part of this.tail) this.keep(part, 0, part.length);
      }
      this.tail = [];
      this.lineBytes = 0;
      this.oversizedLine = false;
    }
    if (this.lines === this.blockStart) return undefined;
    return this.cut(atBreak);
  }

  private keep(bytes: Uint8Array, from: number, to: number): void {
    if (to <= from) return;
    // A copy: the caller may reuse its chunk, and a view would carry its whole buffer to another thread.
    this.parts.push(Uint8Array.prototype.slice.call(bytes, from, to));
    this.partBytes += to - from;
  }

  private cut(atBreak: boolean): Block {
    let bytes: Uint8Array;
    if (this.parts.length === 1) bytes = this.parts[0]!;
    else {
      bytes = new Uint8Array(this.partBytes);
      let at = 0;
      for (const part of this.parts) {
        bytes.set(part, at);
        at += part.length;
      }
    }
    const block: Block = { index: this.nextIndex++, firstLine: this.blockStart, bytes, format: this.format.formatFor(bytes), oversized: this.oversized, atBreak };
    this.blockStart = this.lines;
    this.parts = [];
    this.partBytes = 0;
    this.oversized = [];
    return block;
  }
}

const NEWLINE_BYTES = Uint8Array.of(NEWLINE);

/**
 * The one-thread run reads the input with one parser: with `auto`, the first line holding a JSON
 * object decides between JSON lines and goflow2 for every line after it. Blocks are read by
 * separate parsers, so the decision is taken here, once, in input order: blocks up to the one
 * holding the deciding line are read with `auto` (nothing before that line is an object, so each
 * block's own `auto` parser decides on the same line), the blocks after it with the format chosen.
 */
class FormatDecider {
  private readonly parser;
  private decided: EventFormat | undefined;

  constructor(format: EventFormat) {
    this.parser = eventLineParser(format);
    this.decided = format === 'auto' ? undefined : format;
  }

  formatFor(bytes: Uint8Array): EventFormat {
    if (this.decided) return this.decided;
    const decoder = new JsonLinesDecoder({ parse: (text) => (this.parser.format ? undefined : this.parser.parse(text)) });
    const ignore = () => undefined;
    decoder.push(bytes, { onEvent: ignore, onError: ignore });
    decoder.end({ onEvent: ignore, onError: ignore });
    this.decided = this.parser.format;
    return 'auto';
  }
}

/** A deactivation as its alert tells it. */
export interface Deactivation {
  rule: string;
  kind: ViolationKind;
  reason: string;
  phase: string;
}

/** What one block gave: alerts as output lines, then the lines' errors and the engine's reports, in the order one engine gives them. */
export interface BlockResult {
  index: number;
  /** Each alert's rule, its encoded line, and (with a webhook) the alert. */
  alerts: { rule: string; text: string; deactivation?: Deactivation; alert?: Alert }[];
  /** Line errors (text, with the input's name and line number), then the engine's diagnostics. */
  reports: ({ text: string } | { diagnostic: Pick<RuntimeDiagnostic, 'code' | 'rule' | 'message'> })[];
  /** The push of an EventsBlock threw: the error's message (what one engine's push would have thrown). */
  pushError?: string;
}

/**
 * Runs blocks on one engine: the same decoding and batching as the one-thread run (the guarded
 * engine decodes on its own thread, as `vigil run` does without threads).
 */
export class BlockRunner {
  private current?: BlockResult;
  /** Set while a deactivation learnt from another thread is applied: its alert is not output again. */
  private quiet = false;

  constructor(
    private readonly engine: EngineSurface,
    private readonly batchLines: number,
    private readonly inputName: string,
    private readonly encodeAlert: (alert: Alert) => string,
    private readonly keepAlerts: boolean,
  ) {
    engine.onAlert((alert) => {
      if (this.quiet) return;
      const deactivation = alert.rule === DEACTIVATED ? deactivationOf(alert) : undefined;
      this.sink().alerts.push({ rule: alert.rule, text: encodeAlert(alert), ...(deactivation ? { deactivation } : {}), ...(this.keepAlerts ? { alert } : {}) });
    });
    engine.onDiagnostic((d) => this.sink().reports.push({ diagnostic: { code: d.code, rule: d.rule, message: d.message } }));
  }

  run(unit: WorkUnit): BlockResult {
    if ('events' in unit) return this.runEvents(unit);
    if ('path' in unit) return this.runRange(unit);
    const block = unit;
    const result: BlockResult = (this.current = { index: block.index, alerts: [], reports: [] });
    const lineErrors: { line: number; text: string }[] = block.oversized.map(({ line, bytes }) => ({
      line,
      text: `${this.inputName}:${line}: line is ${bytes} bytes, longer than the ${MAX_LINE_BYTES}-byte limit; skipped\n`,
    }));
    const onError = (e: { line: number; reason: string }) => {
      const line = block.firstLine + e.line;
      lineErrors.push({ line, text: `${this.inputName}:${line}: ${e.reason}\n` });
    };
    try {
      if (this.engine instanceof GuardedEngine) {
        const handlers: JsonLinesHandlers = { onEvent: () => undefined, onError };
        const feed = this.engine.lines({ skipLines: 0, batchLines: this.batchLines, format: block.format });
        feed.push(block.bytes, handlers);
        if (block.atBreak) feed.endAtBreak(handlers);
        else feed.end(handlers);
      } else {
        const events: Record<string, unknown>[] = [];
        const decoder = new JsonLinesDecoder({ parse: eventLineParser(block.format).parse, maxLineBytes: MAX_LINE_BYTES });
        const handlers: JsonLinesHandlers = { onEvent: ({ event }) => events.push(event), onError };
        decoder.push(block.bytes, handlers);
        if (!block.atBreak) decoder.end(handlers);
        if (events.length) this.engine.push(events);
      }
    } finally {
      this.current = undefined;
    }
    // Within a batch, lines are read before the batch is pushed: their errors come first, in line order.
    lineErrors.sort((a, b) => a.line - b.line);
    result.reports.unshift(...lineErrors.map(({ text }) => ({ text })));
    return result;
  }

  /**
   * Reads the range from the file and runs it as the one-thread run reads and runs the same lines:
   * the same decoder, batches cut at the same line numbers (the range starts at a boundary), line
   * errors and the engine's reports in the order they come (as one engine writes them).
   */
  private runRange(range: FileRange): BlockResult {
    const result: BlockResult = (this.current = { index: range.index, alerts: [], reports: [] });
    const onError = (e: { line: number; reason: string }) => result.reports.push({ text: `${this.inputName}:${range.firstLine + e.line}: ${e.reason}\n` });
    let file: number | undefined;
    try {
      file = openSync(range.path, 'r');
      let batch: Record<string, unknown>[] = [];
      const pushBatch = () => {
        if (batch.length) this.engine.push(batch);
        batch = [];
      };
      const handlers: JsonLinesHandlers = {
        onEvent: ({ event }) => batch.push(event),
        onError,
        onLine: (line) => {
          if (line % this.batchLines === 0) pushBatch();
        },
      };
      // Guarded, the engine thread decodes the bytes (as in the one-thread run); unguarded, this thread does, lazily where the rules allow.
      const feed =
        this.engine instanceof GuardedEngine
          ? this.engine.lines({ skipLines: 0, batchLines: this.batchLines, format: range.format })
          : new JsonLinesDecoder({ ...lineReading(range.format, (this.engine as unknown as Engine).rulePlans(), eagerDecodeAsked(process.env)) });
      for (let at = range.start; at < range.end; ) {
        // A buffer of its own per read: the lazy decoder may keep the bytes it was given.
        const bytes = Buffer.allocUnsafeSlow(Math.min(RANGE_READ_BYTES, range.end - at));
        const read = readSync(file, bytes, 0, bytes.length, at);
        if (read === 0) throw new Error(`${this.inputName} changed while it was read: it ends before byte ${range.end}`);
        feed.push(read === bytes.length ? bytes : bytes.subarray(0, read), handlers);
        at += read;
      }
      feed.end(handlers);
      pushBatch();
    } finally {
      this.current = undefined;
      if (file !== undefined) closeSync(file);
    }
    return result;
  }

  private runEvents(block: EventsBlock): BlockResult {
    const result: BlockResult = (this.current = { index: block.index, alerts: [], reports: [] });
    try {
      this.engine.push(block.events, block.options);
    } catch (error) {
      result.pushError = (error as Error)?.message ?? String(error);
    } finally {
      this.current = undefined;
    }
    return result;
  }

  /** Whatever the engine raises outside a block (the end-of-input flush). */
  flush(): BlockResult {
    const result: BlockResult = (this.current = { index: -1, alerts: [], reports: [] });
    try {
      this.engine.flush();
    } finally {
      this.current = undefined;
    }
    return result;
  }

  /** A rule deactivated by another thread's block: deactivated here too, without a second alert. */
  deactivate(d: Deactivation): void {
    const info = this.engine.rule(d.rule);
    if (!info || info.state === 'deactivated') return;
    this.quiet = true;
    try {
      this.engine.deactivateRule(d.rule, d.kind, d.reason, d.phase as Parameters<EngineSurface['deactivateRule']>[3]);
    } finally {
      this.quiet = false;
    }
  }

  private sink(): BlockResult {
    // Outside run/flush (a restore, a deactivation): nothing reaches the output.
    return this.current ?? { index: -1, alerts: [], reports: [] };
  }
}

function deactivationOf(alert: Alert): Deactivation | undefined {
  const rule = alert['deactivatedRule'];
  if (typeof rule !== 'string') return undefined;
  return { rule, kind: alert['kind'] as ViolationKind, reason: String(alert['reason'] ?? ''), phase: String(alert['phase'] ?? 'filter') };
}

/**
 * Puts block results back in input order. A rule deactivated in block j raises nothing after j in
 * one engine; an engine on another thread that had not heard of it yet may have: those alerts, its
 * own later deactivation alert and its reports about the rule are dropped here.
 *
 * One engine reports a rule's first RULE_ERRORS_REPORTED errors, then one notice, then counts
 * only; each of n engines does so for its own share. Every engine starts from the same count (a
 * checkpoint's, or none) and sees a share of the errors in input order, so an error one engine
 * would report (the k-th, k ≤ the limit) is at most the k-th of its thread and was reported: the
 * merge recounts the reports in input order and keeps what one engine would have said.
 */
export class BlockMerger {
  private readonly waiting = new Map<number, BlockResult>();
  readonly deactivated = new Map<string, Deactivation>();
  /** Per rule, the errors counted so far in input order (as far as the limit of reports). */
  private readonly ruleErrors: Map<string, number>;

  constructor(
    public next: number,
    private readonly write: (result: BlockResult) => void,
    /** Told each deactivation once, when the merge first meets it (to tell every engine). */
    private readonly onDeactivation: (d: Deactivation) => void,
    /** Errors each rule had before (a resumed run: the checkpoint's counts). */
    ruleErrors: Iterable<[string, number]> = [],
  ) {
    this.ruleErrors = new Map(ruleErrors);
  }

  add(result: BlockResult): void {
    this.waiting.set(result.index, result);
    for (let ready = this.waiting.get(this.next); ready; ready = this.waiting.get(this.next)) {
      this.waiting.delete(this.next);
      this.next++;
      this.emit(ready);
    }
  }

  /** Results not in block order (the end-of-input flush). */
  emit(result: BlockResult): void {
    const gone = new Set(this.deactivated.keys());
    const kept: BlockResult = {
      index: result.index,
      alerts: result.alerts.filter((a) => !gone.has(a.rule) && !(a.deactivation && gone.has(a.deactivation.rule))),
      reports: this.recount(result.reports.filter((r) => !('diagnostic' in r) || r.diagnostic.rule === undefined || !gone.has(r.diagnostic.rule))),
      ...(result.pushError !== undefined ? { pushError: result.pushError } : {}),
    };
    this.write(kept);
    for (const a of kept.alerts) {
      if (a.deactivation && !this.deactivated.has(a.deactivation.rule)) {
        this.deactivated.set(a.deactivation.rule, a.deactivation);
        this.onDeactivation(a.deactivation);
      }
    }
  }

  get pending(): number {
    return this.waiting.size;
  }

  /** The rule-error reports one engine would have given (see the class's comment). */
  private recount(reports: BlockResult['reports']): BlockResult['reports'] {
    const kept: BlockResult['reports'] = [];
    for (const r of reports) {
      if (!('diagnostic' in r) || r.diagnostic.code !== 'vigil.rule.error' || r.diagnostic.rule === undefined) {
        kept.push(r);
        continue;
      }
      const rule = r.diagnostic.rule;
      const count = (this.ruleErrors.get(rule) ?? 0) + 1;
      this.ruleErrors.set(rule, count);
      if (count <= RULE_ERRORS_REPORTED && r.diagnostic.message !== MORE_RULE_ERRORS) kept.push(r);
      else if (count === RULE_ERRORS_REPORTED + 1) kept.push({ diagnostic: { code: 'vigil.rule.error', rule, message: MORE_RULE_ERRORS } });
    }
    return kept;
  }
}

/** Sums the engines' metrics: counts add up; a rule's state is deactivated when the run deactivated it. */
export function sumMetrics<M extends { rules: Record<string, { state: string } & Record<string, unknown>> } & Record<string, unknown>>(all: M[], deactivated: ReadonlySet<string>): M {
  const total = structuredClone(all[0]!);
  for (const other of all.slice(1)) {
    for (const [key, value] of Object.entries(other)) if (typeof value === 'number') (total as Record<string, unknown>)[key] = ((total[key] as number) ?? 0) + value;
    for (const [name, stats] of Object.entries(other.rules)) {
      const into = total.rules[name];
      if (!into) continue;
      for (const [key, value] of Object.entries(stats)) if (typeof value === 'number') into[key] = ((into[key] as number) ?? 0) + value;
    }
  }
  for (const name of deactivated) if (total.rules[name]) total.rules[name]!.state = 'deactivated';
  return total;
}
