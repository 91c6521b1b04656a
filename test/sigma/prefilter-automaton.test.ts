/**
 * The Aho–Corasick automaton of the Sigma prefilter against the naive oracle: a pattern is present
 * exactly when `text.indexOf(pattern) >= 0`. Random pattern sets with overlaps, shared prefixes,
 * suffixes of one another, repeats, non-ASCII and astral characters and the empty pattern; texts
 * built from the patterns' own pieces so that most patterns occur, some partly.
 */
import { describe, expect, it } from 'vitest';
import { AhoCorasick, AutomatonTooLarge } from '../../src/sigma/prefilter-automaton.js';
import { rng } from './helpers.js';

function naive(patterns: readonly string[], text: string): number[] {
  const out: number[] = [];
  patterns.forEach((p, i) => {
    if (text.indexOf(p) >= 0) out.push(i);
  });
  return out;
}

const ALPHABETS = ['ab', 'abc', 'abcdefgh', 'a\\:. -/', 'aéß\u0130\u03a3\u03c2😀\ud800', 'abcdefghijklmnopqrstuvwxyz0123456789\\:.-_ '];

function randomString(next: () => number, alphabet: string, maxLength: number): string {
  const units = [...alphabet];
  const length = Math.floor(next() * (maxLength + 1));
  let s = '';
  for (let i = 0; i < length; i++) s += units[Math.floor(next() * units.length)];
  return s;
}

