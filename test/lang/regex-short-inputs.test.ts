/**
 * A pattern that is not linear on the built-in engine, but only polynomial, still matches short
 * inputs there (the thesis workload's `([A-Za-z]+) V[0-9]*` on a tag of ten characters): its work on
 * an input of length n is at most about n^(quantifiers + 1) steps, so under shortInputLimit it is
 * bounded. Oracle: the built-in engine's time on the worst inputs we know at that length, and 0 for
 * every exponential shape.
 */
import { describe, expect, it } from 'vitest';
import { LinearRegExp, shortInputLimit } from '../../src/lang/regex-re2.js';

const time = (f: () => void) => {
  const t = performance.now();
  f();
  return performance.now() - t;
};

describe('shortInputLimit', () => {
  it.each([
    ['([A-Za-z]+) V[0-9]*', (n: number) => 'a'.repeat(n)],
    ['a*a*a*a*a*a*b', (n: number) => 'a'.repeat(n)],
    ['\\s*\\s*\\s*$x', (n: number) => ' '.repeat(n)],
    ['(?:a|b)c*d*e', (n: number) => 'a'.repeat(n)],
    ['x+y+z+w', (n: number) => 'xyz'.repeat(n / 3)],
  ])('%s: the built-in engine on the worst input of the limit length ends within 50 ms', (pattern, worst) => {
    const limit = shortInputLimit(pattern);
    expect(limit).toBeGreaterThan(0);
    const re = new RegExp(pattern);
    re.test(worst(limit)); // warm up
    expect(time(() => re.test(worst(limit)))).toBeLessThan(50);
  });

  it.each(['(x+x+)+y', '(a|aa)+$', '^(a+)+$', '(\\w+\\s?)*$', '(.*a){12}$', '(a|a)*b', '(a+)\\1'])('%s: exponential or back-referencing: never on the built-in engine', (pattern) => {
    expect(shortInputLimit(pattern)).toBe(0);
  });

  it('LinearRegExp answers as RegExp on short inputs and stays linear on long ones', () => {
    const re = new LinearRegExp('([A-Za-z]+) V[0-9]*');
    for (const s of ['ABC V12', 'abc', 'x V', '']) expect(re.test(s)).toBe(/([A-Za-z]+) V[0-9]*/.test(s));
    const long = 'a'.repeat(40_000);
    expect(time(() => re.test(long))).toBeLessThan(500);
  });
});
