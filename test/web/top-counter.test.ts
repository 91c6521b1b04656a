/** The dashboard's top-N counter against a recount of the same events (naive model). */
import { describe, expect, it } from 'vitest';
import { TopCounter } from '../../web/worker/top-sources.js';

/** The naive model: count every value of the window, sort everything, take n. */
function recount(batches: { at: number; values: string[] }[], now: number, windowSeconds: number, n: number) {
  const counts = new Map<string, number>();
  const newest = Math.floor(now / 1000);
  for (const b of batches) {
    if (Math.floor(b.at / 1000) <= newest - windowSeconds) continue;
    for (const v of b.values) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return [...counts]
    .map(([address, count]) => ({ address, count }))
    .sort((x, y) => y.count - x.count || (x.address < y.address ? -1 : 1))
    .slice(0, n);
}

describe('TopCounter', () => {
  it('gives the recount’s top-N over a sliding window, refreshed once per clock second', () => {
    let now = 0;
    const counter = new TopCounter((e) => (e as { v?: string }).v, 10, () => now);
    const batches: { at: number; values: string[] }[] = [];
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let step = 0; step < 400; step++) {
      now += Math.floor(random() * 300);
      // A skewed distribution: a few heavy values and a long tail.
      const values = Array.from({ length: 50 }, () => `v${Math.floor(random() ** 3 * 200)}`);
      counter.add(values.map((v) => ({ v })));
      batches.push({ at: now, values });
      if (step % 7 === 0) {
        now += 1000; // a new second: the cache must not serve the old figure
        expect(counter.top(5)).toEqual(recount(batches, now, 10, 5));
      }
    }
    expect(counter.untracked).toBe(0);
  });

  it('counts no more than its cap of distinct values per second, and says how many it left out', () => {
    const now = 5000;
    const counter = new TopCounter((e) => e as string, 60, () => now, 3);
    counter.add(['a', 'b', 'c', 'd', 'a', 'e', 'd']);
    expect(counter.top(10)).toEqual([
      { address: 'a', count: 2 },
      { address: 'b', count: 1 },
      { address: 'c', count: 1 },
    ]);
    expect(counter.untracked).toBe(3);
    expect(counter.top(0)).toEqual([]);
  });
});
