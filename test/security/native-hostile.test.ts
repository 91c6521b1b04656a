/**
 * Hostile rule functions that used to compile natively and stop the engine (issue 11): an
 * exponential regex, an accumulator that doubles, a HAVING that copies its window once per event.
 * Each runs beside benign rules, through the engine; the benign rules' alerts must be identical to a
 * run without the hostile rule, the process must live, and the hostile function must either run
 * natively in bounded time (the regex, on re2js) or be sent to the sandbox with a reason naming the
 * construct.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/engine/engine.js';
import { harness, plain, type Harness } from '../engine/helpers.js';

const BENIGN = `
RULE "failed logins"
SOURCES kind = "auth"
FILTER function (e) { return e.outcome === 'failure'; }
SINK function (e) { return { user: e.user, n: e.n }; }

RULE "bursts"
SOURCES kind = "auth"
USING ts
AGGREGATE BY user
WITHIN 1:min, 1:min
HAVING (events) => events.filter(e => e.outcome === 'failure').length >= 3
SINK function (w) { return { user: w.user, count: w.count }; }
`;

function authEvents(n: number, extra: (i: number) => object = () => ({})): object[] {
  const base = 1_700_000_000_000;
  return Array.from({ length: n }, (_, i) => ({
    kind: 'auth', ts: base + i * 10, n: i, user: `u${i % 7}`, outcome: i % 3 === 0 ? 'success' : 'failure', ...extra(i),
  }));
}

let harnesses: Harness[] = [];
afterEach(() => {
  harnesses.forEach((h) => h.engine.dispose());
  harnesses = [];
});

/** Runs `events` through BENIGN (+ `hostile`), returning the benign rules' alerts and the harness. */
async function run(hostile: string | undefined, events: object[]): Promise<{ benign: Alert[]; all: Alert[]; h: Harness; ms: number }> {
  const h = await harness();
  harnesses.push(h);
  h.rules(BENIGN + (hostile ?? ''));
  const started = performance.now();
  for (let i = 0; i < events.length; i += 1000) h.engine.push(events.slice(i, i + 1000));
  h.engine.flush();
  const ms = performance.now() - started;
  const all = plain(h.take());
  const benign = all.filter((a) => a.rule === 'failed logins' || a.rule === 'bursts');
  return { benign, all, h, ms };
}

function functionsOf(h: Harness, rule: string) {
  return h.engine.rule(rule)!.functions;
}

