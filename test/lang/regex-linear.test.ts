/**
 * The linear-time check against its oracle: time. Every pattern the check lets run on the built-in
 * engine must match adversarial inputs of 10k, 20k and 40k characters in time that grows about
 * linearly (a ratio of 4 from 10k to 40k; quadratic would be 16). A control shows the measurement
 * catches a quadratic pattern. The same inputs run on re2js (its DFA, as `test` uses it) for the
 * patterns the check refuses, at larger sizes (re2js changes algorithm between 10k and 40k).
 */
import { describe, expect, it } from 'vitest';
import { LinearRegExp, regexPlan } from '../../src/lang/host-regex.js';
import { rng } from '../wasm/build-wasm.js';

/** ms per `re.test(input)`, the best of several trials of enough calls to take a few ms. */
function timePerCall(re: RegExp, input: string): number {
  let best = Infinity;
  let calls = 1;
  for (let trial = 0; trial < 5; trial++) {
    const started = performance.now();
    for (let i = 0; i < calls; i++) {
      re.lastIndex = 0;
      re.test(input);
    }
    const elapsed = performance.now() - started;
    best = Math.min(best, elapsed / calls);
    if (elapsed < 2 && calls < 1 << 12) calls *= 4;
  }
  return best;
}

/** Growth from the smallest to the largest size, or undefined when even the largest is too fast to tell. */
function growth(re: RegExp, pump: string, suffix: string, sizes: number[]): { ratio: number; ms: number } | undefined {
  const make = (n: number) => pump.repeat(Math.ceil(n / pump.length)).slice(0, n) + suffix;
  const small = timePerCall(re, make(sizes[0]!));
  const large = timePerCall(re, make(sizes[sizes.length - 1]!));
  // Below 2 ms at 40k characters nothing quadratic is going on (40k² steps take far longer).
  if (large < 2) return undefined;
  return { ratio: large / Math.max(small, 1e-3), ms: large };
}

/**
 * The growth, measured again (up to 3 times) while it reads over MAX_RATIO: a busy machine (other
 * test files on both cores) stretched one small-size trial into a ratio of 8.03 for a linear
 * pattern. The least of the readings counts; a quadratic pattern reads about 16 every time (the
 * control below goes through here too).
 */
function settledGrowth(re: RegExp, pump: string, suffix: string, sizes: number[]): { ratio: number; ms: number } | undefined {
  let best: { ratio: number; ms: number } | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const g = growth(re, pump, suffix, sizes);
    if (!g) return undefined;
    if (!best || g.ratio < best.ratio) best = g;
    if (best.ratio < MAX_RATIO) break;
  }
  return best;
}

const SIZES = [10_000, 20_000, 40_000];
/** re2js switches from a backtracker to its NFA between 10k and 40k characters (on a pattern's size): measure within the NFA's range. */
const RE2_SIZES = [40_000, 80_000, 160_000];
/** Linear: 4. Quadratic: 16. */
const MAX_RATIO = 8;

/** Inputs that make backtracking engines work: runs of the pattern's own characters, then a character that fails. */
function pumps(pattern: string): string[] {
  const chars = [...new Set(pattern.replace(/\\[dws]/gi, '').replace(/[\\()[\]{}|*+?^$.:=!<>,-]/g, ''))].slice(0, 6);
  const base = ['a', '0', ' ', 'ab', 'a0 ', 'x'];
  const out = new Set<string>([...chars, ...base]);
  for (const a of chars) for (const b of chars) out.add(a + b);
  const literal = pattern.replace(/[\\()[\]{}|*+?^$]/g, '');
  if (literal) out.add(literal);
  return [...out].slice(0, 8);
}

const SUFFIXES = ['!', '\n'];

