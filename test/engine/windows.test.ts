import { afterEach, describe, expect, it } from 'vitest';
import { harness, plain, type Harness } from './helpers.js';

let h: Harness;
afterEach(() => h?.engine.dispose());

const T0 = Date.UTC(2026, 0, 1); // aligned to every window length used here

const bruteForce = (within: string) => `
RULE "brute force"
SOURCES kind = "auth"
FILTER function (e) { return e.outcome == 'failure'; }
USING ts
AGGREGATE BY user
WITHIN ${within}
HAVING function (events) { return events.length >= 3 ? { user: events[0].fields['user'], failures: events.length } : null; }
SINK function (a) { return a; }
`;

const fail = (user: string, ts: number) => ({ kind: 'auth', outcome: 'failure', user, ts });

describe('tumbling event-time windows', () => {
  it('fires a window when the watermark passes its end, per key, with key and window bounds', async () => {
    h = await harness({ outOfOrderMs: 1000 });
    h.rules(bruteForce('10:sec, 10:sec'));
    h.engine.push([fail('ann', T0 + 1000), fail('bob', T0 + 1500), fail('ann', T0 + 2000), fail('ann', T0 + 9000), fail('bob', T0 + 9500)]);
    expect(h.take()).toEqual([]);
    // Watermark = 10_999 - 1000 < 10_000 + ... : the window [0, 10s) is not closed yet.
    h.engine.push([fail('bob', T0 + 10_999)]);
    expect(h.take()).toEqual([]);
    h.engine.push([fail('bob', T0 + 11_000)]);
    expect(h.take()).toEqual([
      { rule: 'brute force', key: { user: 'ann' }, windowStart: T0, windowEnd: T0 + 10_000, user: 'ann', failures: 3 },
    ]);
  });

  it('accepts events out of order within the bound into their own window', async () => {
    h = await harness({ outOfOrderMs: 5000 });
    h.rules(bruteForce('10:sec, 10:sec'));
    h.engine.push([fail('ann', T0 + 1000), fail('ann', T0 + 12_000), fail('ann', T0 + 8000), fail('ann', T0 + 9999)]);
    h.engine.push([fail('x', T0 + 15_000)]);
    expect(h.take()).toEqual([
      { rule: 'brute force', key: { user: 'ann' }, windowStart: T0, windowEnd: T0 + 10_000, user: 'ann', failures: 3 },
    ]);
    expect(h.diagnostics).toEqual([]);
  });

  it('reads ISO-8601 times as well as epoch milliseconds', async () => {
    h = await harness({ outOfOrderMs: 0 });
    h.rules(bruteForce('1:min, 1:min'));
    const iso = (ms: number) => new Date(T0 + ms).toISOString();
    h.engine.push([1, 2, 3].map((s) => ({ ...fail('ann', 0), ts: iso(s * 1000) })));
    h.engine.push([{ ...fail('zed', 0), ts: iso(60_000) }]);
    expect(h.take()).toMatchObject([{ windowStart: T0, windowEnd: T0 + 60_000, failures: 3 }]);
  });

  it('fires every open window at end of input', async () => {
    h = await harness();
    h.rules(bruteForce('1:min, 1:min'));
    h.engine.push([fail('ann', T0), fail('ann', T0 + 1), fail('ann', T0 + 2), fail('bob', T0 + 61_000), fail('bob', T0 + 62_000), fail('bob', T0 + 63_000)]);
    expect(h.take()).toEqual([]);
    h.engine.flush();
    expect(h.take()).toEqual([
      { rule: 'brute force', key: { user: 'ann' }, windowStart: T0, windowEnd: T0 + 60_000, user: 'ann', failures: 3 },
      { rule: 'brute force', key: { user: 'bob' }, windowStart: T0 + 60_000, windowEnd: T0 + 120_000, user: 'bob', failures: 3 },
    ]);
  });
});

