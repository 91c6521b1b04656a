/**
 * `vigil run --threads N` over a plain file, shared by ranges (src/cli/threads.ts, FileRange): the
 * ranges RangeCutter cuts from any chunking of a text are those a split of the whole text on
 * newlines gives (every range whole batches, starting where the one-thread run starts a batch),
 * and the CLI writes the one-thread output and errors byte for byte with 2, 3 and 4 threads,
 * guarded and not, over malformed lines (at batch and range boundaries), CRLF, blank lines, lines
 * longer than a read and than the line limit (across a range boundary), an input without a final
 * newline, rule errors past the reporting limit on several threads, an empty file and files of
 * one line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RangeCutter, type FileRange } from '../../src/cli/threads.js';
import { RULE_ERRORS_REPORTED } from '../../src/engine/firing.js';

const bin = join(process.cwd(), 'bin/vigil');
const dir = mkdtempSync(join(tmpdir(), 'vigil-threads-ranges-'));
const BATCH = 1024;
/** What `vigil run` cuts its ranges at (RANGE_BATCHES batches). */
const RANGE_LINES = 16 * BATCH;

function seeded(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

/** The naive model: the text's lines (a last one without newline counts), every `perRange` lines a range, with its byte offsets. */
function naiveRanges(text: Buffer, perRange: number, firstObjectLine: number | undefined): Omit<FileRange, 'index' | 'path'>[] {
  const starts: number[] = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === 0x0a) starts.push(i + 1);
  // starts[k]: where line k+1 begins; the last entry is the end when the text ends with a newline.
  const lines = text.length === 0 ? 0 : text[text.length - 1] === 0x0a ? starts.length - 1 : starts.length;
  const ranges: Omit<FileRange, 'index' | 'path'>[] = [];
  for (let first = 0; first < lines; first += perRange) {
    const next = first + perRange;
    ranges.push({ start: starts[first]!, end: next < lines ? starts[next]! : text.length, firstLine: first, format: firstObjectLine !== undefined && firstObjectLine <= first ? 'jsonl' : 'auto' });
  }
  return ranges;
}

function cutInChunks(text: Buffer, random: () => number, perBatch: number, batches: number, format?: 'jsonl'): FileRange[] {
  const cutter = new RangeCutter('in.jsonl', perBatch, batches, format);
  const ranges: FileRange[] = [];
  for (let at = 0; at < text.length; ) {
    const size = 1 + Math.floor(random() ** 3 * 300);
    ranges.push(...cutter.push(text.subarray(at, at + size)));
    at += size;
  }
  const last = cutter.end();
  if (last) ranges.push(last);
  return ranges;
}

describe('RangeCutter', () => {
  it('cuts any chunking into the ranges of whole batches a split of the text gives, reading with the format the first object decides', () => {
    const random = seeded(3);
    for (let round = 0; round < 300; round++) {
      const count = Math.floor(random() * 60);
      const objectFrom = random() < 0.3 ? Math.floor(random() * count) : 0;
      const lines = Array.from({ length: count }, (_, k) => {
        const r = random();
        if (k < objectFrom) return r < 0.5 ? '' : r < 0.8 ? '"not an object"' : '[1,2]';
        return r < 0.1 ? '' : r < 0.2 ? '{bad' : `{"n":${k},"p":"${'x'.repeat(Math.floor(random() * 40))}"}${random() < 0.2 ? '\r' : ''}`;
      });
      const text = Buffer.from(lines.join('\n') + (random() < 0.5 ? '\n' : ''));
      // The first line holding an object (1-based), as the auto parser finds it.
      const firstObject = lines.findIndex((l) => l.startsWith('{"n"'));
      const perBatch = 1 + Math.floor(random() * 4);
      const batches = 1 + Math.floor(random() * 3);
      const got = cutInChunks(text, random, perBatch, batches);
      const expected = naiveRanges(text, perBatch * batches, firstObject < 0 ? undefined : firstObject + 1);
      expect(got.map(({ start, end, firstLine, format }) => ({ start, end, firstLine, format }))).toEqual(expected);
      expect(got.map((r) => r.index)).toEqual(expected.map((_, i) => i));
      // A format given is every range's.
      expect(cutInChunks(text, random, perBatch, batches, 'jsonl').every((r) => r.format === 'jsonl')).toBe(true);
    }
  });
});

