/**
 * The guarded line feed with span tables: GuardedLines cuts the input into pieces and scans their
 * whole lines on the reading thread (src/io/line-spans.ts); the engine thread's LineBatcher reads
 * the lines from the tables instead of scanning them. The oracle is eager decoding (JsonLinesDecoder
 * with JSON.parse, no lazy reader, no tables): over the hostile corpus (every malformed-line case
 * of the existing suites) spliced between thesis-workload events, with CRLF lines, fed in chunks
 * cut at random places (lines begun in one chunk and ended in another, an oversized line across
 * several), from the start and resumed after skipped lines, the same events in the same order
 * (partial events built whole equal the eager ones), the same errors on the same line numbers —
 * with the scan in TypeScript and in WebAssembly.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import type { RulePlan } from '../../src/engine/rule-plan.js';
import { WHOLE_EVENT, wholeEvent } from '../../src/engine/whole-event.js';
import { eventLineParser } from '../../src/io/event-lines.js';
import { JsonLinesDecoder, type JsonLinesHandlers } from '../../src/io/from-jsonl.js';
import { LazyJsonLines, lineScanner, useJsonScanModule } from '../../src/io/lazy-jsonl.js';
import { GuardedLines, type LineFeedTarget, type LineSpans } from '../../src/runtime/guard/guarded-lines.js';
import { LineBatcher } from '../../src/runtime/guard/line-batcher.js';
import { createNodeEngine } from '../../src/targets/node.js';
import { loadJsonScanModuleNode } from '../../src/wasm/load-node.js';
// @ts-expect-error: a JavaScript module of the benchmarks, without types.
import { makeEvents } from '../../bench/thesis-workload.mjs';
import { hostileCorpus } from '../io/hostile-lines.js';
import { canonical } from '../io/canonical.js';

const BATCH_LINES = 64;

/** Rules that read the corpus's and the thesis events' fields (routing, FILTER, IOC), so lines are read lazily. */
async function rulePlans(): Promise<RulePlan[]> {
  const engine = await createNodeEngine({});
  try {
    engine.iocs.create('list');
    const applied = engine.putRules(
      `RULE "hostile"
SOURCES kind = "e"
FILTER function (e) { return e.user != 'u2' && e['n'] !== 5; }
IOC FILTERS not in list(tag)
SINK function (e) { return e; }

RULE "thesis"
SOURCES groupName = ["Group1", "Group2"]
FILTER function (e) { return e.integer == 3 && e.groupTag != 'x'; }
SINK function (e) { return e; }
`,
      { file: 'r.vgl' },
    );
    expect(applied.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    return engine.rulePlans();
  } finally {
    engine.dispose();
  }
}

/** The input: thesis events, the corpus twice in the middle (and once at the end, without a final newline), some lines with CRLF. */
function input(): Buffer {
  const events = (makeEvents(700, 3) as Record<string, unknown>[]).map((e, i) => JSON.stringify(i % 5 === 0 ? { ...e, kind: 'e', user: `u${i % 4}`, tag: `t${i % 3}` } : e) + (i % 7 === 0 ? '\r\n' : '\n'));
  const text = (from: number, to: number) => Buffer.from(events.slice(from, to).join(''));
  // Values at the edges of what the WebAssembly scan decodes itself: integers of 9 and 10 digits, -0, strings of 32 and 33 characters.
  const edges = Buffer.from(
    [
      '{"kind":"e","n":999999999,"user":"' + 'u'.repeat(32) + '","tag":-999999999}',
      '{"kind":"e","n":1000000000,"user":"' + 'u'.repeat(33) + '","tag":-1000000000}',
      '{"kind":"e","n":-0,"user":"","tag":0}',
      '{"kind":"e","n":-1,"user":"-","tag":10.5,"integer":1e2}',
      '{"kind":"e","n":007}',
      '{"groupName":"Group1","integer":3,"groupTag":"Demo V01","user":"é"}',
    ]
      .map((line) => `${line}\n`)
      .join(''),
  );
  const corpus = hostileCorpus();
  return Buffer.concat([text(0, 250), edges, corpus, Buffer.from('\n'), text(250, 500), corpus, Buffer.from('\n'), edges, text(500, 700), corpus]);
}

interface Seen {
  errors: string[];
  events: Record<string, unknown>[];
}

/** The oracle: eager decoding of the same bytes. */
function eager(bytes: Uint8Array, skipLines: number): Seen {
  const seen: Seen = { errors: [], events: [] };
  const handlers: JsonLinesHandlers = { onEvent: ({ event }) => seen.events.push(event), onError: ({ line, reason }) => seen.errors.push(`${line}: ${reason}`) };
  const decoder = new JsonLinesDecoder({ skipLines, parse: eventLineParser('auto').parse });
  decoder.push(bytes, handlers);
  decoder.end(handlers);
  return seen;
}

/**
 * The guarded feed without threads: GuardedLines on this side, a LineBatcher standing for the
 * engine thread on the other (its events collected instead of run). Returns what it decoded and
 * how many pieces came with a span table.
 */
function guarded(plans: RulePlan[], bytes: Uint8Array, cuts: number[], skipLines: number, backlog?: () => number): Seen & { tables: number } {
  const seen: Seen & { tables: number } = { errors: [], events: [], tables: 0 };
  const engine = { rulePlans: () => plans, push: (batch: Record<string, unknown>[]) => seen.events.push(...batch) } as unknown as Engine;
  const batcher = new LineBatcher(engine, (line, reason) => seen.errors.push(`${line}: ${reason}`));
  const target: LineFeedTarget = {
    feedLines(piece: Uint8Array, _toLine: number, _boundary: boolean, _onError: unknown, spans?: LineSpans) {
      if (spans) seen.tables++;
      // What crosses to the engine thread: a copy of exactly the piece's bytes, the table as it is.
      batcher.push(Uint8Array.prototype.slice.call(piece), spans?.table.slice(), spans?.fields);
    },
    settle() {},
    endLines: (_onError, withoutPartialLine) => batcher.end(withoutPartialLine),
    // Without it every piece is scanned here; with it, a piece is left to the engine thread whenever it reports 0.
    ...(backlog ? { feedBacklog: backlog } : {}),
  };
  const fields = batcher.open({ skipLines, batchLines: BATCH_LINES, format: 'auto' });
  expect(fields?.length).toBeGreaterThan(0);
  const feed = new GuardedLines(target, { skipLines, batchLines: BATCH_LINES, scanner: lineScanner }, fields);
  const handlers: JsonLinesHandlers = { onEvent: () => undefined, onError: () => undefined };
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    // A fresh buffer per chunk, as a file reader gives.
    feed.push(Uint8Array.prototype.slice.call(bytes, at, cut), handlers);
    at = cut;
  }
  feed.end(handlers);
  return seen;
}


