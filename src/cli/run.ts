/** `vigil run`: rules over JSON-lines (goflow2, CEF) events, alerts out as JSON lines or CEF, with checkpoints to resume from. */
import { createReadStream } from 'node:fs';
import { open, readFile, rename, stat, type FileHandle } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { CheckpointError } from '../engine/checkpoint.js';
import type { Alert, Engine, RuntimeDiagnostic } from '../engine/engine.js';
import type { EventFormat } from '../io/event-lines.js';
import { eagerDecodeAsked, lineReading, lineScanner, useJsonScanModule, wasmScanAsked } from '../io/lazy-jsonl.js';
import { JsonLinesDecoder, type JsonLinesHandlers } from '../io/from-jsonl.js';
import type { EngineSurface } from '../runtime/guard/engine-surface.js';
import type { GuardOptions } from '../runtime/guard/guard-options.js';
import { GuardedEngine } from '../runtime/guard/guarded-engine.js';
import { GuardedLines } from '../runtime/guard/guarded-lines.js';
import { gunzipIfGzip, isGzip } from '../io/gzip.js';
import { chunksOf, streamOf } from '../io/streams.js';
import { alertLineEncoder, type AlertFormat } from '../io/to-alerts.js';
import { GzipBreak, nodeGunzip } from './gunzip.js';
import { InputError, UsageError, writeAll, type CliIO } from './io.js';
import { hasErrors, printDiagnostics, setUpEngine, type SetupSpec } from './setup.js';
import type { Block, BlockResult } from './threads.js';
import { CliWebhook, type WebhookSpec } from './webhook.js';

export interface RunSpec {
  rules: readonly string[];
  /** Built-in Sigma pipeline name or pipeline file (`--sigma-pipeline`). */
  sigmaPipeline?: string;
  iocs: readonly string[];
  tables: readonly string[];
  models?: readonly string[];
  outOfOrderMs?: number;
  latenessMs?: number;
  /** Event time per source named by this field (default: the input is one source). */
  watermarkBy?: string;
  /** Quarantine event times this far ahead of the clock (default: off, files may be of any date). */
  maxFutureMs?: number;
  /** Quarantine event times this far ahead of their source (default 1 h). */
  maxJumpMs?: number;
  /** Events one rule's windows may hold (engine option maxHeldEvents; default 4 000 000). */
  maxHeldEvents?: number;
  /** Keys one rule's state machine or SUPPRESS may hold (engine option maxStateKeys; default 1 000 000). */
  maxStateKeys?: number;
  sandboxOnly: boolean;
  out?: string;
  metrics: boolean;
  /** A path, or `-` for stdin. */
  input: string;
  /** JSON lines as they are, goflow2 records as flow events, CEF records, or told from the first line (default). */
  format?: EventFormat;
  /** How alerts are written: JSON lines (default) or CEF lines. */
  outputFormat?: AlertFormat;
  /** Vigil's version, for CEF's header. */
  version?: string;
  /** Where to write checkpoints. */
  checkpoint?: string;
  /** Input lines between checkpoints (rounded up to whole batches). */
  checkpointEvery?: number;
  /** A checkpoint to resume from. */
  resume?: string;
  /**
   * Also POST each alert to a webhook. A resumed run sends the alerts raised after the checkpoint;
   * those the interrupted run had sent already carry the same Idempotency-Key again.
   */
  webhook?: WebhookSpec;
  /** Run the engine on a worker thread behind the outer guard's watchdog (`vigil run` does, unless --no-guard). */
  guard?: GuardOptions | false;
  /**
   * Engines on as many threads (`--threads`; default 1). Rules that correlate nothing share the
   * input between them; any other rule set runs on one (src/cli/threads.ts). One by default: a
   * guarded one-thread run already keeps two cores busy (the main thread reads and cuts the input
   * while the engine thread decodes and runs it), and on 2 cores 2 threads measured 0.84× one.
   */
  threads?: number;
}

/**
 * Input lines per batch. Batches are cut at fixed line numbers, so a resumed run batches exactly as
 * an uninterrupted one and gives the same output byte for byte.
 */
const BATCH_LINES = 1024;
/** Per rule, how many late-event diagnostics are printed before only the count is kept. */
const LATE_REPORTS_PER_RULE = 10;

/** What the CLI stores in a checkpoint beside the engine state. */
interface RunPosition {
  /** Input lines consumed. */
  lines: number;
  /** Bytes of --out that belong to the run at this point. */
  outBytes: number;
  /** The whole input was consumed and every window flushed. */
  complete: boolean;
}