const RULES = `RULE "fives"
SOURCES kind = "x"
FILTER function (e) { return e.n % 5 === 0; }
SINK function (e) { return { n: e.n }; }

RULE "fragile"
SOURCES kind = "x"
FILTER function (e) { return e.n % 1500 === 3; }
SINK function (e) { return { n: e.n, deep: e.nope.deeper }; }
`;

/** Lines and where the model expects an error (1-based line numbers). */
interface Input {
  lines: string[];
  badLines: number[];
  finalNewline: boolean;
}

/** Events with hostile lines at batch and range boundaries; lines close to the edges of the 1 MiB reads. */
function mixedInput(count: number): Input {
  const random = seeded(11);
  const lines: string[] = [];
  const badLines: number[] = [];
  const bad = (text: string) => {
    lines.push(text);
    badLines.push(lines.length);
  };
  // Lines (1-based) that get a hostile line: the ends and starts of batches and ranges.
  const hostileAt = new Set([1, BATCH, BATCH + 1, RANGE_LINES - 1, RANGE_LINES, RANGE_LINES + 1, 2 * RANGE_LINES, 2 * RANGE_LINES + 1, 3 * RANGE_LINES + 5]);
  for (let n = 0; lines.length < count; n++) {
    const at = lines.length + 1;
    if (hostileAt.has(at)) {
      const k = badLines.length % 4;
      if (k === 0) bad('{ not json');
      else if (k === 1) bad('[1,2,3]');
      // Over the 1 MiB line limit: it straddles reads, and (at a range's last line) the range's end.
      else if (k === 2) bad(`{"kind":"x","pad":"${'p'.repeat(1_200_000)}"}`);
      else bad('"a string"');
      continue;
    }
    const r = random();
    // A long line under the limit, across the 1 MiB reads.
    if (n % 9000 === 4000) lines.push(JSON.stringify({ kind: 'x', n, pad: 'q'.repeat(900_000) }));
    else if (r < 0.02) lines.push('');
    else if (r < 0.1) lines.push(`${JSON.stringify({ kind: 'x', n })}\r`);
    else lines.push(JSON.stringify({ kind: 'x', n, tag: `t${Math.floor(r * 100)}` }));
  }
  return { lines, badLines, finalNewline: false };
}

function write(name: string, input: Input): string {
  const file = join(dir, name);
  writeFileSync(file, input.lines.join('\n') + (input.finalNewline ? '\n' : ''));
  return file;
}

/** Every thread set up before the first range, so that even a short input is shared between threads. */
const SHARED = { ...process.env, VIGIL_THREADS_AWAIT_SETUP: '1' };

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 1 << 28, env: SHARED });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The one-thread run is the oracle: 2, 3 and 4 threads, guarded and not, give its bytes on stdout and stderr. */
const EVERY_WAY = [['--threads', '2'], ['--threads', '3'], ['--threads', '4'], ['--threads', '2', '--no-guard'], ['--threads', '3', '--no-guard']];

function expectSameAsOneThread(file: string, extra: string[] = [], ways = EVERY_WAY): { stdout: string; stderr: string } {
  const rules = join(dir, 'rules.vgl');
  writeFileSync(rules, RULES);
  const common = ['run', '--rules', rules, ...extra];
  const one = run([...common, '--threads', '1', file]);
  expect(one.status, one.stderr).toBe(0);
  for (const args of ways) {
    const many = run([...common, ...args, file]);
    expect(many.status, many.stderr).toBe(0);
    expect(many.stdout === one.stdout, `${args.join(' ')}: alerts differ`).toBe(true);
    expect(many.stderr, args.join(' ')).toBe(one.stderr);
  }
  return one;
}

