/** Decoding a replay file: lines across chunks, CRLF, bad lines, gzip by magic bytes, byte progress. */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeLine, isGzip, LineSplitter, readJsonLines } from '../../web/worker/replay.js';

async function all(blob: Blob, batchSize = 2) {
  const bytes: number[] = [];
  const lines = [];
  for await (const batch of readJsonLines(blob, { batchSize, onBytes: (n) => bytes.push(n) })) {
    expect(batch.length).toBeLessThanOrEqual(batchSize);
    lines.push(...batch);
  }
  return { lines, bytes };
}

describe('replay decoding', () => {
  it('splits lines across chunks, with CRLF and without a final newline', () => {
    const s = new LineSplitter();
    expect(s.push('{"a":1}\r\n{"b"')).toEqual(['{"a":1}']);
    expect(s.push(':2}\n\n{"c":3}')).toEqual(['{"b":2}', '']);
    expect(s.end()).toEqual(['{"c":3}']);
    expect(s.end()).toEqual([]);
  });

  it('decodes objects and names bad lines', () => {
    expect(decodeLine('{"x":1}', 1)).toEqual({ line: 1, event: { x: 1 } });
    expect(decodeLine('[1]', 2)).toEqual({ line: 2, error: 'not an object' });
    expect(decodeLine('{oops', 3)).toEqual({ line: 3, error: 'not JSON' });
    expect(decodeLine('   ', 4)).toBeUndefined();
  });

  it('reads plain and gzip files alike (told by the magic bytes), counting the bytes read', async () => {
    const text = '{"i":1}\n{"i":2}\nnope\n\n{"i":3}';
    expect(isGzip(new Uint8Array([0x1f, 0x8b, 8]))).toBe(true);
    expect(isGzip(new TextEncoder().encode(text))).toBe(false);
    const plain = await all(new Blob([text]));
    const gz = gzipSync(text);
    const zipped = await all(new Blob([gz]));
    for (const r of [plain, zipped]) {
      expect(r.lines).toEqual([
        { line: 1, event: { i: 1 } },
        { line: 2, event: { i: 2 } },
        { line: 3, error: 'not JSON' },
        { line: 5, event: { i: 3 } },
      ]);
    }
    expect(plain.bytes.at(-1)).toBe(new TextEncoder().encode(text).byteLength);
    expect(zipped.bytes.at(-1)).toBe(gz.byteLength);
  });
});