const CLASSIC = [
  '(a+)+', '(a|a)*', '(a|ab)*c', '(\\w+\\s?)*$', '(.*a){20}', '(x+x+)+y', '(a*)*b', '^(a+)+$', '(\\d+)*\\.', '\\s+$',
  '^\\s+|\\s+$', '[a-z]+@[a-z]+\\.com', '\\d+\\.\\d+', '([A-Za-z]+) V[0-9]*', '(\\w|\\d)+!', '(a|b|ab)*c', 'a*a*a*a*b',
  '(?:a|a?)+b', '([^ ]|a)+!', '(.+)+x', '(\\w+)\\s(\\w+)+x', 'a(b|c+)+d',
];
const BENIGN = [
  '^admin$', 'fail(ed|ure)', '^\\d+\\.\\d+$', '\\s+', '(ab)+', 'x{2,5}', '(?:foo|bar)', 'foo(?!bar)', '^[a-z]+$',
  '^([A-Za-z]+) V[0-9]*$', 'ab[^a]*c', 'a[^a]*a', '\\bfoo\\b', '^(?:\\d{1,3}\\.){3}\\d{1,3}$', 'error|warn|fatal',
  '[0-9a-f]{32}', '^/api/v[12]/', 'cmd\\.exe', '(?<=user=)\\w', 'a+', '\\d+',
];

describe('the check of linearity on the built-in engine, against measured time', () => {
  it('the measurement catches a quadratic pattern (the oracle can fail)', () => {
    const measured = settledGrowth(new RegExp('\\s+$'), ' ', 'x', [5_000, 10_000, 20_000])!;
    expect(measured.ratio).toBeGreaterThan(MAX_RATIO);
    expect(regexPlan('\\s+$', '').engine).toBe('re2js');
  });

  it.each([...CLASSIC, ...BENIGN])('%s: built-in only when linear there, re2js linear otherwise', (pattern) => {
    const plan = regexPlan(pattern, '');
    expect(plan.engine).not.toBe('none');
    const re = plan.engine === 'builtin' ? new RegExp(pattern) : new LinearRegExp(pattern, '', { shortInputs: false });
    for (const pump of pumps(pattern)) {
      for (const suffix of SUFFIXES) {
        // The built-in engine on an exponential pattern would not finish: only time the engine chosen.
        const g = settledGrowth(re, pump, suffix, plan.engine === 'builtin' ? SIZES : RE2_SIZES);
        if (g) expect(g.ratio, `${plan.engine} /${pattern}/ on ${JSON.stringify(pump)}… + ${JSON.stringify(suffix)}: ${g.ms.toFixed(1)} ms`).toBeLessThan(MAX_RATIO);
      }
    }
  }, 120_000);

  it('every classic catastrophic shape is kept off the built-in engine', () => {
    expect(CLASSIC.filter((p) => regexPlan(p, '').engine === 'builtin')).toEqual([]);
  });

  it('random patterns the check accepts are linear on the built-in engine', () => {
    const next = rng(2026);
    const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)]!;
    const atom = (depth: number): string => {
      const r = next();
      if (depth > 0 && r < 0.25) return `(${pattern(depth - 1)})`;
      if (depth > 0 && r < 0.35) return `(?:${pattern(depth - 1)}|${pattern(depth - 1)})`;
      return pick(['a', 'b', '[ab]', '[^a]', '.', 'ab', '\\w', '\\s', ' ']);
    };
    const quantified = (depth: number): string => atom(depth) + pick(['', '', '', '*', '+', '?', '{1,3}', '*?', '+?', '{2,}']);
    const pattern = (depth: number): string => Array.from({ length: 1 + Math.floor(next() * 3) }, () => quantified(depth)).join('');
    let accepted = 0;
    for (let i = 0; i < 400 && accepted < 60; i++) {
      const p = pick(['', '', '^']) + pattern(2) + pick(['', '', '$']);
      let ok = false;
      try {
        new RegExp(p);
        ok = regexPlan(p, '').engine === 'builtin';
      } catch {
        continue;
      }
      if (!ok) continue;
      accepted++;
      const re = new RegExp(p);
      for (const pump of ['a', 'b', 'ab', ' a', 'aab']) {
        for (const suffix of ['!', '']) {
          const g = growth(re, pump, suffix, [5_000, 20_000]);
          if (g) expect(g.ratio, `/${p}/ on ${JSON.stringify(pump)}… + ${JSON.stringify(suffix)}`).toBeLessThan(MAX_RATIO);
        }
      }
    }
    expect(accepted).toBeGreaterThan(20);
  }, 120_000);
});
