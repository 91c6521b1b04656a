/** `vigil run`: rules over JSON-lines events, alerts out as JSON lines. */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Alert, RuntimeDiagnostic } from '../engine/engine.js';
import { JsonLinesDecoder, type LineError } from '../io/from-jsonl.js';
import { InputError, writeAll, type CliIO } from './io.js';
import { hasErrors, printDiagnostics, setUpEngine } from './setup.js';

export interface RunSpec {
  rules: readonly string[];
  iocs: readonly string[];
  tables: readonly string[];
  outOfOrderMs?: number;
  latenessMs?: number;
  sandboxOnly: boolean;
  out?: string;
  metrics: boolean;
  /** A path, or `-` for stdin. */
  input: string;
}

/** Events handed to the engine per push: large enough to batch sandbox crossings, small enough to stream. */
const BATCH_SIZE = 1024;
/** Per rule, how many late-event diagnostics are printed before only the count is kept. */
const LATE_REPORTS_PER_RULE = 10;

export async function runRun(spec: RunSpec, io: CliIO): Promise<number> {
  if (!spec.rules.length) throw new InputError('run needs at least one --rules file or directory');
  const inputName = spec.input === '-' ? '<stdin>' : spec.input;
  if (spec.input !== '-') {
    const info = await stat(spec.input).catch(() => undefined);
    if (!info) throw new InputError(`cannot read events '${spec.input}': no such file`);
    if (info.isDirectory()) throw new InputError(`cannot read events '${spec.input}': it is a directory`);
  }
  const setup = await setUpEngine(
    { rules: spec.rules, iocs: spec.iocs, tables: spec.tables, listPathRequired: true },
    { outOfOrderMs: spec.outOfOrderMs, allowedLatenessMs: spec.latenessMs, sandboxOnly: spec.sandboxOnly },
  );
  const { engine } = setup;
  await printDiagnostics(io, setup.diagnostics);
  if (hasErrors(setup.diagnostics)) {
    engine.dispose();
    return 1;
  }

  const out: Writable = spec.out ? createWriteStream(spec.out) : io.stdout;
  let pendingOutput = '';
  engine.onAlert((alert: Alert) => {
    pendingOutput += `${JSON.stringify(alert)}\n`;
  });
  const lateByRule = new Map<string, number>();
  let pendingErrors = '';
  engine.onDiagnostic((d: RuntimeDiagnostic) => {
    if (d.code === 'vigil.late') {
      const n = (lateByRule.get(d.rule ?? '') ?? 0) + 1;
      lateByRule.set(d.rule ?? '', n);
      if (n > LATE_REPORTS_PER_RULE) return;
    }
    pendingErrors += `vigil: ${d.code}${d.rule ? ` rule "${d.rule}"` : ''}: ${d.message}\n`;
  });
  const flushOutput = async () => {
    if (pendingErrors) {
      const text = pendingErrors;
      pendingErrors = '';
      await writeAll(io.stderr, text);
    }
    if (pendingOutput) {
      const text = pendingOutput;
      pendingOutput = '';
      await writeAll(out, text);
    }
  };

  const decoder = new JsonLinesDecoder();
  let batch: Record<string, unknown>[] = [];
  const onEvent = ({ event }: { event: Record<string, unknown> }) => {
    batch.push(event);
  };
  const onError = (e: LineError) => {
    pendingErrors += `${inputName}:${e.line}: ${e.reason}\n`;
  };
  const pushBatch = async () => {
    if (batch.length) {
      engine.push(batch);
      batch = [];
    }
    await flushOutput();
  };

  try {
    for await (const chunk of await openEvents(spec.input, io.stdin)) {
      decoder.push(chunk as Uint8Array, onEvent, onError);
      if (batch.length >= BATCH_SIZE || pendingErrors) await pushBatch();
    }
    decoder.end(onEvent, onError);
    await pushBatch();
    engine.flush();
    await flushOutput();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') return 0;
    if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') throw new InputError(`cannot read events '${inputName}': corrupt gzip data (${(error as Error).message})`);
    throw error;
  } finally {
    for (const [rule, n] of lateByRule) {
      if (n > LATE_REPORTS_PER_RULE) io.stderr.write(`vigil: vigil.late rule "${rule}": ${n} late events in all (first ${LATE_REPORTS_PER_RULE} shown)\n`);
    }
    if (spec.metrics) io.stderr.write(`${JSON.stringify(engine.metrics())}\n`);
    engine.dispose();
    if (out !== io.stdout) await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
  return 0;
}

/** The input as a byte stream: gzip is recognised by its magic bytes, whatever the file is called. */
async function openEvents(input: string, stdin: Readable): Promise<AsyncIterable<Uint8Array>> {
  const source: Readable = input === '-' ? stdin : createReadStream(input, { highWaterMark: 1 << 20 });
  return gunzipIfNeeded(source);
}

async function* gunzipIfNeeded(source: Readable): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  const first = await iterator.next();
  if (first.done) return;
  const head = first.value;
  const rest: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => iterator };
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    const feed = (async () => {
      try {
        if (!gunzip.write(head)) await new Promise((r) => gunzip.once('drain', r));
        for await (const chunk of rest) if (!gunzip.write(chunk)) await new Promise((r) => gunzip.once('drain', r));
        gunzip.end();
      } catch (error) {
        gunzip.destroy(error as Error);
      }
    })();
    for await (const chunk of gunzip) yield chunk as Uint8Array;
    await feed;
    return;
  }
  yield head;
  yield* rest;
}
