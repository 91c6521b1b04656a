/**
 * re2js in JavaScript's place: for benign inputs (where the built-in engine is quick), a
 * LinearRegExp must give what RegExp gives — exec results (match, groups, index, named groups),
 * test with lastIndex under g and y, match, replace, split — except for the differences
 * regex-re2.ts documents (groups inside repetitions, astral characters without u, case folding).
 */
import { describe, expect, it } from 'vitest';
import { hostRegExp, LinearRegExp, regexPlan } from '../../src/lang/host-regex.js';
import { re2Problem, shortInputLimit } from '../../src/lang/regex-re2.js';
import { parseRegex, type RegexNode } from '../../src/lang/regex-syntax.js';
import { rng } from '../wasm/build-wasm.js';

function outcomes(re: RegExp, inputs: string[], groupsInRepeat: boolean): unknown[] {
  const out: unknown[] = [];
  for (const s of inputs) {
    re.lastIndex = 0;
    const m = re.exec(s);
    out.push(m && (groupsInRepeat ? [m[0], m.index] : [[...m], m.index, m.groups ? { ...m.groups } : undefined]));
    re.lastIndex = 0;
    const tests = [re.test(s), re.lastIndex, re.test(s), re.lastIndex, re.test(s), re.lastIndex];
    out.push(tests);
    re.lastIndex = 0;
    const all = s.match(re);
    out.push(all && (re.global || !groupsInRepeat ? [...all] : all[0]));
    re.lastIndex = 0;
    if (!groupsInRepeat) {
      out.push(s.replace(re, '<$&|$1>'));
      re.lastIndex = 0;
      out.push(s.split(re));
      out.push(s.split(re, 2));
    }
  }
  return out;
}

/** Whether a capture group sits inside a repetition (the documented difference). */
function groupInRepeat(pattern: string): boolean {
  // Conservative: any capture group followed later by a quantifier after a closing parenthesis.
  return /\((?!\?)/.test(pattern) && /\)[*+?{]/.test(pattern);
}

/** A repetition whose body can match empty: where JavaScript's empty-iteration rule and RE2 differ (documented). */
function emptyLoop(pattern: string, flags: string): boolean {
  const nullable = (n: RegexNode): boolean => {
    switch (n.type) {
      case 'set':
      case 'backref':
        return n.type === 'backref';
      case 'seq':
        return n.items.every(nullable);
      case 'alt':
        return n.alts.some(nullable);
      case 'group':
        return nullable(n.body);
      case 'repeat':
        return n.min === 0 || nullable(n.body);
      default:
        return true;
    }
  };
  const walk = (n: RegexNode): boolean => {
    switch (n.type) {
      case 'seq':
        return n.items.some(walk);
      case 'alt':
        return n.alts.some(walk);
      case 'group':
      case 'look':
        return walk(n.body);
      case 'repeat':
        return (n.max > n.min && nullable(n.body)) || walk(n.body);
      default:
        return false;
    }
  };
  return walk(parseRegex(pattern, flags).root);
}

/** A generator of random patterns over a few characters, quantified with `quantifiers`. */
function randomPattern(next: () => number, quantifiers: string[]): (depth: number) => string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)]!;
  const atom = (depth: number): string => {
    const r = next();
    if (depth > 0 && r < 0.2) return `(${pattern(depth - 1)})`;
    if (depth > 0 && r < 0.35) return `(?:${pattern(depth - 1)}|${pattern(depth - 1)})`;
    return pick(['a', 'b', 'c', '[ab]', '[^a]', '.', '\\w', '\\s', '\\d', '\\b', '^', '$', 'B']);
  };
  const pattern = (depth: number): string =>
    Array.from({ length: 1 + Math.floor(next() * 3) }, () => {
      const a = atom(depth);
      return a === '^' || a === '$' || a === '\\b' ? a : a + pick(quantifiers);
    }).join('');
  return pattern;
}

const PATTERNS: [string, string][] = [
  ['fail(ed|ure)', ''], ['^admin$', 'i'], ['(\\w+)-(?<n>\\d+)', 'g'], ['\\s+', 'g'], ['a|ab', 'g'], ['(a|ab)(c|bcd)(d*)', ''],
  ['\\bfoo\\b', 'g'], ['^\\d+$', 'm'], ['.+', 's'], ['.+', ''], ['x*', 'g'], ['', 'g'], ['(?:)', 'y'], ['a', 'y'], ['a+?', 'g'],
  ['[^a-c]+', 'gi'], ['[A-Z]{2,3}', 'gi'], ['\\d{1,3}(?:\\.\\d{1,3}){3}', 'g'], ['(\\d+)\\.(\\d+)', ''], ['é+', 'gu'], ['[😀-😂]', 'gu'],
  ['\\S+@\\S+', ''], ['(?<user>[a-z]+)=(?<val>[^;]*)', 'g'], ['\\u0041|\\x42', 'g'], ['[\\s\\S]', 'g'], ['\\W+', 'g'], ['\\D\\d', 'g'],
  ['(x+x+)+y', ''], ['(a+)+$', ''], ['(\\w+\\s?)*$', ''],
];

