/**
 * A clock's first times are not believed alone: a forged timestamp on the first event (or forged
 * ones interleaved among the first honest events) must not make the honest events after it late.
 * Oracle: the same input without the forged lines — the honest users' alerts and the late count
 * must be equal. And a clock does start: three agreeing events, then windows close as always.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/engine/engine.js';
import { harness, plain, type Harness } from './helpers.js';

const T0 = Date.UTC(2024, 2, 1, 9, 0, 0);
const FORGED = Date.UTC(2100, 0, 1);
const RULE = `RULE "per user"
SOURCES kind = "e"
USING ts
AGGREGATE BY user
WITHIN 1:min, 1:min
HAVING function (events) { return { user: events[0].user, n: events.length }; }
SINK function (w) { return w; }
`;

let h: Harness | undefined;
afterEach(() => h?.engine.dispose());

/** Honest traffic: `n` events a second apart, users u0…u4. */
const honest = (n: number) => Array.from({ length: n }, (_, i) => ({ kind: 'e', user: `u${i % 5}`, ts: T0 + i * 1000 }));

async function run(events: Record<string, unknown>[], batch = 50): Promise<{ alerts: Alert[]; late: number; h: Harness }> {
  h?.engine.dispose();
  h = await harness();
  h.rules(RULE);
  for (let i = 0; i < events.length; i += batch) h.engine.push(events.slice(i, i + batch));
  h.engine.flush();
  return { alerts: plain(h.take()), late: h.engine.metrics().lateEvents, h };
}

const honestAlerts = (alerts: Alert[]) => alerts.filter((a) => String(a.user).startsWith('u'));

describe('a clock starts where its first events agree', () => {
  it('one forged first event (year 2100): the honest events are not late, and their alerts are those without it', async () => {
    const events = honest(600);
    const oracle = await run(events);
    expect(oracle.late).toBe(0);
    expect(oracle.alerts.length).toBe(50); // 10 minutes × 5 users
    for (const batch of [1, 7, 50]) {
      const forged = await run([{ kind: 'e', user: 'forger', ts: FORGED }, ...events], batch);
      expect(forged.late, `batch ${batch}`).toBe(0);
      expect(honestAlerts(forged.alerts)).toEqual(oracle.alerts);
      expect(forged.h.diagnostics).toContainEqual(expect.objectContaining({ code: 'vigil.future', reason: 'start', eventTime: T0 }));
      expect(forged.h.engine.metrics().quarantined).toBe(1);
    }
  });

  it('forged times interleaved with the first honest events (each its own year) do not stop the clock from starting honestly', async () => {
    const events = honest(600);
    const oracle = await run(events);
    const mixed: Record<string, unknown>[] = [];
    for (let i = 0; i < events.length; i++) {
      if (i < 40) mixed.push({ kind: 'e', user: `forger${i}`, ts: FORGED + i * 366 * 86_400_000 });
      mixed.push(events[i]!);
    }
    const forged = await run(mixed, 10);
    expect(forged.late).toBe(0);
    expect(honestAlerts(forged.alerts)).toEqual(oracle.alerts);
  });

  it('a forged time far in the past first: the clock still starts with the honest events', async () => {
    const events = honest(600);
    const oracle = await run(events);
    const forged = await run([{ kind: 'e', user: 'forger', ts: Date.UTC(1990, 0, 1) }, ...events]);
    expect(forged.late).toBe(0);
    expect(honestAlerts(forged.alerts)).toEqual(oracle.alerts);
  });

  it('starts after three agreeing events: windows then close before the end of input', async () => {
    h = await harness();
    h.rules(RULE);
    // Two events, the second three minutes on: alone they do not start the clock, so the first
    // minute's window stays open (a first event forged three minutes ahead would do the same).
    h.engine.push([
      { kind: 'e', user: 'u0', ts: T0 },
      { kind: 'e', user: 'u1', ts: T0 + 3 * 60_000 },
    ]);
    expect(h.take()).toEqual([]);
    // The third agreeing event (within maxJumpMs of them) starts it: the first minute's window closes.
    h.engine.push([{ kind: 'e', user: 'u1', ts: T0 + 3 * 60_000 + 1 }]);
    expect(plain(h.take())).toEqual([expect.objectContaining({ user: 'u0', n: 1, windowStart: T0 })]);
    expect(h.diagnostics.filter((d) => d.code === 'vigil.future')).toEqual([]);
  });

  it('with jumpConfirmations 1 the first event starts the clock (as before)', async () => {
    h = await harness({ jumpConfirmations: 1 });
    h.rules(RULE);
    h.engine.push([{ kind: 'e', user: 'forger', ts: FORGED }, ...honest(3)]);
    expect(h.engine.metrics().lateEvents).toBe(3);
  });
});
