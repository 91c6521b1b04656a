/**
 * src/io's stream decoder: bytes in any chunking, plain or gzip (told by the magic bytes, even when
 * they arrive one at a time), give the events and rejected lines a naive reader finds line by line
 * (split at \n, JSON.parse), with their 1-based line numbers, in batches cut at fixed line numbers.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeEventStream, type EventBatch } from '../../src/io/decode-stream.js';
import { GzipBreak, gunzipIfGzip, isGzip } from '../../src/io/gzip.js';
import { chunksOf } from '../../src/io/streams.js';

/** A stream of `bytes` cut into pieces of the given sizes (cycled). */
function streamIn(bytes: Uint8Array, sizes: number[]): ReadableStream<Uint8Array> {
  let at = 0;
  let k = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      const size = sizes[k++ % sizes.length]!;
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>, options: Parameters<typeof decodeEventStream>[1] = {}) {
  const batches: EventBatch[] = [];
  for await (const b of decodeEventStream(stream, options)) batches.push(b);
  return batches;
}

/** The naive reading: every line on its own. */
function naive(text: string) {
  const events: { line: number; event: unknown }[] = [];
  const rejects: number[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (!line.trim()) return;
    try {
      const v = JSON.parse(line);
      if (v && typeof v === 'object' && !Array.isArray(v)) events.push({ line: i + 1, event: v });
      else rejects.push(i + 1);
    } catch {
      rejects.push(i + 1);
    }
  });
  return { events, rejects };
}

const TEXT = Array.from({ length: 300 }, (_, i) =>
  i % 17 === 3 ? '{"broken": ' : i % 23 === 5 ? '[1,2]' : i % 29 === 7 ? '' : i % 31 === 9 ? `{"i":${i},"__proto__":{"x":1}}\r` : JSON.stringify({ i, s: 'é😀'.repeat(i % 5), kind: 'auth' }),
).join('\n');

describe('decodeEventStream', () => {
  for (const [label, bytes] of [
    ['plain', new TextEncoder().encode(TEXT)],
    ['gzip', new Uint8Array(gzipSync(TEXT))],
  ] as const) {
    for (const sizes of [[1], [2, 7, 1], [4096]]) {
      it(`${label} in pieces of ${sizes.join(',')} bytes: the naive reading, in batches cut every 50 lines`, async () => {
        const batches = await collect(streamIn(bytes, sizes), { batchLines: 50, format: 'jsonl' });
        const want = naive(TEXT);
        expect(batches.flatMap((b) => b.events)).toEqual(want.events);
        expect(batches.flatMap((b) => b.rejects.map((r) => r.line))).toEqual(want.rejects);
        expect(batches.map((b) => b.lines)).toEqual([50, 100, 150, 200, 250, 300]);
        for (const b of batches) for (const e of [...b.events, ...b.rejects]) expect(e.line).toBeLessThanOrEqual(b.lines);
        const proto = batches.flatMap((b) => b.events).find((e) => e.line === 10)!.event;
        expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
        expect(Object.hasOwn(proto, '__proto__')).toBe(true);
      });
    }
  }

  it('keeps the limits: a line too long is skipped by number, a line nested deeper than 128 refused', async () => {
    const text = `{"a":1}\n{"b":"${'x'.repeat(2000)}"}\n${'['.repeat(200)}${']'.repeat(200)}\n${'{"d":'.repeat(129)}1${'}'.repeat(129)}\n{"c":3}`;
    const batches = await collect(streamIn(new TextEncoder().encode(text), [13]), { maxLineBytes: 1000 });
    expect(batches.flatMap((b) => b.events.map((e) => e.line))).toEqual([1, 5]);
    const rejects = batches.flatMap((b) => b.rejects);
    expect(rejects[0]).toEqual({ line: 2, reason: 'line is 2008 bytes, longer than the 1000-byte limit; skipped' });
    expect(rejects.slice(1).map((r) => r.line)).toEqual([3, 4]);
    expect(rejects.slice(1).map((r) => r.reason)).toEqual(['nested deeper than 128', 'nested deeper than 128']);
  });

  it('reads CEF lines, and JSON-or-CEF lines line by line', async () => {
    const text = 'CEF:0|a|b|1|id|n|5|src=1.2.3.4 spt=80\nnot cef\n{"a":1}\n';
    const cef = await collect(streamIn(new TextEncoder().encode(text), [5]), { format: 'cef' });
    expect(cef.flatMap((b) => b.events)).toEqual([{ line: 1, event: expect.objectContaining({ sourceAddress: '1.2.3.4', sourcePort: 80 }) }]);
    expect(cef.flatMap((b) => b.rejects.map((r) => r.line))).toEqual([2, 3]);
    const mixed = await collect(streamIn(new TextEncoder().encode(text), [5]), { format: 'json-or-cef' });
    expect(mixed.flatMap((b) => b.events.map((e) => e.line))).toEqual([1, 3]);
    expect(mixed.flatMap((b) => b.rejects)).toEqual([{ line: 2, reason: 'neither a JSON object nor a CEF record' }]);
  });

  it('a gzip stream cut short: the lines before the break, then a GzipBreak', async () => {
    const text = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ i, pad: 'y'.repeat(i % 50) })).join('\n');
    const gz = gzipSync(text);
    const events: number[] = [];
    let error: unknown;
    try {
      for await (const b of decodeEventStream(streamIn(new Uint8Array(gz.subarray(0, gz.length >> 1)), [1000]))) events.push(...b.events.map((e) => e.line));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GzipBreak);
    expect(events.length).toBeGreaterThan(1000);
    expect(events).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
  });
});

describe('gzip detection', () => {
  it('by the magic bytes alone, also when the stream gives them one at a time; a 1-byte stream passes through', async () => {
    expect(isGzip(Uint8Array.of(0x1f, 0x8b, 8))).toBe(true);
    expect(isGzip(Uint8Array.of(0x1f))).toBe(false);
    const text = 'hello\nworld\n';
    const read = async (s: ReadableStream<Uint8Array>) => {
      const parts: Uint8Array[] = [];
      for await (const c of chunksOf(s)) parts.push(c);
      return new TextDecoder().decode(Buffer.concat(parts));
    };
    expect(await read(gunzipIfGzip(streamIn(new Uint8Array(gzipSync(text)), [1])))).toBe(text);
    expect(await read(gunzipIfGzip(streamIn(new TextEncoder().encode(text), [1])))).toBe(text);
    expect(await read(gunzipIfGzip(streamIn(Uint8Array.of(0x1f), [1])))).toBe('\x1f');
    expect(await read(gunzipIfGzip(streamIn(new Uint8Array(0), [1])))).toBe('');
  });
});

describe('to-jsonl → from-jsonl', () => {
  it('one line per record whatever its strings hold, read back equal', async () => {
    const { toJsonLine } = await import('../../src/io/to-jsonl.js');
    const hostile = ['a\nb', 'c\r\nd', '\u2028\u2029', '\u0000', '"}\n{"x":1', '😀', '\\'];
    const records = hostile.map((s, i) => ({ rule: s, i, nested: { s }, list: [s] }));
    const text = records.map(toJsonLine).join('');
    expect(text.split('\n')).toHaveLength(records.length + 1);
    const batches = await collect(streamIn(new TextEncoder().encode(text), [3]), { format: 'jsonl' });
    expect(batches.flatMap((b) => b.events)).toEqual(records.map((event, i) => ({ line: i + 1, event })));
  });
});
