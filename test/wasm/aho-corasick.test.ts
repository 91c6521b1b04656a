/**
 * The WebAssembly Aho–Corasick scan (assembly/aho-corasick.ts through src/wasm/aho-corasick.ts)
 * against the naive oracle `text.indexOf(pattern) >= 0`: random pattern sets with overlaps, shared
 * prefixes, non-ASCII and astral characters and the empty pattern. Over UTF-8 a lone surrogate
 * becomes U+FFFD, so with those the scan may report more (never fewer) patterns than present.
 * Then the Sigma prefilter over the WebAssembly matchers: the same candidates as over the
 * JavaScript automaton.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fieldAccess } from '../../src/sigma/field-access.js';
import { AutomatonTooLarge } from '../../src/sigma/prefilter-automaton.js';
import { LiteralPrefilter } from '../../src/sigma/prefilter.js';
import { WasmPatternMatcherFactory } from '../../src/wasm/aho-corasick.js';
import { vigilExports } from '../../src/wasm/exports.js';
import { Scratch } from '../../src/wasm/scratch.js';
import { freshHotPaths, rng } from './build-wasm.js';

let factory: WasmPatternMatcherFactory;

beforeAll(async () => {
  const ex = vigilExports((await freshHotPaths()).instance);
  factory = new WasmPatternMatcherFactory(ex, new Scratch(ex));
});

const LIMITS = { maxPatterns: 65_536, maxPatternUnits: 262_144 };

function present(matcher: { scan(text: string, found: (id: number) => void): void }, text: string): number[] {
  const out: number[] = [];
  matcher.scan(text, (id) => out.push(id));
  return out.sort((a, b) => a - b);
}

function naive(patterns: readonly string[], text: string): number[] {
  return patterns.flatMap((p, i) => (text.indexOf(p) >= 0 ? [i] : []));
}

function randomString(next: () => number, alphabet: string[], max: number): string {
  let s = '';
  const n = Math.floor(next() * (max + 1));
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(next() * alphabet.length)];
  return s;
}

describe('WebAssembly Aho–Corasick (assembly/aho-corasick.ts)', () => {
  it('reports exactly the patterns indexOf finds (well-formed text, ASCII to astral)', () => {
    const next = rng(5);
    const alphabets = [[...'ab'], [...'abc\\:.'], [...'aéß\u0130Σς😀'], [...'abcdefghijklmnopqrstuvwxyz0123456789\\:.-_ ']];
    let found = 0;
    for (let round = 0; round < 200; round++) {
      const alphabet = alphabets[round % alphabets.length];
      const patterns: string[] = [];
      const count = 1 + Math.floor(next() * 30);
      for (let i = 0; i < count; i++) {
        const r = next();
        if (r < 0.2 && patterns.length) patterns.push(patterns[Math.floor(next() * patterns.length)] + randomString(next, alphabet, 3));
        else if (r < 0.3 && patterns.length) patterns.push(randomString(next, alphabet, 3) + patterns[Math.floor(next() * patterns.length)]);
        else if (r < 0.33) patterns.push('');
        else patterns.push(randomString(next, alphabet, 8) || alphabet[0]);
      }
      const matcher = factory.create(patterns, LIMITS);
      for (let t = 0; t < 10; t++) {
        let text = '';
        for (let k = Math.floor(next() * 6); k > 0; k--) text += patterns[Math.floor(next() * patterns.length)] + randomString(next, alphabet, 4);
        const expected = naive(patterns, text);
        expect(present(matcher, text), `${JSON.stringify(patterns)} in ${JSON.stringify(text)}`).toEqual(expected);
        found += expected.length;
      }
      matcher.dispose?.();
    }
    expect(found).toBeGreaterThan(2000);
  });

  it('never misses a pattern present when the text holds lone surrogates', () => {
    const patterns = ['a\ud800', '\ud800b', 'x', '\ufffd'];
    const matcher = factory.create(patterns, LIMITS);
    for (const text of ['a\ud800b', '\ud800', 'zz\udc00x', '\ufffd']) {
      const reported = present(matcher, text);
      for (const id of naive(patterns, text)) expect(reported).toContain(id);
    }
  });

  it('scans a 1 MB text, and refuses patterns past its limits', () => {
    const matcher = factory.create(['needle', 'aaab'], LIMITS);
    expect(present(matcher, `${'a'.repeat(1_000_000)}b needle`)).toEqual([0, 1]);
    expect(() => factory.create(['abc', 'def'], { maxPatterns: 1, maxPatternUnits: 100 })).toThrow(AutomatonTooLarge);
  });

  it('gives the prefilter the same candidates as the JavaScript automaton', () => {
    const next = rng(8);
    const access = fieldAccess(['cmd']);
    const words = ['powershell', ' -enc ', 'certutil', 'urlcache', '\\temp\\', 'é', 'mimikatz', 'sekurlsa::', '.exe'];
    type Item = { order: number };
    const js = new LiteralPrefilter<Item>();
    const wasm = new LiteralPrefilter<Item>(undefined, factory);
    for (let order = 0; order < 200; order++) {
      const clauses = Array.from({ length: 1 + Math.floor(next() * 3) }, () => Array.from({ length: 1 + Math.floor(next() * 3) }, () => ({ access, literal: words[Math.floor(next() * words.length)] })));
      js.add({ order }, clauses);
      wasm.add({ order }, clauses);
    }
    let total = 0;
    for (let i = 0; i < 300; i++) {
      const event = { cmd: Array.from({ length: 4 }, () => words[Math.floor(next() * words.length)].toUpperCase()).join(' x ') };
      const a = js.candidates(event).map((x) => x.order);
      const b = wasm.candidates(event).map((x) => x.order);
      expect(b).toEqual(a);
      total += a.length;
    }
    expect(total).toBeGreaterThan(300);
    wasm.dispose();
  });
});
