/**
 * The one sliding per-second window (src/engine/rate-meter.ts) behind the engine's events per
 * second, the web app's alerts per second, the debugger's transition rates and the top sources.
 * The oracle: a list of (time, key, n) summed over the window by hand.
 */
import { describe, expect, it } from 'vitest';
import { RateMeter, SlidingCounts } from '../../src/engine/rate-meter.js';

/** Sum of the adds whose second is in (now − seconds, last], last = now or now − 1. */
function naiveSum(adds: { t: number; key: string; n: number }[], now: number, seconds: number, key: string, completed = false): number {
  const s = Math.floor(now / 1000);
  const last = completed ? s - 1 : s;
  return adds.filter((a) => a.key === key && Math.floor(a.t / 1000) > s - seconds && Math.floor(a.t / 1000) <= last).reduce((x, a) => x + a.n, 0);
}

describe('SlidingCounts', () => {
  it('sums per key over the last seconds, with and without the current one, like a recount', () => {
    let now = 5_000_000;
    const counts = new SlidingCounts<string>(() => now, 10);
    const adds: { t: number; key: string; n: number }[] = [];
    let x = 7;
    const rand = () => (x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 2000; i++) {
      now += Math.floor(rand() * 400) + (rand() < 0.02 ? 15_000 : 0);
      const key = rand() < 0.5 ? 'a' : 'b';
      const n = 1 + Math.floor(rand() * 3);
      counts.add(key, n);
      adds.push({ t: now, key, n });
      if (i % 37 === 0) {
        for (const k of ['a', 'b']) {
          expect(counts.count(k)).toBe(naiveSum(adds, now, 10, k));
          expect(counts.count(k, { completed: true })).toBe(naiveSum(adds, now, 10, k, true));
          expect(counts.perSecond(k)).toBeCloseTo(naiveSum(adds, now, 10, k) / 10);
        }
        expect(Object.fromEntries(counts.totals())).toEqual(
          Object.fromEntries(['a', 'b'].map((k) => [k, naiveSum(adds, now, 10, k)]).filter(([, n]) => n)),
        );
      }
    }
  });

  it('counts into the newest second when the clock goes back, and forgets everything after a long pause', () => {
    let now = 100_500;
    const counts = new SlidingCounts<string>(() => now, 3);
    counts.add('x');
    now = 90_000;
    counts.add('x', 2);
    expect(counts.count('x')).toBe(3);
    now = 200_000;
    expect(counts.count('x')).toBe(0);
    expect(counts.totals().size).toBe(0);
  });
});

describe('RateMeter (the engine’s events per second)', () => {
  it('averages the completed seconds of a 5 s window, the current second left out', () => {
    let now = 10_000;
    const meter = new RateMeter(() => now);
    meter.add(40); // second 10
    now = 11_200;
    meter.add(8); // second 11 (current)
    expect(meter.perSecond()).toBe(40 / 4);
    now = 12_000;
    expect(meter.perSecond()).toBe(48 / 4);
    now = 15_000; // second 10 falls out (window: 11..14 completed)
    expect(meter.perSecond()).toBe(8 / 4);
    now = 60_000;
    expect(meter.perSecond()).toBe(0);
  });
});
