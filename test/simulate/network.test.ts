import { describe, expect, it } from 'vitest';
import { createGenerator, NETWORK_LOCATIONS, type SimulatedEvent } from '../../src/simulate/index.js';
import { groupBy } from './helpers.js';

/** The protocol, written out again independently of src/simulate/protocol.ts. */
const REFERENCE: Record<string, Record<string, string>> = {
  INITIAL: { a: 'W', c: 'X' },
  W: { b: 'Y' },
  X: { b: 'Y', d: 'Z' },
  Y: { e: 'Z' },
  Z: { g: 'TERM' },
};

interface Replay {
  invalid: number;
  /** Per anomaly: was it invalid from the state its machine was in? */
  anomaliesInvalid: boolean[];
  /** Events after the machine reached TERM. */
  afterTerm: number;
  maxLive: number;
}

/** Replays the stream through the reference table: invalid events leave the state unchanged. */
function replay(stream: readonly SimulatedEvent[]): Replay {
  const state = new Map<string, string>();
  const live = new Set<string>();
  const result: Replay = { invalid: 0, anomaliesInvalid: [], afterTerm: 0, maxLive: 0 };
  for (const { event, anomaly } of stream) {
    const ip = event.sourceAddress as string;
    const current = state.get(ip) ?? 'INITIAL';
    if (current === 'TERM') {
      result.afterTerm++;
      continue;
    }
    live.add(ip);
    result.maxLive = Math.max(result.maxLive, live.size);
    const next = REFERENCE[current][event.type as string];
    if (anomaly) result.anomaliesInvalid.push(next === undefined);
    if (next === undefined) {
      result.invalid++;
      continue;
    }
    state.set(ip, next);
    if (next === 'TERM') live.delete(ip);
  }
  return result;
}

describe('network generator', () => {
  it('with errorProbability 0, every source IP follows a valid path of the protocol', () => {
    for (const seed of [1, 2, 3]) {
      const stream = createGenerator('network', { seed }).take(50_000);
      const r = replay(stream);
      expect(r.invalid).toBe(0);
      expect(r.afterTerm).toBe(0);
      expect(stream.every((s) => !s.anomaly && s.truthKey === undefined)).toBe(true);
    }
  });

  it('draws transitions with the probabilities of the issue', () => {
    const stream = createGenerator('network', { seed: 4 }).take(100_000);
    const firsts = [...groupBy(stream, (s) => s.event.sourceAddress as string).values()].map((events) => events.map((s) => s.event.type).join(''));
    const complete = firsts.filter((path) => path.endsWith('g'));
    expect(complete.length).toBeGreaterThan(10_000);
    const share = (pred: (p: string) => boolean, of: string[]) => of.filter(pred).length / of.length;
    expect(share((p) => p.startsWith('a'), complete)).toBeCloseTo(0.6, 1);
    const viaX = complete.filter((p) => p.startsWith('c'));
    expect(share((p) => p === 'cbeg', viaX)).toBeCloseTo(0.2, 1);
    expect(share((p) => p === 'cdg', viaX)).toBeCloseTo(0.8, 1);
    expect(new Set(complete)).toEqual(new Set(['abeg', 'cbeg', 'cdg']));
  });

  it('with errorProbability p, about a fraction p of events are anomalies', () => {
    const n = 100_000;
    for (const p of [0.01, 0.1, 0.5]) {
      const stream = createGenerator('network', { seed: 11, errorProbability: p }).take(n);
      const fraction = stream.filter((s) => s.anomaly).length / n;
      // five standard deviations of a binomial proportion
      expect(Math.abs(fraction - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    }
    expect(createGenerator('network', { errorProbability: 1 }).take(1000).every((s) => s.anomaly)).toBe(true);
  });

  it('each anomaly is invalid from its machine’s current state, leaves it unchanged, and is keyed by source IP', () => {
    const stream = createGenerator('network', { seed: 12, errorProbability: 0.2 }).take(50_000);
    const r = replay(stream);
    const anomalies = stream.filter((s) => s.anomaly);
    expect(r.anomaliesInvalid.length).toBe(anomalies.length);
    expect(r.anomaliesInvalid.every(Boolean)).toBe(true);
    // every invalid event in the replay is an anomaly (so the unchanged state was the right one to replay from)
    expect(r.invalid).toBe(anomalies.length);
    expect(r.afterTerm).toBe(0);
    for (const a of anomalies) expect(a.truthKey).toBe(a.event.sourceAddress);
    expect(new Set(anomalies.map((a) => a.incident)).size).toBe(anomalies.length);
    // `f` is among them: it is invalid from every state
    expect(anomalies.some((a) => a.event.type === 'f')).toBe(true);
    expect(stream.some((s) => !s.anomaly && s.event.type === 'f')).toBe(false);
  });

  it('inject(n) makes exactly the next n events anomalies', () => {
    const g = createGenerator('network', { seed: 13 });
    expect(g.take(500).some((s) => s.anomaly)).toBe(false);
    g.inject(7);
    const next = g.take(50);
    expect(next.slice(0, 7).every((s) => s.anomaly)).toBe(true);
    expect(next.filter((s) => s.anomaly).length).toBe(7);
    g.inject(2);
    g.inject(1);
    expect(g.take(10).filter((s) => s.anomaly).length).toBe(3);
  });

  it('respects capacity', () => {
    for (const capacity of [1, 10, 300]) {
      const g = createGenerator('network', { seed: 14, capacity, errorProbability: 0.05 });
      let max = 0;
      const stream: SimulatedEvent[] = [];
      for (let i = 0; i < 200; i++) {
        stream.push(...g.take(100));
        max = Math.max(max, g.liveMachines);
      }
      expect(max).toBeLessThanOrEqual(capacity);
      const r = replay(stream);
      expect(r.maxLive).toBeLessThanOrEqual(capacity);
      expect(r.maxLive).toBeGreaterThanOrEqual(Math.ceil(capacity * 0.7)); // steady state is about 0.78 × capacity
    }
  });

  it('keeps networkId and location consistent per source IP', () => {
    const stream = createGenerator('network', { seed: 15, errorProbability: 0.1 }).take(30_000);
    const byIp = groupBy(stream, (s) => s.event.sourceAddress as string);
    const seen = new Set<number>();
    for (const [ip, events] of byIp) {
      expect(ip).toMatch(/^10\.\d+\.\d+\.\d+$/);
      const id = events[0].event.networkId as 1 | 2 | 3 | 4;
      seen.add(id);
      for (const { event } of events) {
        expect(event.networkId).toBe(id);
        expect(event.location).toEqual(NETWORK_LOCATIONS[id]);
        expect(event.destinationAddress).toBe(events[0].event.destinationAddress);
        expect(event.kind).toBe('packet');
      }
    }
    expect([...seen].sort()).toEqual([1, 2, 3, 4]);
  });
});