describe('vigil run --threads over a plain file, by ranges', () => {
  it('gives the one-thread bytes over malformed lines at batch and range boundaries, CRLF, long lines and no final newline', () => {
    const input = mixedInput(4 * RANGE_LINES + 777);
    const file = write('mixed.jsonl', input);
    const one = expectSameAsOneThread(file);
    // The oracle holds what the input says: every bad line reported once, with its number, in order.
    expect([...one.stderr.matchAll(/mixed\.jsonl:(\d+): /g)].map((m) => Number(m[1]))).toEqual(input.badLines);
    // Every event with n % 5 === 0 alerted once (the naive model).
    const fives = input.lines.filter((l) => l.startsWith('{"kind":"x"')).map((l) => JSON.parse(l) as { n: number }).filter((e) => e.n % 5 === 0).length;
    expect(one.stdout.match(/"rule":"fives"/g)?.length).toBe(fives);
    // Its rule errors: the first RULE_ERRORS_REPORTED, then one notice (errors fall in every range, on every thread).
    expect(one.stderr.match(/sink threw TypeError/g)?.length).toBe(RULE_ERRORS_REPORTED);
    expect(one.stderr.match(/more errors from this rule/g)?.length).toBe(1);
  }, 300_000);

  it('gives the one-thread bytes with --format jsonl, and for the same input ending with a newline', () => {
    const input = { ...mixedInput(2 * RANGE_LINES + 3), finalNewline: true };
    const file = write('mixed-newline.jsonl', input);
    expectSameAsOneThread(file, ['--format', 'jsonl']);
    expectSameAsOneThread(file);
  }, 300_000);

  it('gives the one-thread bytes for an empty file and files of one line', () => {
    const cases: [string, string][] = [
      ['empty.jsonl', ''],
      ['one.jsonl', '{"kind":"x","n":5}'],
      ['one-newline.jsonl', '{"kind":"x","n":10}\n'],
      ['one-crlf.jsonl', '{"kind":"x","n":15}\r\n'],
      ['one-bad.jsonl', '{"kind":'],
      ['blank.jsonl', '\n'],
    ];
    for (const [name, text] of cases) {
      const file = join(dir, name);
      writeFileSync(file, text);
      // A file of one range: guarded and not is what can differ.
      const one = expectSameAsOneThread(file, [], [['--threads', '2'], ['--threads', '3', '--no-guard']]);
      if (name === 'one-bad.jsonl') expect(one.stderr).toMatch(/one-bad\.jsonl:1: /);
      if (name.startsWith('one') && name !== 'one-bad.jsonl') expect(one.stdout.match(/"rule":"fives"/g)?.length).toBe(1);
    }
  }, 300_000);
});

describe('a range of a file that shrank after it was cut', () => {
  it('stops with an error naming the input and the byte it ends before (without the check, the read loop would never end)', async () => {
    const { BlockRunner } = await import('../../src/cli/threads.js');
    const { createNodeEngine } = await import('../../src/runtime/node.js');
    const engine = await createNodeEngine({});
    try {
      const result = engine.addRules('RULE "every"\nSOURCES kind = "x"\nFILTER function (e) { return true; }\nSINK function (e) { return { n: e.n }; }\n');
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const path = join(mkdtempSync(join(tmpdir(), 'vigil-range-shrunk-')), 'events.jsonl');
      const text = Array.from({ length: 5 }, (_, n) => JSON.stringify({ kind: 'x', n })).join('\n') + '\n';
      writeFileSync(path, text);
      const runner = new BlockRunner(engine, 1024, 'events.jsonl', (alert) => JSON.stringify(alert), false);
      // As if the main thread had counted the lines of a longer file, which was then cut short.
      const range: FileRange = { index: 0, path, start: 0, end: text.length + 40, firstLine: 0, format: 'jsonl' };
      expect(() => runner.run(range)).toThrow(`events.jsonl changed while it was read: it ends before byte ${text.length + 40}`);
    } finally {
      engine.dispose();
    }
  });
});
