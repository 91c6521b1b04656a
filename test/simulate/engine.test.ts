/** The simulator against the real engine: ground truth says what the rules must find. */
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert, Engine } from '../../src/engine/engine.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import { createGenerator, keyOfFields, scoreAlerts, type Generator, type SimulatedEvent } from '../../src/simulate/index.js';

const bruteForce = (slide: string) => `
RULE "brute force"
SOURCES kind = "auth"
FILTER function (e) { return e.outcome == 'failure'; }
USING timestamp
AGGREGATE BY user, server
WITHIN 1:min, ${slide}
HAVING function (events) {
  return events.length >= 10 ? { user: events[0].user, server: events[0].server, failures: events.length } : null;
}
SINK function (alert) { return alert; }
`;

const cycleSum = `
RULE "cycle sum"
SOURCES kind = "metric"
USING timestamp
AGGREGATE BY shape
WITHIN 1:min, 1:min
HAVING function (events) {
  return { cycle: events[0].cycle, cycles: events.filter((e) => e.cycle !== events[0].cycle).length, n: events.length, sum: events.reduce((acc, e) => acc + e.value, 0) };
}
SINK function (alert) { return alert; }
`;

let engine: Engine | undefined;
afterEach(() => {
  engine?.dispose();
  engine = undefined;
});

async function run(rules: string, generator: Generator, count: number): Promise<{ alerts: Alert[]; truth: SimulatedEvent[] }> {
  engine = await createNodeEngine();
  const applied = engine.putRules(rules);
  if (!applied.ok) throw new Error(JSON.stringify(applied.diagnostics));
  const alerts: Alert[] = [];
  engine.onAlert((a) => alerts.push(a));
  const truth: SimulatedEvent[] = [];
  for (let done = 0; done < count; done += 5000) {
    const batch = generator.take(Math.min(5000, count - done));
    truth.push(...batch);
    engine.push(batch.map((s) => s.event));
  }
  // the attacks under way at the end are completed, so the truth holds whole attacks only
  const tail = generator.settle();
  truth.push(...tail);
  engine.push(tail.map((s) => s.event));
  engine.flush();
  return { alerts, truth };
}

describe('simulator × engine', () => {
  it.each([1, 2, 3, 4, 5])('a brute-force rule finds every attack and nothing else (seed %i, tumbling windows)', async (seed) => {
    // ten minutes of logins at 100/s
    const { alerts, truth } = await run(bruteForce('1:min'), createGenerator('bruteforce', { seed }), 60_000);
    const score = scoreAlerts(alerts, truth, keyOfFields(['user', 'server']));
    expect(score.truePositives).toBeGreaterThan(5);
    expect(score).toMatchObject({ falsePositives: 0, falseNegatives: 0, precision: 1, recall: 1 });
  });

  it.each([6, 7])('… and with sliding windows (seed %i)', async (seed) => {
    const { alerts, truth } = await run(bruteForce('10:sec'), createGenerator('bruteforce', { seed, errorProbability: 0.03 }), 60_000);
    const score = scoreAlerts(alerts, truth, keyOfFields(['user', 'server']));
    expect(score.truePositives).toBeGreaterThan(5);
    expect(score).toMatchObject({ precision: 1, recall: 1 });
  });

  it('a windowed sum per minute equals the wave’s cycle sums exactly', async () => {
    const wave = createGenerator('wave', { seed: 8, rate: 20, shape: 'sine' });
    const { alerts } = await run(cycleSum, wave, 20 * 60 * 5);
    expect(alerts.map((a) => a.cycle)).toEqual([0, 1, 2, 3, 4]);
    for (const a of alerts) {
      expect(a.cycles).toBe(0);
      expect(a.n).toBe(wave.samplesInCycle(a.cycle as number));
      expect(a.sum).toBe(wave.expectedCycleSum(a.cycle as number));
      expect(a.windowStart).toBe(wave.cycleStart(a.cycle as number));
    }
  });
});