export async function runRun(spec: RunSpec, io: CliIO): Promise<number> {
  if (!spec.rules.length) throw new InputError('run needs at least one --rules file or directory');
  if ((spec.checkpoint || spec.resume) && !spec.out) throw new UsageError('--checkpoint and --resume need --out (the output file is truncated to the checkpoint on resume)');
  if (spec.checkpointEvery !== undefined && !spec.checkpoint) throw new UsageError('--checkpoint-every needs --checkpoint <file>');
  const inputName = spec.input === '-' ? '<stdin>' : spec.input;
  if (spec.input !== '-') {
    const info = await stat(spec.input).catch(() => undefined);
    if (!info) throw new InputError(`cannot read events '${spec.input}': no such file`);
    if (info.isDirectory()) throw new InputError(`cannot read events '${spec.input}': it is a directory`);
  }
  const resumeBytes = spec.resume ? await readFile(spec.resume).catch(() => undefined) : undefined;
  if (spec.resume && !resumeBytes) throw new InputError(`cannot read checkpoint '${spec.resume}': no such file`);

  const setupSpec: SetupSpec = { rules: spec.rules, iocs: spec.iocs, tables: spec.tables, models: spec.models, listPathRequired: true, sigmaPipeline: spec.sigmaPipeline };
  const engineOptions = {
    outOfOrderMs: spec.outOfOrderMs,
    allowedLatenessMs: spec.latenessMs,
    sandboxOnly: spec.sandboxOnly,
    watermarkBy: spec.watermarkBy,
    maxFutureMs: spec.maxFutureMs,
    maxJumpMs: spec.maxJumpMs,
    maxHeldEvents: spec.maxHeldEvents,
    maxStateKeys: spec.maxStateKeys,
  };
  // The thread pool and what it needs (the rule parser, to tell whether the rules can share the
  // input) are loaded only when more than one thread may run: a one-thread run starts without them.
  const threads = spec.threads ?? 1;
  const [threading, pooling] = threads === 1 ? [] : await Promise.all([import('./threads.js'), import('./threads-pool.js')]);
  // A plain file, read from the start without checkpoints: each thread reads its own ranges of it
  // (FileRange); the main thread only counts newlines to cut the ranges, merges, and runs a range
  // itself when every other thread has its share.
  const byRange = threads > 1 && !spec.checkpoint && !spec.resume && spec.input !== '-' && (await isPlainFile(spec.input));
  // The other threads' engines start while this one loads the rules (closed again if the rules cannot be shared).
  const spawned = threads > 1 && (await threading!.rulesMayShare(spec.rules)) ? pooling!.ThreadPool.spawn(threads - 1, { engineOptions: spec.sigmaPipeline === undefined ? engineOptions : undefined, guard: spec.guard }) : undefined;
  // The lazy reader's scan in WebAssembly, compiled while the engine starts: lines are scanned on
  // this thread (unguarded, or guarded to send span tables with the bytes, src/io/line-spans.ts).
  const scanModule = wasmScanAsked(process.env) && !eagerDecodeAsked(process.env) ? import('../wasm/load-node.js').then((m) => m.loadJsonScanModuleNode()) : undefined;
  scanModule?.catch(() => undefined);
  const setup = await setUpEngine(setupSpec, engineOptions, GuardedEngine.factory(spec.guard)).catch(async (error: unknown) => {
    await spawned?.close();
    throw error;
  });
  const { engine } = setup;
  await printDiagnostics(io, setup.diagnostics);
  if (hasErrors(setup.diagnostics)) {
    engine.dispose();
    await spawned?.close();
    return 1;
  }

  let position: RunPosition = { lines: 0, outBytes: 0, complete: false };
  if (resumeBytes) {
    try {
      position = engine.restore(resumeBytes).extra as RunPosition;
    } catch (error) {
      engine.dispose();
      await spawned?.close();
      if (error instanceof CheckpointError) throw new InputError(`cannot resume from '${spec.resume}': ${error.message}`);
      throw error;
    }
  }

  let webhook: CliWebhook | undefined;
  let out: OutputSink;
  try {
    webhook = spec.webhook ? await CliWebhook.start(spec.webhook, io) : undefined;
    out = spec.out ? await FileSink.open(spec.out, resumeBytes ? position.outBytes : 0) : new StreamSink(io.stdout);
  } catch (error) {
    engine.dispose();
    await spawned?.close();
    await webhook?.finish();
    throw error;
  }
  const lateByRule = new Map<string, number>();
  let pendingErrors = '';
  const encodeAlert = alertLineEncoder(spec.outputFormat ?? 'jsonl', spec.version);
  const report = (d: Pick<RuntimeDiagnostic, 'code' | 'rule' | 'message'>) => {
    if (d.code === 'vigil.late') {
      const n = (lateByRule.get(d.rule ?? '') ?? 0) + 1;
      lateByRule.set(d.rule ?? '', n);
      if (n > LATE_REPORTS_PER_RULE) return;
    }
    pendingErrors += `vigil: ${d.code}${d.rule ? ` rule "${d.rule}"` : ''}: ${d.message}\n`;
  };
  const sequential = threads > 1 ? threading!.sequentialReason(engine.rules()) : undefined;
  // Asked for by name and not possible: say why (the default quietly uses one thread).
  if (spec.threads !== undefined && spec.threads > 1 && sequential) io.stderr.write(`vigil: --threads ${spec.threads}: running on one thread: ${sequential}\n`);
  const parallel = threads > 1 && !sequential && !position.complete && spawned !== undefined;
  const pool = parallel ? spawned : undefined;
  if (!parallel) await spawned?.close();
  if (!parallel) {
    engine.onAlert((alert: Alert) => {
      out.add(encodeAlert(alert));
      webhook?.enqueue(alert);
    });
    engine.onDiagnostic(report);
  }

  const checkpoints = spec.checkpoint ? new Checkpointer(spec.checkpoint, engine, out, spec.checkpointEvery ?? 100_000, position.lines) : undefined;
  let batch: Record<string, unknown>[] = [];
  const pushBatch = () => {
    if (batch.length) engine.push(batch);
    batch = [];
  };
  const handlers: JsonLinesHandlers = {
    onEvent: ({ event }) => batch.push(event),
    onError: (e) => {
      pendingErrors += `${inputName}:${e.line}: ${e.reason}\n`;
    },
    onLine: (line) => {
      if (line % BATCH_LINES !== 0) return;
      pushBatch();
      checkpoints?.atBoundary(line);
    },
  };
  const flushAll = async () => {
    if (pendingErrors) {
      const text = pendingErrors;
      pendingErrors = '';
      await writeAll(io.stderr, text);
    }
    await out.flush();
    await checkpoints?.writePending();
  };

  let exitCode = 0;
  let metrics: unknown;
  try {
    if (pool) {
      const { BlockRunner, LineBlocks, RangeCutter, RANGE_BATCHES } = threading!;
      const { Dispatcher, iocFiltersOf, ruleErrorsOf } = pooling!;
      try {
        const initialized = pool.init({
          setup: setupSpec,
          iocFilters: iocFiltersOf(engine),
          engineOptions,
          batchLines: BATCH_LINES,
          inputName,
          outputFormat: spec.outputFormat ?? 'jsonl',
          version: spec.version,
          keepAlerts: webhook !== undefined,
        });
        // Handled by whoever waits on it (below); this only keeps a failure from counting as unhandled meanwhile.
        initialized.catch(() => undefined);
        // By range, this thread's engine starts on the first ranges while the others set theirs up
        // (unless VIGIL_THREADS_AWAIT_SETUP is set: the tests set it so that a short input, over
        // before a thread is set up, is still shared between threads).
        if (!byRange || awaitSetUpAsked(process.env)) await initialized;
        if (resumeBytes) await pool.restore(resumeBytes);
        const write = (result: BlockResult) => {
          for (const a of result.alerts) {
            out.add(a.text);
            if (a.alert) webhook?.enqueue(a.alert);
          }
          for (const r of result.reports) {
            if ('text' in r) pendingErrors += r.text;
            else report(r.diagnostic);
          }
        };
        const local = new BlockRunner(engine, BATCH_LINES, inputName, encodeAlert, webhook !== undefined);
        if (byRange) {
          const ranges = new RangeCutter(spec.input, BATCH_LINES, RANGE_BATCHES, spec.format);
          const dispatcher = new Dispatcher(pool, local, 0, write, ruleErrorsOf(engine));
          dispatcher.alongside(initialized);
          // Read here only to find where the ranges start (a count of newlines); whoever runs a range reads its bytes itself.
          for await (const chunk of createReadStream(spec.input, { highWaterMark: 1 << 20 })) {
            for (const range of ranges.push(chunk as Uint8Array)) {
              await dispatcher.room();
              dispatcher.submit(range);
            }
            await flushAll();
            await webhook?.waitForRoom();
          }
          const last = ranges.end();
          if (last) {
            await dispatcher.room();
            dispatcher.submit(last);
          }
          await dispatcher.finish();
          await flushAll();
          if (spec.metrics) metrics = await dispatcher.metrics(engine.metrics());
        } else {
          const blocks = new LineBlocks(BATCH_LINES, position.lines, spec.format);
          const dispatcher = new Dispatcher(pool, local, blocks.nextBlock, write, ruleErrorsOf(engine));
          const dispatch = async (block: Block) => {
            if (checkpoints?.due(block.firstLine)) {
              // A checkpoint sees every engine after the same line: the blocks before it are all written.
              await dispatcher.drain();
              checkpoints.atBoundary(block.firstLine);
              await flushAll();
            }
            await dispatcher.room();
            dispatcher.submit(block);
          };
          let unreadable: string | undefined;
          try {
            for await (const chunk of await openEvents(spec.input, io.stdin)) {
              for (const block of blocks.push(chunk)) await dispatch(block);
              await flushAll();
              await webhook?.waitForRoom();
            }
          } catch (error) {
            if (!(error instanceof GzipBreak)) throw error;
            unreadable = error.reason;
          }
          const last = blocks.end(unreadable !== undefined);
          if (last) await dispatch(last);
          await dispatcher.finish();
          if (unreadable === undefined) checkpoints?.atEnd(blocks.lines);
          else {
            pendingErrors += `${inputName}: gzip: ${unreadable} after line ${blocks.lines}\n`;
            exitCode = 2;
          }
          await flushAll();
          if (spec.metrics) metrics = await dispatcher.metrics(engine.metrics());
        }
      } finally {
        await pool.close();
      }
    } else if (!position.complete) {
      // Unguarded, the lines are decoded here: with the scan in WebAssembly, as the engine thread does.
      if (scanModule) useJsonScanModule(await scanModule);
      // Guarded, the engine thread decodes the lines itself (events are not copied between
      // threads), from the span tables this thread scans while it works on the piece before.
      const decoder =
        engine instanceof GuardedEngine
          ? engine.lines({ skipLines: position.lines, batchLines: BATCH_LINES, format: spec.format, settleAt: checkpoints && ((line) => checkpoints.due(line)), scanner: lineScanner })
          : new JsonLinesDecoder({ skipLines: position.lines, ...lineReading(spec.format, (engine as unknown as Engine).rulePlans(), eagerDecodeAsked(process.env)) });
      let unreadable: string | undefined;
      try {
        for await (const chunk of await openEvents(spec.input, io.stdin)) {
          decoder.push(chunk, handlers);
          await flushAll();
          // Reading waits for a working webhook to catch up rather than overflow its queue.
          await webhook?.waitForRoom();
        }
      } catch (error) {
        if (!(error instanceof GzipBreak)) throw error;
        unreadable = error.reason;
      }
      if (unreadable === undefined) decoder.end(handlers);
      else if (decoder instanceof GuardedLines) decoder.endAtBreak(handlers);
      pushBatch();
      engine.flush();
      if (unreadable === undefined) checkpoints?.atEnd(decoder.linesSeen);
      else {
        // The lines before the corruption count: their windows are flushed and their alerts
        // written. The partial line at the break is not read, and no checkpoint claims the input
        // complete (the last one taken stays, to resume from once the file is repaired).
        pendingErrors += `${inputName}: gzip: ${unreadable} after line ${decoder.linesSeen}\n`;
        exitCode = 2;
      }
      await flushAll();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') return 0;
    throw error;
  } finally {
    for (const [rule, n] of lateByRule) {
      if (n > LATE_REPORTS_PER_RULE) io.stderr.write(`vigil: vigil.late rule "${rule}": ${n} late events in all (first ${LATE_REPORTS_PER_RULE} shown)\n`);
    }
    if (spec.metrics) io.stderr.write(`${JSON.stringify(metrics ?? engine.metrics())}\n`);
    engine.dispose();
    await out.close();
    // After --out is complete: a webhook that is slow or down delays the exit, never the alerts' output.
    await webhook?.finish();
  }
  return exitCode;
}

/** Where alerts go, counting the bytes that belong to the run. */
interface OutputSink {
  add(text: string): void;
  /** Bytes added so far, written or not. */
  readonly bytes: number;
  flush(): Promise<void>;
  /** Flushes and makes the bytes durable (before a checkpoint claims them). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

class StreamSink implements OutputSink {
  private pending = '';
  bytes = 0;
  constructor(private readonly stream: Writable) {}
  add(text: string): void {
    this.pending += text;
    this.bytes += Buffer.byteLength(text);
  }
  async flush(): Promise<void> {
    if (!this.pending) return;
    const text = this.pending;
    this.pending = '';
    await writeAll(this.stream, text);
  }
  sync(): Promise<void> {
    return this.flush();
  }
  close(): Promise<void> {
    return this.flush();
  }
}

class FileSink implements OutputSink {
  private pending = '';
  private constructor(
    private readonly file: FileHandle,
    public bytes: number,
    /** Where the next write goes in a regular file; undefined for a device or pipe. */
    private written: number | undefined,
  ) {}

  /** Opens the file, keeping its first `keepBytes` (a resumed run) and dropping the rest. */
  static async open(path: string, keepBytes: number): Promise<FileSink> {
    let file: FileHandle;
    try {
      file = await open(path, keepBytes > 0 ? 'r+' : 'w');
    } catch (error) {
      throw new InputError(`cannot write '${path}': ${(error as Error).message}`);
    }
    const info = await file.stat();
    // A device or a pipe (--out /dev/stdout) is written as a stream: no truncation, no offsets.
    if (!info.isFile()) return new FileSink(file, 0, undefined);
    if (info.size < keepBytes) {
      await file.close();
      throw new InputError(`cannot resume: '${path}' has ${info.size} bytes, fewer than the ${keepBytes} the checkpoint recorded`);
    }
    if (keepBytes > 0) await file.truncate(keepBytes);
    return new FileSink(file, keepBytes, keepBytes);
  }

  add(text: string): void {
    this.pending += text;
    this.bytes += Buffer.byteLength(text);
  }

  async flush(): Promise<void> {
    if (!this.pending) return;
    const data = Buffer.from(this.pending);
    this.pending = '';
    await this.file.write(data, 0, data.length, this.written ?? null);
    if (this.written !== undefined) this.written += data.length;
  }

  async sync(): Promise<void> {
    await this.flush();
    await this.file.sync();
  }

  async close(): Promise<void> {
    await this.flush();
    await this.file.close();
  }
}

