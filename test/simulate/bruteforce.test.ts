import { describe, expect, it } from 'vitest';
import { ATTACK_MIN_FAILURES, createGenerator, REGULAR_MAX_FAILURES_PER_MINUTE } from '../../src/simulate/index.js';
import { groupBy, incidents, maxInSpan, time } from './helpers.js';

const MINUTE = 60_000;

describe('bruteforce generator', () => {
  it('events are logins with the documented fields', () => {
    for (const s of createGenerator('bruteforce', { seed: 1 }).take(5000)) {
      expect(Object.keys(s.event)).toEqual(['kind', 'user', 'server', 'outcome', 'sourceAddress', 'timestamp']);
      expect(s.event.kind).toBe('auth');
      expect(['success', 'failure']).toContain(s.event.outcome);
    }
  });

  it('every attack is ≥ 10 failures of one user@server from one address, inside one epoch-aligned minute', () => {
    for (const seed of [1, 2, 3]) {
      const stream = createGenerator('bruteforce', { seed, errorProbability: 0.05 }).take(100_000);
      const attacks = incidents(stream, true);
      expect(attacks.size).toBeGreaterThan(50);
      for (const events of attacks.values()) {
        const { user, server, sourceAddress } = events[0].event;
        const failures = events.filter((s) => s.event.outcome === 'failure');
        expect(failures.length).toBeGreaterThanOrEqual(ATTACK_MIN_FAILURES);
        expect(failures.length).toBeGreaterThanOrEqual(10);
        expect(events.length - failures.length).toBeLessThanOrEqual(1);
        if (events.length > failures.length) expect(events[events.length - 1].event.outcome).toBe('success');
        const minute = Math.floor(time(events[0]) / MINUTE);
        for (const s of events) {
          expect(s.event).toMatchObject({ user, server, sourceAddress });
          expect(s.truthKey).toBe(`${user}@${server}`);
          expect(Math.floor(time(s) / MINUTE)).toBe(minute);
        }
      }
    }
  });

  it('regular traffic never has more than 3 failures of one user@server in any 60 s', () => {
    for (const seed of [1, 2]) {
      // a high rate over few users and servers pushes regular failures against the cap
      const stream = createGenerator('bruteforce', { seed, rate: 200, users: 5, servers: 2, errorProbability: 0.02 }).take(200_000);
      const regularFailures = stream.filter((s) => !s.anomaly && s.event.outcome === 'failure');
      expect(regularFailures.length).toBeGreaterThan(300);
      let atCap = 0;
      for (const events of groupBy(regularFailures, (s) => `${s.event.user}@${s.event.server}`).values()) {
        const most = maxInSpan(events.map(time), MINUTE);
        expect(most).toBeLessThanOrEqual(REGULAR_MAX_FAILURES_PER_MINUTE);
        if (most === REGULAR_MAX_FAILURES_PER_MINUTE) atCap++;
      }
      expect(atCap).toBeGreaterThan(0);
    }
  });

  it('the fraction of attack events is about errorProbability; 0 gives none', () => {
    const stream = createGenerator('bruteforce', { seed: 4, errorProbability: 0.02 }).take(300_000);
    const fraction = stream.filter((s) => s.anomaly).length / stream.length;
    expect(fraction).toBeGreaterThan(0.015);
    expect(fraction).toBeLessThan(0.025);
    expect(createGenerator('bruteforce', { seed: 4, errorProbability: 0 }).take(50_000).some((s) => s.anomaly)).toBe(false);
  });

  it('inject(n) starts n attacks now', () => {
    const g = createGenerator('bruteforce', { seed: 5, errorProbability: 0 });
    g.take(1000);
    const now = g.now;
    g.inject(3);
    expect(g.now).toBe(now);
    const next = g.take(5000);
    const attacks = incidents(next);
    expect(attacks.size).toBe(3);
    for (const events of attacks.values()) expect(time(events[0])).toBeGreaterThanOrEqual(now);
    expect(time(next[0])).toBe(now);
  });

  it('settle() completes the attacks under way, starts none, and the stream goes on in order', () => {
    const g = createGenerator('bruteforce', { seed: 6, errorProbability: 0.05 });
    const head = g.take(20_000);
    const tail = g.settle();
    const all = [...head, ...tail];
    for (const events of incidents(all).values()) {
      expect(events.filter((s) => s.event.outcome === 'failure').length).toBeGreaterThanOrEqual(ATTACK_MIN_FAILURES);
    }
    const open = new Set(head.filter((s) => s.anomaly).map((s) => s.incident));
    expect(tail.every((s) => !s.anomaly || open.has(s.incident))).toBe(true);
    expect(g.settle()).toEqual([]);
    const more = g.take(1000);
    expect(time(more[0])).toBeGreaterThanOrEqual(time(all[all.length - 1]));
  });
});