const INPUTS = [
  '', 'a', 'ab', 'abc', 'abcd', 'failed', 'failure login', 'ADMIN', 'admin', 'x-1 yy-22 z-', 'foo bar foobar foo', '12\n345\nx',
  'line1\nline2', '  spaced  out  ', 'xxxxy', 'xxxxx', 'aaaa', 'aaa!', '10.0.0.1 and 192.168.1.1', 'user=ann;role=x;', 'AB ab Ab',
  'école é', '😀😁😂x', 'mail: a@b.c', 'ABC', '3.14', 'word, other: words!',
];

describe('re2js gives what RegExp gives on benign inputs', () => {
  it.each(PATTERNS)('/%s/%s', (pattern, flags) => {
    expect(re2Problem(pattern, flags)).toBeUndefined();
    const inRepeat = groupInRepeat(pattern);
    const inputs = flags.includes('u') ? INPUTS : INPUTS.filter((s) => !/[\u{10000}-\u{10FFFF}]/u.test(s));
    expect(outcomes(new LinearRegExp(pattern, flags, { shortInputs: false }), inputs, inRepeat)).toEqual(outcomes(new RegExp(pattern, flags), inputs, inRepeat));
  });

  it('agrees on random patterns and inputs', () => {
    const next = rng(8);
    const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)]!;
    const pattern = randomPattern(next, ['', '', '*', '+', '?', '{1,2}', '*?', '+?']);
    const word = () => Array.from({ length: Math.floor(next() * 10) }, () => pick(['a', 'b', 'c', ' ', '1', 'A', '\n'])).join('');
    let compared = 0;
    for (let i = 0; i < 400; i++) {
      const p = pattern(2);
      const flags = pick(['', 'g', 'i', 'gm', 'y', 's', 'gu']);
      try {
        new RegExp(p, flags);
      } catch {
        continue;
      }
      if (re2Problem(p, flags) !== undefined || emptyLoop(p, flags)) continue;
      const inputs = Array.from({ length: 12 }, word);
      const inRepeat = groupInRepeat(p);
      expect(outcomes(new LinearRegExp(p, flags, { shortInputs: false }), inputs, inRepeat), `/${p}/${flags}`).toEqual(outcomes(new RegExp(p, flags), inputs, inRepeat));
      compared++;
    }
    expect(compared).toBeGreaterThan(200);
  });

  it('agrees on random patterns with counted repeats that the cost limit lets through, on the engine it picks', () => {
    const next = rng(81);
    const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)]!;
    const pattern = randomPattern(next, ['', '', '*', '+', '?', '{3}', '{2,5}', '{0,4}', '{12}', '{5,30}', '{40,}', '{60}', '+?']);
    // Long enough for the counts to be reached (few characters, so that repeats do match), but only
    // as long as the built-in engine, the oracle, is sure to be quick on the pattern (shortInputLimit:
    // 8 characters for an exponential shape).
    const word = (max: number) => Array.from({ length: Math.floor(next() * max) }, () => pick(['a', 'b', 'c', ' ', 'a', 'b'])).join('');
    const engines = { builtin: 0, re2js: 0, none: 0 };
    for (let i = 0; i < 500; i++) {
      const p = pattern(2);
      const flags = pick(['', 'g', 'i', 'gm', 'y']);
      try {
        new RegExp(p, flags);
      } catch {
        continue;
      }
      const plan = regexPlan(p, flags);
      engines[plan.engine]++;
      if (plan.engine === 'none') {
        expect(plan.reason, `/${p}/${flags}`).toMatch(/too costly|may backtrack catastrophically/);
        continue;
      }
      if (emptyLoop(p, flags)) continue;
      const longest = Math.min(120, Math.max(8, shortInputLimit(p)));
      const inputs = Array.from({ length: 8 }, () => word(longest));
      const inRepeat = groupInRepeat(p);
      // The re2js side with every input on re2js (a short-input shortcut would hand them to RegExp).
      const re = plan.engine === 'builtin' ? hostRegExp(p, flags) : new LinearRegExp(p, flags, { shortInputs: false });
      expect(outcomes(re, inputs, inRepeat), `/${p}/${flags} on ${plan.engine}`).toEqual(outcomes(new RegExp(p, flags), inputs, inRepeat));
    }
    expect(engines.builtin).toBeGreaterThan(50);
    expect(engines.re2js).toBeGreaterThan(50);
    expect(engines.none).toBeGreaterThan(10);
  });

  it('refuses what it cannot translate, naming it', () => {
    expect(re2Problem('(a)\\1', '')).toMatch(/backreference/);
    expect(re2Problem('a(?=b)', '')).toMatch(/lookahead/);
    expect(re2Problem('(?<=a)b', '')).toMatch(/lookbehind/);
    expect(re2Problem('a{2000}', '')).toMatch(/1000/);
    // …which only matters when the built-in engine cannot take the pattern either.
    expect(regexPlan('a(?=b)', '').engine).toBe('builtin');
    expect(regexPlan('(?=(a+)+b)', '').engine).toBe('none');
  });
});