const jsonScanModule = await loadJsonScanModuleNode();
const plans = await rulePlans();

describe.each([
  ['TypeScript', undefined],
  ['WebAssembly', jsonScanModule],
])('the guarded line feed with span tables scanned in %s', (_name, module) => {
  beforeAll(() => useJsonScanModule(module));
  afterAll(() => useJsonScanModule(undefined));
  afterEach(() => vi.restoreAllMocks());

  it('gives eager decoding’s events and errors, whatever the chunking, from the start and resumed', () => {
    const bytes = input();
    const random = (() => {
      let s = 11;
      return () => (s = (s * 1103515245 + 12345) >>> 0) / 0x1_0000_0000;
    })();
    const fromTables = vi.spyOn(LazyJsonLines.prototype, 'readScanned');
    for (let round = 0; round < 10; round++) {
      // Few cuts (pieces end at batch boundaries and chunk ends) to many (short chunks, lines across them).
      const cuts = [...new Set(Array.from({ length: round * round * 4 }, () => Math.floor(random() * bytes.length)))].sort((a, b) => a - b);
      for (const skipLines of round % 3 === 0 ? [0, 37, 300] : [0]) {
        const oracle = eager(bytes, skipLines);
        fromTables.mockClear();
        // Every other round, the engine thread "catches up" now and then and scans pieces itself: tables and plain bytes mixed.
        const got = guarded(plans, bytes, cuts, skipLines, round % 2 ? () => Math.floor(random() * 3) : undefined);
        expect(got.errors).toEqual(oracle.errors);
        expect(got.events.length).toBe(oracle.events.length);
        let partial = 0;
        got.events.forEach((event, i) => {
          const expected = oracle.events[i]!;
          if (WHOLE_EVENT in event) partial++;
          // Every 8th built whole: when more than a quarter are, the reader turns eager for a while (lazy-jsonl.ts).
          if (i % 8 === 0 || !(WHOLE_EVENT in event)) expect(canonical(wholeEvent(event))).toBe(canonical(expected));
          // The fields read before the event is built whole are the eager event's.
          for (const name of ['kind', 'user', 'tag', 'n', 'groupName', 'groupTag', 'integer']) {
            const own = Object.prototype.hasOwnProperty;
            expect(own.call(event, name)).toBe(own.call(expected, name));
            if (own.call(event, name)) expect(canonical(event[name])).toBe(canonical(expected[name]));
          }
        });
        // The comparison means something: most events were partial, read from tables, and the corpus's errors are there.
        expect(got.tables).toBeGreaterThan(0);
        expect(fromTables.mock.calls.length).toBeGreaterThan(round % 2 ? 0 : oracle.events.length / 2);
        expect(partial).toBeGreaterThan(oracle.events.length / 2);
        if (skipLines === 0) {
          expect(oracle.errors.join('\n')).toMatch(/: nested deeper than 128/);
          expect(oracle.errors.join('\n')).toMatch(/: line is 1100010 bytes, longer than the 1048576-byte limit; skipped/);
          expect(oracle.errors.length).toBeGreaterThanOrEqual(3 * 15);
        }
      }
    }
  });

  it('keeps no more of a line over the 1 MiB limit than the limit and a chunk: the guard logs what it feeds until the next batch boundary', () => {
    const MiB = 1024 * 1024;
    const chunks = [Buffer.from('{"kind":"e","user":"before"}\n{"pad":"'), ...Array.from({ length: 40 }, () => Buffer.alloc(MiB, 0x78)), Buffer.from('"}\r\n{"kind":"e","user":"after"}\n')];
    const bytes = Buffer.concat(chunks);
    const oracle = eager(bytes, 0);
    expect(oracle.errors).toEqual([`2: line is ${40 * MiB + 11} bytes, longer than the ${MiB}-byte limit; skipped`]);
    const seen: Seen = { errors: [], events: [] };
    const engine = { rulePlans: () => plans, push: (batch: Record<string, unknown>[]) => seen.events.push(...batch) } as unknown as Engine;
    const batcher = new LineBatcher(engine, (line, reason) => seen.errors.push(`${line}: ${reason}`));
    const fields = batcher.open({ skipLines: 0, batchLines: BATCH_LINES, format: 'auto' });
    const given = new Set<ArrayBufferLike>();
    let keptOfChunks = 0;
    const target: LineFeedTarget = {
      feedLines(piece: Uint8Array, _toLine: number, _boundary: boolean, _onError: unknown, spans?: LineSpans) {
        // The guard keeps `piece` (a view) in its log: count what it keeps of the caller's chunks.
        if (given.has(piece.buffer)) keptOfChunks += piece.byteLength;
        batcher.push(Uint8Array.prototype.slice.call(piece), spans?.table.slice(), spans?.fields);
      },
      settle() {},
      endLines: (_onError, withoutPartialLine) => batcher.end(withoutPartialLine),
    };
    const feed = new GuardedLines(target, { batchLines: BATCH_LINES, scanner: lineScanner }, fields);
    const handlers: JsonLinesHandlers = { onEvent: () => undefined, onError: () => undefined };
    for (const chunk of chunks) {
      const own = Uint8Array.prototype.slice.call(chunk);
      given.add(own.buffer);
      feed.push(own, handlers);
    }
    feed.end(handlers);
    expect(seen.errors).toEqual(oracle.errors);
    expect(seen.events.map((e) => canonical(wholeEvent(e)))).toEqual(oracle.events.map(canonical));
    expect(keptOfChunks).toBeLessThanOrEqual(2 * MiB + 100);
  });

  it('ignores a table scanned for other fields than the decoder reads (the rules changed on the engine thread)', () => {
    const bytes = Buffer.from(`${(makeEvents(300, 5) as unknown[]).map((e) => JSON.stringify(e)).join('\n')}\n`);
    const oracle = eager(bytes, 0);
    const engine = { rulePlans: () => plans, push: (batch: Record<string, unknown>[]) => events.push(...batch) } as unknown as Engine;
    const events: Record<string, unknown>[] = [];
    const batcher = new LineBatcher(engine, () => undefined);
    const fields = batcher.open({ skipLines: 0, batchLines: BATCH_LINES, format: 'auto' })!;
    // Scanned for the fields in another order: the spans would land on the wrong names.
    const other = [...fields].reverse();
    const feed = new GuardedLines(
      { feedLines: (piece, _l, _b, _e, spans) => batcher.push(Uint8Array.prototype.slice.call(piece), spans?.table, spans?.fields), settle() {}, endLines: () => batcher.end() },
      { batchLines: BATCH_LINES, scanner: lineScanner },
      other,
    );
    const fromTables = vi.spyOn(LazyJsonLines.prototype, 'readScanned');
    const handlers: JsonLinesHandlers = { onEvent: () => undefined, onError: () => undefined };
    feed.push(bytes, handlers);
    feed.end(handlers);
    expect(fromTables).not.toHaveBeenCalled();
    expect(events.map((e) => canonical(wholeEvent(e)))).toEqual(oracle.events.map(canonical));
    expect(events.map((e) => [e.groupName, e.integer])).toEqual(oracle.events.map((e) => [e.groupName, e.integer]));
  });
});