/**
 * Takes engine checkpoints at batch boundaries (synchronously, so the state matches the line count
 * exactly) and writes them once the output they account for is on disk: write to a temporary file,
 * sync, rename. A kill at any moment leaves the previous checkpoint or the new one, never half.
 */
class Checkpointer {
  private pending?: Uint8Array;

  constructor(
    private readonly path: string,
    private readonly engine: EngineSurface,
    private readonly out: OutputSink,
    private readonly every: number,
    private lastLine: number,
  ) {}

  /** Whether a checkpoint is taken at this batch boundary. */
  due(line: number): boolean {
    return line - this.lastLine >= this.every;
  }

  atBoundary(line: number): void {
    if (!this.due(line)) return;
    this.take({ lines: line, outBytes: this.out.bytes, complete: false });
  }

  atEnd(lines: number): void {
    this.take({ lines, outBytes: this.out.bytes, complete: true });
  }

  async writePending(): Promise<void> {
    if (!this.pending) return;
    const bytes = this.pending;
    this.pending = undefined;
    await this.out.sync();
    const temporary = `${this.path}.tmp`;
    const file = await open(temporary, 'w');
    try {
      await file.write(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, this.path);
  }

  private take(position: RunPosition): void {
    this.lastLine = position.lines;
    this.pending = this.engine.checkpoint(position);
  }
}

/** Whether VIGIL_THREADS_AWAIT_SETUP asks `--threads` to set up every thread's engine before the first range (for tests). */
function awaitSetUpAsked(env: Record<string, string | undefined>): boolean {
  const value = env.VIGIL_THREADS_AWAIT_SETUP;
  return value !== undefined && value !== '' && value !== '0';
}

/** A regular file that is not gzip (told by its magic bytes, as openEvents tells it): its byte ranges can be read by any thread. */
async function isPlainFile(path: string): Promise<boolean> {
  let file: FileHandle | undefined;
  try {
    file = await open(path, 'r');
    if (!(await file.stat()).isFile()) return false;
    const head = new Uint8Array(2);
    const { bytesRead } = await file.read(head, 0, 2, 0);
    return !isGzip(head.subarray(0, bytesRead));
  } catch {
    return false;
  } finally {
    await file?.close();
  }
}

/**
 * The input as a byte stream: gzip is recognised by its magic bytes (src/io/gzip.ts), whatever the
 * file is called. A broken gzip stream ends in a GzipBreak after everything before the break.
 */
async function openEvents(input: string, stdin: Readable): Promise<AsyncIterable<Uint8Array>> {
  const open = () => createReadStream(input, { highWaterMark: 1 << 20 });
  const source = input === '-' ? stdin : open();
  return chunksOf(gunzipIfGzip(streamOf(source as AsyncIterable<Uint8Array>), nodeGunzip(input === '-' ? undefined : open)));
}
