import { describe, expect, it } from 'vitest';
import { createGenerator, mixGenerators } from '../../src/simulate/index.js';
import { incidents, time } from './helpers.js';

const mix = (seed = 1) =>
  mixGenerators(
    [
      { generator: createGenerator('noise', { seed: 1, rate: 100 }), weight: 3 },
      { generator: createGenerator('bruteforce', { seed: 2, rate: 100, errorProbability: 0 }), weight: 1 },
      { generator: createGenerator('network', { seed: 3, rate: 100 }), weight: 0.5 },
    ],
    seed,
  );

describe('mixGenerators', () => {
  it('interleaves by event time, with weights scaling each part’s rate', () => {
    const g = mix();
    expect(g.name).toBe('mix(noise,bruteforce,network)');
    expect(g.rate).toBe(450);
    const events = g.take(45_000);
    for (let i = 1; i < events.length; i++) expect(time(events[i])).toBeGreaterThanOrEqual(time(events[i - 1]));
    const count = (kind: string) => events.filter((s) => s.event.kind === kind).length;
    const auth = events.filter((s) => s.event.kind === 'auth').length;
    expect(count('packet') / events.length).toBeCloseTo(50 / 450, 1);
    expect(auth / events.length).toBeGreaterThan(0.2); // bruteforce 100/450 plus noise's logins
  });

  it('is deterministic, and inject(n) gives n anomalies to the parts that have them', () => {
    expect(JSON.stringify(mix(5).take(3000))).toBe(JSON.stringify(mix(5).take(3000)));
    const g = mix(7);
    g.take(100);
    g.inject(20);
    const next = g.take(20_000);
    const found = incidents(next);
    const network = [...found.values()].filter((e) => e[0].event.kind === 'packet').length;
    const brute = [...found.values()].filter((e) => e[0].event.kind === 'auth').length;
    expect(network + brute).toBe(20);
    expect(brute).toBeGreaterThan(network); // weight 1 against 0.5
    expect(next.filter((s) => s.anomaly && s.event.kind === 'dns').length).toBe(0);
  });

  it('keeps incident numbers unique across parts', () => {
    const g = mixGenerators([
      { generator: createGenerator('network', { seed: 1, errorProbability: 0.1 }), weight: 1 },
      { generator: createGenerator('bruteforce', { seed: 1, errorProbability: 0.1 }), weight: 1 },
    ]);
    const stream = g.take(20_000);
    for (const events of incidents(stream).values()) expect(new Set(events.map((s) => s.event.kind)).size).toBe(1);
  });

  it('setting the mix’s rate scales every part', () => {
    const g = mix();
    g.rate = 900;
    expect(g.rate).toBeCloseTo(900, 9);
  });

  it('rejects empty mixes and non-positive weights', () => {
    expect(() => mixGenerators([])).toThrow(RangeError);
    expect(() => mixGenerators([{ generator: createGenerator('noise'), weight: 0 }])).toThrow(RangeError);
  });

  it('settle() completes every part’s anomalies, in event-time order', () => {
    const g = mixGenerators([
      { generator: createGenerator('bruteforce', { seed: 1, errorProbability: 0.05 }), weight: 1 },
      { generator: createGenerator('portscan', { seed: 1, errorProbability: 0.05 }), weight: 1 },
      { generator: createGenerator('noise', { seed: 1 }), weight: 1 },
    ]);
    const all = [...g.take(30_000), ...g.settle()];
    for (let i = 1; i < all.length; i++) expect(time(all[i])).toBeGreaterThanOrEqual(time(all[i - 1]));
    for (const events of incidents(all).values()) expect(events.length).toBeGreaterThanOrEqual(12);
    expect(g.settle()).toEqual([]);
    expect(time(g.take(1)[0])).toBeGreaterThanOrEqual(time(all[all.length - 1]));
  });
});
