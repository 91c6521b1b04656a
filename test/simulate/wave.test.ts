import { describe, expect, it } from 'vitest';
import { createGenerator, DEFAULT_START_TIME, WAVE_SHAPES } from '../../src/simulate/index.js';
import { sin2pi } from '../../src/simulate/wave.js';
import { groupBy, time } from './helpers.js';

describe('wave generator', () => {
  it.each(WAVE_SHAPES)('%s: each cycle’s sum of value is exactly expectedCycleSum(cycle)', (shape) => {
    const g = createGenerator('wave', { seed: 1, shape, rate: 50, period: 10_000 });
    expect(g.samplesInCycle(0)).toBe(500);
    const events = g.take(500 * 12);
    const byCycle = groupBy(events, (s) => String(s.event.cycle));
    expect(byCycle.size).toBe(12);
    const sums = new Set<number>();
    for (const [cycle, list] of byCycle) {
      const c = Number(cycle);
      expect(list.length).toBe(g.samplesInCycle(c));
      const sum = list.reduce((acc, s) => acc + (s.event.value as number), 0);
      expect(sum).toBe(g.expectedCycleSum(c));
      sums.add(sum);
      for (const s of list) {
        expect(Number.isInteger(s.event.value)).toBe(true);
        expect(s.event.shape).toBe(shape);
        // cycle c is exactly the tumbling window [start + c·period, start + (c+1)·period)
        expect(time(s)).toBeGreaterThanOrEqual(g.cycleStart(c));
        expect(time(s)).toBeLessThan(g.cycleStart(c) + 10_000);
      }
    }
    expect(sums.size).toBeGreaterThan(1); // peaks differ per cycle
  });

  it('cycles align with epoch windows from the default start', () => {
    const g = createGenerator('wave', { seed: 2 });
    expect(g.cycleStart(0)).toBe(DEFAULT_START_TIME);
    expect(g.cycleStart(3) % 60_000).toBe(0);
    expect(g.samplesInCycle(0)).toBe(6000);
  });

  it('expectedCycleSum of a future cycle is what the cycle then holds, and a rate change applies from the next unfixed cycle', () => {
    const g = createGenerator('wave', { seed: 3, rate: 10, period: 1000 });
    const early = g.expectedCycleSum(2);
    g.take(5);
    g.rate = 20;
    const events = g.take(10 + 10 + 5 + 20);
    const sumOf = (c: number) => events.filter((s) => s.event.cycle === c).reduce((a, s) => a + (s.event.value as number), 0);
    expect(sumOf(2)).toBe(early);
    expect(g.samplesInCycle(2)).toBe(10);
    expect(g.samplesInCycle(3)).toBe(20);
    expect(sumOf(3)).toBe(g.expectedCycleSum(3));
  });

  it('sin2pi agrees with Math.sin', () => {
    for (let i = 0; i <= 1000; i++) expect(Math.abs(sin2pi(i / 1000) - Math.sin((2 * Math.PI * i) / 1000))).toBeLessThan(1e-12);
  });
});
