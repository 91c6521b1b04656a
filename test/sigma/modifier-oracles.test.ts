/**
 * Modifiers against naive oracles on random inputs: each oracle is the plain JavaScript reading of
 * the appendix's sentence (RegExp for `re`, comparison operators for `lt`…, Date's UTC getters for
 * the time modifiers, Buffer for utf16, explicit products for `expand`), never the code under test.
 */
import { describe, expect, it } from 'vitest';
import { fieldMatcher, rng } from './helpers.js';

const random = rng(2024);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const text = (alphabet: string, max: number) => Array.from({ length: Math.floor(random() * (max + 1)) }, () => pick([...alphabet])).join('');

describe('modifiers against naive oracles', () => {
  it('re (with i, m, s) agrees with the built-in RegExp on simple patterns', () => {
    const atoms = ['a', 'b', '.', '[ab]', '(a|b)', 'a*', 'b+', 'a?', '^', '$', '\\n'];
    for (let i = 0; i < 150; i++) {
      const pattern = Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(atoms)).join('');
      const flags = [...'ims'].filter(() => random() < 0.3).join('');
      const key = `F|re${[...flags].map((f) => `|${f}`).join('')}`;
      const m = fieldMatcher(key, pattern);
      for (let k = 0; k < 8; k++) {
        const t = text('aAbB\n', 6);
        expect(m({ F: t }), `/${pattern}/${flags} on ${JSON.stringify(t)}`).toBe(new RegExp(pattern, flags).test(t));
      }
    }
  });

  it('lt, lte, gt, gte agree with the comparison operators', () => {
    const ops: Record<string, (a: number, b: number) => boolean> = { lt: (a, b) => a < b, lte: (a, b) => a <= b, gt: (a, b) => a > b, gte: (a, b) => a >= b };
    for (let i = 0; i < 200; i++) {
      const op = pick(Object.keys(ops));
      const bound = Math.floor(random() * 20) - 10;
      const value = Math.floor(random() * 20) - 10 + (random() < 0.2 ? 0.5 : 0);
      const asText = random() < 0.5;
      expect(fieldMatcher(`N|${op}`, bound)({ N: asText ? String(value) : value })).toBe(ops[op](value, bound));
    }
  });

  it('cased agrees with === and includes; the default with their lower-cased forms', () => {
    for (let i = 0; i < 200; i++) {
      const v = text('aAbB', 3) || 'a';
      const t = text('aAbB', 6);
      expect(fieldMatcher('F|cased', v)({ F: t })).toBe(t === v);
      expect(fieldMatcher('F|contains|cased', v)({ F: t })).toBe(t.includes(v));
      expect(fieldMatcher('F', v)({ F: t })).toBe(t.toLowerCase() === v.toLowerCase());
    }
  });

  it('all agrees with every(), plain lists with some(), neq with !some()', () => {
    for (let i = 0; i < 200; i++) {
      const values = Array.from({ length: 2 + Math.floor(random() * 2) }, () => text('ab', 2) || 'a');
      const t = text('ab', 8);
      expect(fieldMatcher('F|contains|all', values)({ F: t })).toBe(values.every((v) => t.includes(v)));
      expect(fieldMatcher('F|contains', values)({ F: t })).toBe(values.some((v) => t.includes(v)));
      expect(fieldMatcher('F|neq', values)({ F: t })).toBe(!values.some((v) => v === t));
    }
  });

  it('exists agrees with own-property presence', () => {
    for (let i = 0; i < 50; i++) {
      const event: Record<string, unknown> = {};
      if (random() < 0.5) event.F = pick(['', null, 0, 'x', false]);
      const want = Object.prototype.hasOwnProperty.call(event, 'F') && event.F !== undefined;
      expect(fieldMatcher('F|exists', true)(event)).toBe(want);
      expect(fieldMatcher('F|exists', false)(event)).toBe(!want);
    }
  });

  it('fieldref agrees with comparing the two fields lower-cased', () => {
    for (let i = 0; i < 200; i++) {
      const a = text('aAb', 3);
      const b = text('aAb', 3);
      const la = a.toLowerCase();
      const lb = b.toLowerCase();
      expect(fieldMatcher('A|fieldref', 'B')({ A: a, B: b })).toBe(la === lb);
      expect(fieldMatcher('A|fieldref|endswith', 'B')({ A: a, B: b })).toBe(la.endsWith(lb));
      expect(fieldMatcher('A|fieldref|contains', 'B')({ A: a, B: b })).toBe(la.includes(lb));
    }
  });

  it('utf16le and utf16be agree with Buffer (big endian by swapping the little-endian bytes)', () => {
    for (let i = 0; i < 100; i++) {
      const v = text('abcé€', 4) || 'a';
      const le = Buffer.from(v, 'utf16le');
      const be = Buffer.from(le).swap16();
      expect(fieldMatcher('F|utf16le|contains', v)({ F: `xx${le.toString('latin1')}yy` })).toBe(true);
      expect(fieldMatcher('F|utf16be', v)({ F: be.toString('latin1') })).toBe(true);
      expect(fieldMatcher('F|utf16le|base64', v)({ F: le.toString('base64') })).toBe(true);
      expect(fieldMatcher('F|utf16be', v)({ F: le.toString('latin1') })).toBe(le.equals(be));
    }
  });

  it('time modifiers agree with Date UTC getters', () => {
    for (let i = 0; i < 100; i++) {
      const ms = Date.UTC(2000, 0, 1) + Math.floor(random() * 30 * 365 * 86_400_000);
      const d = new Date(ms);
      const iso = d.toISOString();
      expect(fieldMatcher('T|minute', d.getUTCMinutes())({ T: iso })).toBe(true);
      expect(fieldMatcher('T|hour', d.getUTCHours())({ T: iso })).toBe(true);
      expect(fieldMatcher('T|day', d.getUTCDate())({ T: iso })).toBe(true);
      expect(fieldMatcher('T|month', d.getUTCMonth() + 1)({ T: iso })).toBe(true);
      expect(fieldMatcher('T|year', d.getUTCFullYear())({ T: ms })).toBe(true);
      expect(fieldMatcher('T|hour', (d.getUTCHours() + 1) % 24)({ T: iso })).toBe(false);
    }
  });

  it('expand agrees with the explicit product of the placeholder values', () => {
    for (let i = 0; i < 50; i++) {
      const xs = Array.from({ length: 1 + Math.floor(random() * 3) }, () => text('ab', 2) || 'a');
      const ys = Array.from({ length: 1 + Math.floor(random() * 3) }, () => text('cd', 2) || 'c');
      const m = fieldMatcher('F|expand', '%X%-%Y%', { placeholders: { X: xs, Y: ys } });
      const t = `${text('ab', 2)}-${text('cd', 2)}`;
      expect(m({ F: t })).toBe(xs.some((x) => ys.some((y) => `${x}-${y}` === t)));
    }
  });
});