describe('natively compiled hostile functions (issue 11)', () => {
  it('FILTER /(x+x+)+y/ on 40-character messages ran for tens of seconds per event natively (regression)', async () => {
    const hostile = `
RULE "exponential regex"
SOURCES kind = "auth"
FILTER function (e) { return /(x+x+)+y/.test(e.msg); }
SINK function (e) { return { n: e.n }; }
`;
    // 40 x's and no y: the worst case for a backtracking engine; every tenth message does match.
    const events = authEvents(2000, (i) => ({ msg: i % 10 === 0 ? 'x'.repeat(40) + 'y' : 'x'.repeat(i % 2 ? 40 : 10_000) }));
    const without = await run(undefined, events);
    const withHostile = await run(hostile, events);
    // Stays native, on the linear-time engine.
    expect(functionsOf(withHostile.h, 'exponential regex')).toContainEqual({ phase: 'filter', mode: 'native' });
    expect(withHostile.benign).toEqual(without.benign);
    // Oracle: (x+x+)+y matches exactly the strings holding "xxy".
    const expected = events.filter((e) => /xxy/.test((e as { msg: string }).msg)).map((e) => ({ rule: 'exponential regex', n: (e as { n: number }).n }));
    expect(withHostile.all.filter((a) => a.rule === 'exponential regex')).toEqual(expected);
    expect(withHostile.ms).toBeLessThan(5000);
  });

  it('e.arr.reduce((a) => [...a, ...a], e.arr) on a 30-element array aborted the process natively (regression)', async () => {
    const hostile = `
RULE "doubling"
SOURCES kind = "auth"
FILTER function (e) { return e.arr.reduce((a) => [...a, ...a], e.arr).length > 0; }
SINK function (e) { return { n: e.n }; }
`;
    const events = authEvents(50, () => ({ arr: Array.from({ length: 30 }, (_, i) => i) }));
    const without = await run(undefined, events);
    const withHostile = await run(hostile, events);
    const filter = functionsOf(withHostile.h, 'doubling').find((f) => f.phase === 'filter')!;
    expect(filter.mode).toBe('sandbox');
    expect(filter.reason).toMatch(/returns `\[\.\.\.a, \.\.\.a\]`, built from the accumulator/);
    expect(withHostile.benign).toEqual(without.benign);
    expect(withHostile.all.filter((a) => a.rule === 'doubling')).toEqual([]);
    expect(withHostile.h.engine.metrics().rules['doubling']!.state).toBe('deactivated');
  });

  it('HAVING events.map(() => events.slice()) over a 30k-event window exhausted the heap natively (regression)', async () => {
    const hostile = `
RULE "window copies"
SOURCES kind = "auth"
USING ts
AGGREGATE BY kind
WITHIN 10:min, 10:min
HAVING function (events) { return events.map(() => events.slice()).length > 0; }
SINK function (w) { return { count: w.count }; }
`;
    const events = authEvents(30_000);
    const without = await run(undefined, events);
    const withHostile = await run(hostile, events);
    const having = functionsOf(withHostile.h, 'window copies').find((f) => f.phase === 'having')!;
    expect(having.mode).toBe('sandbox');
    expect(having.reason).toMatch(/`\.slice\(\)` on `events` inside an array callback .* square of the input/);
    expect(withHostile.benign).toEqual(without.benign);
  }, 60_000);

  it('keeps linear functions native: a sum, a nested test over each event, a regex on re2js', async () => {
    const h = await harness();
    harnesses.push(h);
    h.rules(`
RULE "sum"
SOURCES kind = "auth"
USING ts
AGGREGATE BY user
WITHIN 1:min, 1:min
HAVING (events) => events.reduce((acc, e) => acc + e.n, 0) > 100 && events.some(e => e.tags.some(t => t === 'admin'))
SINK function (w) { return { user: w.user }; }

RULE "version"
SOURCES kind = "auth"
FILTER function (e) { return utils.matches(e.agent, '([A-Za-z]+) V[0-9]*'); }
SINK function (e) { return { n: e.n }; }
`);
    expect(h.engine.rules().flatMap((r) => r.functions.map((f) => f.mode))).toEqual(['native', 'native', 'native', 'native']);
    // The pattern is quadratic on a backtracking engine over a long run of letters; on re2js it is linear.
    const events = authEvents(200, (i) => ({ tags: i === 5 ? ['admin'] : ['x'], agent: i % 2 ? 'a'.repeat(20_000) : `Mozilla V${i}` }));
    const started = performance.now();
    h.engine.push(events);
    h.engine.flush();
    expect(performance.now() - started).toBeLessThan(5000);
    const versions = plain(h.alerts).filter((a) => a.rule === 'version').map((a) => a.n);
    expect(versions).toEqual(events.filter((_, i) => i % 2 === 0).map((e) => (e as { n: number }).n));
    // Oracle for the HAVING: recount per user and minute.
    const sums = new Map<string, { sum: number; admin: boolean }>();
    for (const e of events as { user: string; n: number; tags: string[] }[]) {
      const s = sums.get(e.user) ?? { sum: 0, admin: false };
      s.sum += e.n;
      s.admin ||= e.tags.includes('admin');
      sums.set(e.user, s);
    }
    const expected = [...sums].filter(([, s]) => s.sum > 100 && s.admin).map(([user]) => user).sort();
    expect(plain(h.alerts).filter((a) => a.rule === 'sum').map((a) => a.user as string).sort()).toEqual(expected);
  });
});