describe('Aho–Corasick automaton (prefilter-automaton.ts)', () => {
  it('reports exactly the patterns indexOf finds, over random pattern sets and texts', () => {
    const next = rng(14);
    let compared = 0;
    let present = 0;
    for (let round = 0; round < 400; round++) {
      const alphabet = ALPHABETS[round % ALPHABETS.length];
      const patterns: string[] = [];
      const count = 1 + Math.floor(next() * 40);
      for (let i = 0; i < count; i++) {
        const r = next();
        if (r < 0.15 && patterns.length) patterns.push(patterns[Math.floor(next() * patterns.length)] + randomString(next, alphabet, 3)); // shared prefix
        else if (r < 0.25 && patterns.length) patterns.push(randomString(next, alphabet, 3) + patterns[Math.floor(next() * patterns.length)]); // one ends another
        else if (r < 0.3 && patterns.length) patterns.push(patterns[Math.floor(next() * patterns.length)]); // repeated
        else if (r < 0.33) patterns.push('');
        else patterns.push(randomString(next, alphabet, 8) || 'a');
      }
      const automaton = new AhoCorasick(patterns);
      for (let t = 0; t < 10; t++) {
        // Texts of random units and of the patterns' own pieces.
        let text = '';
        const parts = Math.floor(next() * 6);
        for (let k = 0; k < parts; k++) {
          const p = patterns[Math.floor(next() * patterns.length)];
          text += next() < 0.7 ? p : p.slice(0, Math.floor(next() * p.length));
          text += randomString(next, alphabet, 4);
        }
        const expected = naive(patterns, text);
        expect(automaton.present(text), `patterns ${JSON.stringify(patterns)} text ${JSON.stringify(text)}`).toEqual(expected);
        compared++;
        present += expected.length;
      }
    }
    expect(compared).toBe(4000);
    // The generator must actually make patterns occur, or the comparison proves little.
    expect(present).toBeGreaterThan(compared * 3);
  });

  it('agrees with indexOf when the automaton is large (sparse deep states) and texts are long', () => {
    const next = rng(7);
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789\\:.-_ éü';
    const patterns = Array.from({ length: 3000 }, () => randomString(next, alphabet, 20) || 'x');
    const automaton = new AhoCorasick(patterns);
    // Larger than the dense budget: the sparse part is exercised.
    expect(automaton.denseCount).toBeLessThan(automaton.stateCount);
    for (let t = 0; t < 30; t++) {
      let text = '';
      while (text.length < 5000) text += next() < 0.3 ? patterns[Math.floor(next() * patterns.length)] : randomString(next, alphabet, 30);
      expect(automaton.present(text)).toEqual(naive(patterns, text));
    }
  });

  it('agrees with indexOf when most characters share the rare class (more distinct characters than own classes)', () => {
    const next = rng(21);
    // 400 distinct units (ASCII, Latin, Cyrillic, CJK), and dense rows with only 1 to 8 own classes.
    const alphabet = Array.from({ length: 400 }, (_, i) => String.fromCharCode(i < 90 ? 33 + i : i < 200 ? 0x400 + i : 0x4e00 + i));
    for (let round = 0; round < 60; round++) {
      const small = alphabet.slice(0, 3 + Math.floor(next() * 400));
      const patterns = Array.from({ length: 1 + Math.floor(next() * 200) }, () => randomString(next, small.join(''), 6) || small[0]);
      const automaton = new AhoCorasick(patterns, undefined, 1 + (round % 8));
      for (let t = 0; t < 10; t++) {
        let text = '';
        for (let k = Math.floor(next() * 8); k > 0; k--) text += (next() < 0.6 ? patterns[Math.floor(next() * patterns.length)] : '') + randomString(next, small.join(''), 5);
        expect(automaton.present(text)).toEqual(naive(patterns, text));
      }
    }
    // The corpus-like default: 126 own classes.
    const patterns = Array.from({ length: 2000 }, () => randomString(next, alphabet.join(''), 12) || 'x');
    const automaton = new AhoCorasick(patterns);
    for (let t = 0; t < 20; t++) {
      let text = '';
      while (text.length < 3000) text += next() < 0.3 ? patterns[Math.floor(next() * patterns.length)] : randomString(next, alphabet.join(''), 20);
      expect(automaton.present(text)).toEqual(naive(patterns, text));
    }
  });

  it('reports each present pattern once per scan, however often it occurs', () => {
    const automaton = new AhoCorasick(['\\', 'a\\', '\\b']);
    const seen: number[] = [];
    automaton.scan('a\\b\\'.repeat(1000), (id) => seen.push(id));
    expect(seen.sort()).toEqual([0, 1, 2]);
    // And again for the next scan.
    const again: number[] = [];
    automaton.scan('x\\', (id) => again.push(id));
    expect(again).toEqual([0]);
  });

  it('refuses more patterns or pattern code units than its limits', () => {
    expect(() => new AhoCorasick(['a', 'b', 'c'], { maxPatterns: 2, maxPatternUnits: 100 })).toThrow(AutomatonTooLarge);
    expect(() => new AhoCorasick(['abcdef', 'ghijkl'], { maxPatterns: 10, maxPatternUnits: 11 })).toThrow(/12 code units of patterns, more than the limit of 11/);
    expect(new AhoCorasick(['abcdef', 'ghijk'], { maxPatterns: 10, maxPatternUnits: 11 }).patternCount).toBe(2);
  });

  it('scans a 1 MB text in time linear in its length (no pattern makes it quadratic)', () => {
    // Patterns that keep the automaton deep and send it along long failure chains.
    const patterns = Array.from({ length: 200 }, (_, i) => `${'a'.repeat(i + 1)}b`);
    const automaton = new AhoCorasick(patterns);
    const timeOf = (length: number) => {
      const text = 'a'.repeat(length);
      const start = performance.now();
      for (let r = 0; r < 3; r++) automaton.scan(text, () => {});
      return performance.now() - start;
    };
    timeOf(100_000);
    const small = Math.max(timeOf(125_000), 1);
    const large = timeOf(1_000_000);
    // 8× the text: linear is ~8×; quadratic would be 64×. Generous for a loaded machine.
    expect(large / small).toBeLessThan(30);
    expect(automaton.present(`${'a'.repeat(1_000_000)}b`)).toEqual(patterns.map((_, i) => i));
  });
});
