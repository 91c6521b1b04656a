/**
 * The Node engine's CPU clock (minIncrementClock of process CPU and wall time): it must never run
 * faster than either clock, and must run at full speed when one thread alone is busy.
 */
import { describe, expect, test } from 'vitest';
import { Worker } from 'node:worker_threads';
import { minIncrementClock, processCpuMs, threadCpuEstimateMs } from '../../src/targets/node.js';

describe('minIncrementClock', () => {
  test('advances by the smaller increment of the two clocks at each reading (recounted here)', () => {
    // Scripted readings: [cpu, wall] per call, the first pair read when the clock is made.
    const readings: [number, number][] = [[0, 0], [5, 2], [6, 10], [20, 11], [20, 30], [19, 31]];
    let i = 0;
    let current = readings[0]!;
    const clock = minIncrementClock(() => current[0], () => current[1]);
    let expected = 0;
    for (i = 1; i < readings.length; i++) {
      const [pc, pw] = readings[i - 1]!;
      current = readings[i]!;
      expected += Math.max(0, Math.min(current[0] - pc, current[1] - pw));
      expect(clock()).toBe(expected);
    }
    // 2 + 1 + 1 + 0 + 0 (a clock going back never moves it back).
    expect(expected).toBe(4);
  });

  test('a second thread spinning does not advance it faster than the wall clock', async () => {
    const spinner = new Worker('const end = Date.now() + 1500; while (Date.now() < end) {}', { eval: true });
    try {
      await new Promise((r) => setTimeout(r, 100));
      const clock0 = threadCpuEstimateMs();
      const wall0 = performance.now();
      const cpu0 = processCpuMs();
      const end = wall0 + 400;
      let x = 0;
      while (performance.now() < end) x = (x + 1) % 1_000_003;
      const clockSpent = threadCpuEstimateMs() - clock0;
      const wallSpent = performance.now() - wall0;
      const cpuSpent = processCpuMs() - cpu0;
      expect(x).toBeGreaterThanOrEqual(0);
      expect(clockSpent).toBeLessThanOrEqual(wallSpent + 1);
      expect(clockSpent).toBeLessThanOrEqual(cpuSpent + 1);
      // The busy thread is seen: at least a fifth of its wall time even on a loaded machine.
      expect(clockSpent).toBeGreaterThan(wallSpent / 5);
    } finally {
      await spinner.terminate();
    }
  });
});
