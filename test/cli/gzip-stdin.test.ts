/**
 * Gzip on standard input is told by its first two bytes even when the pipe delivers them apart
 * (before src/io/gzip.ts, only the first chunk was looked at): the run reads what the same lines
 * give uncompressed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-gzstdin-'));

async function run(pieces: Uint8Array[], rules: string) {
  async function* parts() {
    for (const p of pieces) yield p;
  }
  const stdin = { [Symbol.asyncIterator]: () => parts() } as unknown as Readable;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await main(['run', '--no-guard', '--rules', rules, '-'], { stdin, stdout, stderr, version: 'test' });
  return { code, out, err };
}

describe('gzip on stdin', () => {
  it('is recognised when its magic bytes come one at a time', async () => {
    const rules = join(dir, 'rules.vgl');
    writeFileSync(rules, 'RULE "all"\nSOURCES kind = "a"\nSINK function (e) { return { i: e.i }; }\n');
    const text = Array.from({ length: 100 }, (_, i) => JSON.stringify({ kind: i % 2 ? 'a' : 'b', i })).join('\n') + '\n';
    const gz = new Uint8Array(gzipSync(text));
    const plain = await run([new TextEncoder().encode(text)], rules);
    const split = await run([gz.subarray(0, 1), gz.subarray(1, 2), gz.subarray(2)], rules);
    expect(plain.code).toBe(0);
    expect(plain.out.split('\n').filter(Boolean)).toHaveLength(50);
    expect(split).toEqual(plain);
  });
});