describe('sliding windows', () => {
  it('puts an event in every window that overlaps it', async () => {
    h = await harness({ outOfOrderMs: 0 });
    h.rules(`
RULE "count" SOURCES kind = "x" USING ts AGGREGATE BY host WITHIN 10:sec, 5:sec
HAVING function (events) { return { n: events.length, ids: events.map(e => e.id) }; }
SINK function (a) { return a; }`);
    h.engine.push([
      { kind: 'x', host: 'h', id: 1, ts: T0 + 2000 },
      { kind: 'x', host: 'h', id: 2, ts: T0 + 7000 },
      { kind: 'x', host: 'h', id: 3, ts: T0 + 12_000 },
    ]);
    h.engine.flush();
    expect(h.take().map((a) => [a.windowStart as number - T0, a.windowEnd as number - T0, a.ids])).toEqual([
      [-5000, 5000, [1]],
      [0, 10_000, [1, 2]],
      [5000, 15_000, [2, 3]],
      [10_000, 20_000, [3]],
    ]);
  });
});

describe('late events', () => {
  it('re-fires a closed window as an update for an event within the allowed lateness', async () => {
    h = await harness({ outOfOrderMs: 0, allowedLatenessMs: 30_000 });
    h.rules(bruteForce('10:sec, 10:sec'));
    h.engine.push([fail('ann', T0 + 1), fail('ann', T0 + 2), fail('ann', T0 + 3), fail('zed', T0 + 20_000)]);
    expect(h.take()).toMatchObject([{ windowEnd: T0 + 10_000, failures: 3 }]);
    h.engine.push([fail('ann', T0 + 4)]);
    expect(h.take()).toEqual([
      { rule: 'brute force', key: { user: 'ann' }, windowStart: T0, windowEnd: T0 + 10_000, update: true, user: 'ann', failures: 4 },
    ]);
    expect(h.engine.metrics().lateEvents).toBe(0);
  });

  it('counts and reports events beyond the allowed lateness, never silently', async () => {
    h = await harness({ outOfOrderMs: 0, allowedLatenessMs: 5000 });
    h.rules(bruteForce('10:sec, 10:sec'));
    // Two events the rule does not match first: a clock starts once three agree on the time (watermark.ts).
    h.engine.push([{ kind: 'other', ts: T0 }, { kind: 'other', ts: T0 }]);
    h.engine.push([fail('ann', T0 + 1), fail('zed', T0 + 20_000), fail('ann', T0 + 2)]);
    expect(h.take()).toEqual([]);
    expect(h.engine.metrics().lateEvents).toBe(1);
    expect(h.engine.metrics().rules['brute force'].late).toBe(1);
    expect(h.diagnostics).toMatchObject([{ code: 'vigil.late', rule: 'brute force', eventTime: T0 + 2, watermark: T0 + 20_000 }]);
  });

  it('reports an event without a usable time field instead of dropping it silently', async () => {
    h = await harness();
    h.rules(bruteForce('10:sec, 10:sec'));
    h.engine.push([{ kind: 'auth', outcome: 'failure', user: 'ann', ts: 'yesterday' }]);
    expect(h.diagnostics).toMatchObject([{ code: 'vigil.time', rule: 'brute force', value: 'yesterday' }]);
  });
});

