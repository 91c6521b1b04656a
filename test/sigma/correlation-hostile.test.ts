/**
 * Hostile correlations and inputs: a timespan past the limit is refused where it is written; a
 * group-by explosion (every event its own group) is processed in bounded time and the windows let
 * go of what they held; attacker-chosen group values are ordinary values; a correlation's trouble
 * does not change another rule's alerts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_CORRELATION_CHAIN, MAX_CORRELATION_TIMESPAN_MS } from '../../src/sigma/index.js';
import { harness, plain, type Harness } from '../engine/helpers.js';

const T0 = 1_700_000_000_000;
const open: Harness[] = [];
afterEach(() => open.splice(0).forEach((h) => h.engine.dispose()));

const base = `title: Rule a\nname: a\nlogsource:\n    product: test\ndetection:\n    s:\n        kind: a\n    condition: s\n`;
const corr = (timespan: string, groupBy = '[User]', condition = 'gte: 2') => `title: Corr\ncorrelation:\n    type: event_count\n    rules: [a]\n    group-by: ${groupBy}\n    timespan: ${timespan}\n    condition:\n        ${condition}\n---\n${base}`;

async function make(options: Parameters<typeof harness>[0] = {}) {
  const h = await harness({ outOfOrderMs: 0, ...options });
  open.push(h);
  return h;
}

describe('hostile correlations', () => {

  // A chain is evaluated as one tree, each referenced correlation expanded where it is referenced:
  // a diamond (d_i references d_(i-1) and c_i, which references d_(i-1) too) doubles the tree per
  // level, so a 3.7 KB file of 16 levels took minutes for 20 events, and a plain chain of 400
  // correlations a minute; past the limit the chain is refused where it is written.
  const diamond = (levels: number) => {
    const docs = [base];
    let prev = 'a';
    for (let i = 0; i < levels; i++) {
      docs.push(`title: C${i}\nname: c${i}\ncorrelation:\n    type: event_count\n    rules: [${prev}]\n    group-by: [User]\n    timespan: 1h\n    condition:\n        gte: 1\n`);
      docs.push(`title: D${i}\nname: d${i}\ncorrelation:\n    type: temporal\n    rules: [${prev}, c${i}]\n    group-by: [User]\n    timespan: 1h\n`);
      prev = `d${i}`;
    }
    return docs.join('---\n');
  };
  const chain = (length: number) => {
    const docs = [base];
    for (let i = 0; i < length; i++) docs.push(`title: C${i}\nname: c${i}\ncorrelation:\n    type: event_count\n    rules: [${i === 0 ? 'a' : `c${i - 1}`}]\n    group-by: [User]\n    timespan: 1h\n    condition:\n        gte: 1\n`);
    return docs.join('---\n');
  };

  it(`a chain of more than 16 correlations (each counted every time it is referenced) is refused at the correlation; other rules load and run`, async () => {
    expect(MAX_CORRELATION_CHAIN).toBe(16);
    const h = await make();
    const started = performance.now();
    // Tree sizes: c_i 2^(i+1) - 1, d_i 2^(i+2) - 2; so c0..c3 (1, 3, 7, 15) and d0..d2 (2, 6, 14)
    // are within the limit, d3 (30) is the first past it, and every later one is past it too.
    const result = h.engine.putRules(diamond(16), { file: 'x.yml' });
    expect(result.ok).toBe(false);
    const refused = result.diagnostics.filter((d) => d.message.includes('is a chain of'));
    // d3's document starts at line 20 + 18 * 3: the base rule (8 lines), then 18 lines a level.
    expect(refused[0]).toMatchObject({ code: 'sigma-correlation', line: 74, column: 1, message: "correlation 'D3' is a chain of more than 16 correlations (each counted every time it is referenced)" });
    expect(refused.map((d) => /'(\w+)'/.exec(d.message)![1]).sort()).toEqual(
      [...Array.from({ length: 13 }, (_, i) => `D${i + 3}`), ...Array.from({ length: 12 }, (_, i) => `C${i + 4}`)].sort(),
    );
    expect(performance.now() - started).toBeLessThan(2_000);

    // A straight chain: 16 correlations load and fire, 17 are refused at the 17th.
    expect(h.engine.putRules(chain(17), { file: 'y.yml' }).diagnostics.map((d) => [d.code, d.message])).toEqual([
      ['sigma-correlation', "correlation 'C16' is a chain of more than 16 correlations (each counted every time it is referenced)"],
    ]);
    expect(h.engine.putRules(chain(16), { file: 'y.yml' }).ok).toBe(true);
    h.engine.push([{ timestamp: T0, kind: 'a', User: 'u' }]);
    h.engine.advanceWatermark(T0 + 3 * 3_600_000);
    h.engine.flush();
    expect(plain(h.take()).map((a) => [a.rule, a.User])).toEqual([['C15', 'u']]);
  });
  it('a timespan past 30 days (or one no window can hold) is refused at the timespan; 30 days is accepted', async () => {
    const h = await make();
    expect(MAX_CORRELATION_TIMESPAN_MS).toBe(30 * 86_400_000);
    for (const timespan of ['999999999w', '31d', '721h']) {
      const result = h.engine.putRules(corr(timespan), { file: 'x.yml' });
      expect(result.ok).toBe(false);
      expect(result.diagnostics.map((d) => [d.code, d.line, d.column, d.message])).toEqual([['sigma-correlation', 6, 15, `timespan '${timespan}' is longer than 30d, the longest a correlation may keep events for`]]);
    }
    expect(h.engine.rules()).toEqual([]);
    expect(h.engine.putRules(corr('30d'), { file: 'x.yml' }).ok).toBe(true);
    expect(h.engine.putRules(corr('720h'), { file: 'y.yml' }).ok).toBe(true);
  });

  it('a group-by explosion: 40,000 groups, each its own key, in bounded time; only the groups with two events fire; nothing is held after', async () => {
    const h = await make();
    expect(h.engine.putRules(corr('1m'), { file: 'x.yml' }).ok).toBe(true);
    expect(h.engine.putRules('RULE "bystander" SOURCES kind = "a" FILTER function (e) { return e.n % 1000 === 0; } SINK function (e) { return { n: e.n }; }\n').ok).toBe(true);
    const n = 40_000;
    // Each user's events: one, or two within the minute (every seventh), or two 61 s apart (every eleventh).
    const events: Record<string, unknown>[] = [];
    const expected = new Set<string>();
    for (let i = 0; i < n; i++) {
      const t = T0 + i * 10;
      events.push({ timestamp: t, kind: 'a', User: `user-${i}`, n: i });
      if (i % 7 === 0) {
        events.push({ timestamp: t + 30_000, kind: 'a', User: `user-${i}`, n: -1 });
        expected.add(`user-${i}`);
      } else if (i % 11 === 0) events.push({ timestamp: t + 61_000, kind: 'a', User: `user-${i}`, n: -1 });
    }
    events.sort((x, y) => (x.timestamp as number) - (y.timestamp as number));
    const started = performance.now();
    for (let i = 0; i < events.length; i += 1000) h.engine.push(events.slice(i, i + 1000));
    h.engine.flush();
    const ms = performance.now() - started;
    const alerts = plain(h.take());
    const fired = alerts.filter((a) => a.rule === 'Corr').map((a) => a.User as string);
    expect(new Set(fired)).toEqual(expected);
    expect(fired.length).toBe(expected.size);
    // The bystander's alerts are what they are without the correlation.
    expect(alerts.filter((a) => a.rule === 'bystander').map((a) => a.n)).toEqual(Array.from({ length: n / 1000 }, (_, i) => i * 1000));
    console.log(`group-by explosion: ${events.length} events, ${n} groups, ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(30_000);
    // The windows let go of everything once the watermark passed them.
    const state = (h.engine as unknown as { registry: { get(name: string): { state: { windows: { openPaneCount: number } } } } }).registry.get('Corr').state.windows;
    expect(state.openPaneCount).toBe(0);
  });

  it('a chain of a 30-day correlation under a 1-second one keeps at most 2,000 panes per window (the engine\'s window limit) and still fires exactly', async () => {
    // Days apart in one batch: no jump quarantine for this replay.
    const h = await make({ maxJumpMs: Infinity });
    const text = `title: Outer\ncorrelation:\n    type: temporal_ordered\n    rules: [inner, b]\n    group-by: [User]\n    timespan: 1s\n---\ntitle: Inner\nname: inner\ncorrelation:\n    type: event_count\n    rules: [a]\n    group-by: [User]\n    timespan: 30d\n    condition:\n        gte: 2\n---\n${base}---\n${base.replace(/\ba\b/g, 'b')}`;
    const result = h.engine.putRules(text, { file: 'x.yml' });
    expect(result.diagnostics).toEqual([]);
    const window = (h.engine as unknown as { registry: { get(name: string): { plan: { aggregation: { window: { lengthMs: number; slideMs: number } } } } } }).registry.get('Outer').plan.aggregation.window;
    expect(window.lengthMs / window.slideMs).toBeLessThanOrEqual(2000);
    expect(window.lengthMs).toBeGreaterThanOrEqual(30 * 86_400_000 + 1000);
    const day = 86_400_000;
    h.engine.push([
      { timestamp: T0, kind: 'a', User: 'u' },
      { timestamp: T0 + 10 * day, kind: 'a', User: 'u' },
      { timestamp: T0 + 10 * day + 500, kind: 'b', User: 'u' },
      { timestamp: T0 + 20 * day, kind: 'b', User: 'u' },
      { timestamp: T0 + 35 * day, kind: 'a', User: 'u' },
      { timestamp: T0 + 35 * day + 999, kind: 'b', User: 'u' },
      { timestamp: T0 + 66 * day, kind: 'a', User: 'u' }, // 31 days after the last: the inner does not fire
      { timestamp: T0 + 66 * day + 1, kind: 'b', User: 'u' },
    ]);
    h.engine.flush();
    // Day 35: the a of day 10 is within 30 days (day 0 is not): the inner fires again, and b follows within 1 s.
    expect(plain(h.take()).map((a) => [a.rule, (a.time as number) - T0])).toEqual([
      ['Outer', 10 * day + 500],
      ['Outer', 35 * day + 999],
    ]);
  });

  it('attacker-chosen group values (__proto__, constructor, huge strings, objects) are ordinary group values', async () => {
    const h = await make();
    expect(h.engine.putRules(corr('1m', '[User, Host]'), { file: 'x.yml' }).ok).toBe(true);
    const big = 'x'.repeat(100_000);
    const users = ['__proto__', 'constructor', big, '{"a":1}'];
    const events = users.flatMap((User, i) => [
      { timestamp: T0 + i, kind: 'a', User, Host: { nested: ['toString'] } },
      { timestamp: T0 + 100 + i, kind: 'a', User, Host: { nested: ['toString'] } },
    ]);
    events.push({ timestamp: T0 + 200, kind: 'a', User: { a: 1 } as unknown as string, Host: { nested: ['toString'] } });
    h.engine.push(events);
    h.engine.flush();
    const alerts = h.take();
    expect(alerts.map((a) => a.User)).toEqual(users);
    for (const a of alerts) expect(Object.prototype.hasOwnProperty.call(a, 'User')).toBe(true);
    expect(({} as Record<string, unknown>).nested).toBeUndefined();
  });

  it('a late event beyond every window, a bad time, an event far in the future: reported, and the engine goes on', async () => {
    const h = await make({ maxJumpMs: 3_600_000 });
    expect(h.engine.putRules(corr('10s'), { file: 'x.yml' }).ok).toBe(true);
    h.engine.push([
      // Two events the rule does not match: a clock starts once three agree on the time (watermark.ts).
      { timestamp: T0, kind: 'b' },
      { timestamp: T0, kind: 'b' },
      { timestamp: T0, kind: 'a', User: 'u' },
      { timestamp: T0 + 1e12, kind: 'a', User: 'u' }, // forged: quarantined, moves no time
      { timestamp: T0 + 60_000, kind: 'a', User: 'v' },
      { timestamp: T0 + 1, kind: 'a', User: 'u' }, // late: the watermark is at T0 + 60 s
      { timestamp: 'not a time', kind: 'a', User: 'u' },
      { timestamp: T0 + 61_000, kind: 'a', User: 'v' },
    ]);
    h.engine.flush();
    expect(plain(h.take()).map((a) => [a.User, a.time])).toEqual([['v', T0 + 61_000]]);
    expect(h.diagnostics.map((d) => d.code).sort()).toEqual(['vigil.future', 'vigil.late', 'vigil.time']);
  });
});
