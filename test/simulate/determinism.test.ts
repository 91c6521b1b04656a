import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createGenerator, DEFAULT_START_TIME, GENERATOR_NAMES, Random, type GeneratorName } from '../../src/simulate/index.js';
import { time } from './helpers.js';

const json = (name: GeneratorName, seed: number, n = 5000) => JSON.stringify(createGenerator(name, { seed, errorProbability: name === 'network' ? 0.02 : undefined }).take(n));

describe('determinism', () => {
  it.each(GENERATOR_NAMES)('%s: the same seed gives the same JSON, byte for byte; another seed does not', (name) => {
    expect(json(name, 42)).toBe(json(name, 42));
    expect(json(name, 42)).not.toBe(json(name, 43));
  });

  it.each(GENERATOR_NAMES)('%s: take(a) then take(b) equals take(a + b), whatever `now` is read in between', (name) => {
    const whole = createGenerator(name, { seed: 9 }).take(3000);
    const g = createGenerator(name, { seed: 9 });
    const parts = [];
    for (const n of [1, 0, 999, 500, 1500]) {
      void g.now;
      parts.push(...g.take(n));
    }
    expect(JSON.stringify(parts)).toBe(JSON.stringify(whole));
  });

  it.each(GENERATOR_NAMES)('%s: events are JSON-safe, in event-time order, start at startTime, and `now` is the next time', (name) => {
    const g = createGenerator(name, { seed: 3 });
    expect(g.now).toBe(DEFAULT_START_TIME);
    const events = g.take(20_000);
    expect(JSON.parse(JSON.stringify(events))).toEqual(events);
    for (let i = 1; i < events.length; i++) expect(time(events[i])).toBeGreaterThanOrEqual(time(events[i - 1]));
    for (const e of events) expect(Number.isInteger(time(e))).toBe(true);
    const next = g.now;
    expect(time(g.take(1)[0])).toBe(next);
  });

  it.each(GENERATOR_NAMES)('%s: `now` is always the time of the event take(1) gives next', (name) => {
    const g = createGenerator(name, { seed: 8, errorProbability: 0.3, rate: 1000 });
    for (let i = 0; i < 20_000; i++) {
      const now = g.now;
      if (i % 5000 === 100) g.inject(2);
      expect(time(g.take(1)[0])).toBe(now);
    }
  });

  it.each(GENERATOR_NAMES)('%s: rate is events per second of event time', (name) => {
    const g = createGenerator(name, { seed: 5, rate: 250, errorProbability: 0 });
    const events = g.take(50_000);
    const seconds = (time(events[events.length - 1]) - time(events[0])) / 1000;
    expect(events.length / seconds).toBeGreaterThan(250 * 0.97);
    expect(events.length / seconds).toBeLessThan(250 * 1.03);
  });

  it('the PRNG gives a pinned stream (a change of algorithm would change every simulation)', () => {
    const r = new Random(1);
    const values = Array.from({ length: 1000 }, () => r.nextUint32());
    expect(new Set(values).size).toBe(1000);
    expect(createHash('sha256').update(values.join(',')).digest('hex').slice(0, 16)).toMatchInlineSnapshot(`"86b393c25d563196"`);
    const mean = values.reduce((a, b) => a + b, 0) / values.length / 2 ** 32;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
  });

  it('Random.distinct draws distinct values in range', () => {
    const r = new Random(2);
    for (const [n, k] of [[10, 10], [1024, 20], [5, 3]]) {
      const d = r.distinct(n, k);
      expect(d.length).toBe(k);
      expect(new Set(d).size).toBe(k);
      for (const v of d) expect(v >= 0 && v < n).toBe(true);
    }
  });

  it('rejects bad options', () => {
    expect(() => createGenerator('network', { rate: 0 })).toThrow(RangeError);
    expect(() => createGenerator('network', { errorProbability: 1.5 })).toThrow(RangeError);
    expect(() => createGenerator('network', { capacity: 0 })).toThrow(RangeError);
    expect(() => createGenerator('bruteforce', { errorProbability: 1 })).toThrow(RangeError);
    expect(() => createGenerator('wave', { shape: 'triangle' } as never)).toThrow(RangeError);
    expect(() => createGenerator('nope' as GeneratorName)).toThrow(/unknown generator/);
    expect(() => createGenerator('noise').take(-1)).toThrow(RangeError);
  });
});
