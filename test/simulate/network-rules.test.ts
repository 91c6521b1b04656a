/**
 * The network rule pack against the network generator's ground truth: every injected invalid
 * transition is an alert, nothing else is, and the per-network summaries count them exactly.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert, Engine } from '../../src/engine/engine.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import { createGenerator, type SimulatedEvent } from '../../src/simulate/index.js';

const pack = readFileSync('rules/network-protocol.vgl', 'utf8');
const engines: Engine[] = [];
afterEach(() => engines.splice(0).forEach((e) => e.dispose()));

async function run(events: SimulatedEvent[], batch = 500): Promise<Alert[]> {
  const engine = await createNodeEngine({ outOfOrderMs: 0 });
  engines.push(engine);
  const result = engine.putRules(pack, { file: 'rules/network-protocol.vgl' });
  expect(result.diagnostics).toEqual([]);
  const alerts: Alert[] = [];
  engine.onAlert((a) => alerts.push(a));
  for (let i = 0; i < events.length; i += batch) engine.push(events.slice(i, i + batch).map((e) => e.event));
  engine.flush();
  return alerts;
}

const id = (e: Record<string, unknown>) => `${e.timestamp}|${e.sourceAddress}|${e.eventType ?? e.type}`;

describe('network protocol rule pack', () => {
  it.each([
    [1, 0.01],
    [2, 0.05],
    [3, 0.2],
  ])('alerts on exactly the injected violations (seed %i, error probability %f)', async (seed, errorProbability) => {
    const events = createGenerator('network', { seed, errorProbability, capacity: 300, rate: 200 }).take(20_000);
    const alerts = await run(events);
    const violations = alerts.filter((a) => a.rule === 'protocol violation');
    const anomalies = events.filter((e) => e.anomaly);
    expect(anomalies.length).toBeGreaterThan(0);
    expect(violations.map(id).sort()).toEqual(anomalies.map((e) => id(e.event)).sort());

    const summaries = alerts.filter((a) => a.rule === 'violations per network');
    expect(summaries.reduce((n, s) => n + (s.count as number), 0)).toBe(anomalies.length);
    for (const s of summaries) {
      const inWindow = anomalies.filter((e) => e.event.networkId === s.networkId && (e.event.timestamp as number) >= (s.windowStart as number) && (e.event.timestamp as number) < (s.windowEnd as number));
      expect(s.count).toBe(inWindow.length);
      expect([...(s.addresses as string[])].sort()).toEqual([...new Set(inWindow.map((e) => e.event.sourceAddress as string))].sort());
      expect(s.minTime).toBe(Math.min(...inWindow.map((e) => e.event.timestamp as number)));
      expect(s.location).toEqual(inWindow[0].event.location);
    }
  });

  it('raises no alert at all without errors, and exactly n for inject(n)', async () => {
    const clean = createGenerator('network', { seed: 4, errorProbability: 0, capacity: 500 });
    expect(await run(clean.take(30_000))).toEqual([]);
    const controlled = createGenerator('network', { seed: 5, errorProbability: 0, capacity: 200 });
    const events = controlled.take(5000);
    controlled.inject(7);
    events.push(...controlled.take(5000));
    const alerts = await run(events);
    expect(alerts.filter((a) => a.rule === 'protocol violation')).toHaveLength(7);
  });
});