describe('HAVING, SORT BY and SINK on windows', () => {
  it('orders the events handed to HAVING by SORT BY (descending too)', async () => {
    h = await harness({ outOfOrderMs: 60_000 });
    h.rules(`
RULE "asc" SOURCES kind = "x" USING ts AGGREGATE BY k WITHIN 1:min, 1:min SORT BY prio
HAVING function (events) { return { order: events.map(e => e.id) }; } SINK function (a) { return a; }
RULE "desc" SOURCES kind = "x" USING ts AGGREGATE BY k WITHIN 1:min, 1:min SORT BY prio DESC
HAVING function (events) { return { order: events.map(e => e.id) }; } SINK function (a) { return a; }`);
    h.engine.push([
      { kind: 'x', k: 1, id: 'a', prio: 3, ts: T0 },
      { kind: 'x', k: 1, id: 'b', prio: 1, ts: T0 + 1 },
      { kind: 'x', k: 1, id: 'c', prio: 2, ts: T0 + 2 },
    ]);
    h.engine.flush();
    expect(h.take().map((a) => [a.rule, a.order])).toEqual([
      ['asc', ['b', 'c', 'a']],
      ['desc', ['a', 'c', 'b']],
    ]);
  });

  it('hands SINK the key fields, count and events when HAVING returns true, and keeps fields SINK set', async () => {
    h = await harness({ outOfOrderMs: 0 });
    h.rules(`
RULE "pairs" SOURCES kind = "x" USING ts AGGREGATE BY user, host WITHIN 1:min, 1:min
HAVING function (events) { return events.length > 1; }
SINK function (a) { return { who: a.user + '@' + a.host, n: a.count, first: a.events[0].id, windowEnd: 'mine' }; }`);
    h.engine.push([
      { kind: 'x', user: 'ann', host: 'h1', id: 1, ts: T0 },
      { kind: 'x', user: 'ann', host: 'h1', id: 2, ts: T0 + 5 },
      { kind: 'x', user: 'ann', host: 'h2', id: 3, ts: T0 + 6 },
    ]);
    h.engine.flush();
    expect(plain(h.take())).toEqual([
      { rule: 'pairs', key: { user: 'ann', host: 'h1' }, windowStart: T0, windowEnd: 'mine', who: 'ann@h1', n: 2, first: 1 },
    ]);
  });

  it('groups without HAVING: every window and key is an alert', async () => {
    h = await harness({ outOfOrderMs: 0 });
    h.rules(`RULE "per host" SOURCES kind = "x" USING ts AGGREGATE BY host WITHIN 1:min, 1:min SINK function (a) { return { host: a.host, n: a.count }; }`);
    h.engine.push([{ kind: 'x', host: 'a', ts: T0 }, { kind: 'x', host: 'b', ts: T0 }, { kind: 'x', host: 'a', ts: T0 + 1 }]);
    h.engine.flush();
    expect(plain(h.take())).toEqual([
      { rule: 'per host', key: { host: 'a' }, windowStart: T0, windowEnd: T0 + 60_000, host: 'a', n: 2 },
      { rule: 'per host', key: { host: 'b' }, windowStart: T0, windowEnd: T0 + 60_000, host: 'b', n: 1 },
    ]);
  });
});

describe('processing time', () => {
  it('uses the injected clock without USING, closing windows when time advances', async () => {
    h = await harness();
    h.clock.set(T0 + 1000);
    h.rules(`RULE "pt" SOURCES kind = "x" AGGREGATE BY k WITHIN 10:sec, 10:sec SINK function (a) { return { k: a.k, n: a.count }; }`);
    h.engine.push([{ kind: 'x', k: 1 }, { kind: 'x', k: 1 }]);
    h.clock.set(T0 + 9999);
    h.engine.advanceTime();
    expect(h.take()).toEqual([]);
    h.clock.set(T0 + 10_000);
    h.engine.advanceTime();
    expect(plain(h.take())).toEqual([{ rule: 'pt', key: { k: 1 }, windowStart: T0, windowEnd: T0 + 10_000, k: 1, n: 2 }]);
  });

  it('moves event-time watermarks forward on request, for an idle source', async () => {
    h = await harness({ outOfOrderMs: 60_000 });
    h.rules(bruteForce('10:sec, 10:sec'));
    h.engine.push([fail('ann', T0 + 1), fail('ann', T0 + 2), fail('ann', T0 + 3)]);
    h.engine.advanceWatermark(T0 + 10_000);
    expect(h.take()).toMatchObject([{ user: 'ann', failures: 3 }]);
  });
});
