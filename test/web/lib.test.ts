import { describe, expect, it } from 'vitest';
import { filterAlerts, parseQuery } from '../../web/lib/alert-filter.js';
import { diffLines } from '../../web/lib/diff.js';
import { alertSummary, fmtCount } from '../../web/lib/format.js';
import { formatRoute, parseRoute } from '../../web/lib/router.js';
import { RateSeries } from '../../web/lib/series.js';
import { sourceAddress, SourceCounter } from '../../web/worker/top-sources.js';

describe('routes', () => {
  it('parses views, items and parameters, and formats them back', () => {
    expect(parseRoute('#/rules/brute%20force')).toEqual({ view: 'rules', item: 'brute force', params: {} });
    expect(parseRoute('#/alerts?rule=x&q=user%3Aroot')).toEqual({ view: 'alerts', params: { rule: 'x', q: 'user:root' } });
    expect(parseRoute('').view).toBe('alerts');
    expect(parseRoute('#/nope').view).toBe('alerts');
    expect(formatRoute({ view: 'rules', item: 'a b' })).toBe('#/rules/a%20b');
    expect(formatRoute({ view: 'alerts', params: { rule: 'r', q: '' } })).toBe('#/alerts?rule=r');
  });
});

describe('alert search', () => {
  const alerts = [
    { id: 1, alert: { rule: 'brute force', user: 'root', key: { server: 'srv-01' } } },
    { id: 2, alert: { rule: 'login from bad ip', user: 'alice', sourceAddress: '203.0.113.3' } },
    { id: 3, alert: { rule: 'brute force', user: 'bob', key: { server: 'srv-02' } } },
  ];
  it('filters by rule, words and field:value; newest first', () => {
    expect(filterAlerts(alerts, { rule: '', text: '' }).map((a) => a.id)).toEqual([3, 2, 1]);
    expect(filterAlerts(alerts, { rule: 'brute force', text: '' }).map((a) => a.id)).toEqual([3, 1]);
    expect(filterAlerts(alerts, { rule: '', text: 'user:ROOT' }).map((a) => a.id)).toEqual([1]);
    expect(filterAlerts(alerts, { rule: '', text: 'server:srv-02' }).map((a) => a.id)).toEqual([3]);
    expect(filterAlerts(alerts, { rule: '', text: '203.0.113' }).map((a) => a.id)).toEqual([2]);
    expect(filterAlerts(alerts, { rule: '', text: 'rule:"bad ip" alice' }).map((a) => a.id)).toEqual([2]);
  });
  it('parses quoted terms', () => {
    expect(parseQuery('rule:"brute force" x')).toEqual([{ field: 'rule', value: 'brute force' }, { value: 'x' }]);
  });
});

describe('rate series', () => {
  it('measures rates over at least the span, and starts over when counters go back', () => {
    const s = new RateSeries(['events'], 60_000, 1000);
    s.add({ time: 0, events: 0 });
    s.add({ time: 250, events: 50 });
    expect(s.values()).toHaveLength(0);
    s.add({ time: 1000, events: 200 });
    expect(s.latest()!.events).toBeCloseTo(200);
    s.add({ time: 2000, events: 600 });
    expect(s.latest()!.events).toBeCloseTo(400);
    s.add({ time: 2500, events: 10 });
    expect(s.latest()!.time).toBe(2000);
  });
  it('forgets points older than the window', () => {
    const s = new RateSeries(['n'], 5000, 1000);
    for (let t = 0; t <= 20_000; t += 250) s.add({ time: t, n: t });
    expect(s.values()[0]!.time).toBeGreaterThanOrEqual(15_000);
  });
});

describe('line diff', () => {
  it('finds added and removed lines', () => {
    const d = diffLines('a\nb\nc', 'a\nx\nc\nd');
    expect(d.map((l) => `${l.op}:${l.text}`)).toEqual(['same:a', 'add:x', 'del:b', 'same:c', 'add:d']);
  });
  it('a created rule is all additions', () => {
    expect(diffLines('', 'a\nb').every((l) => l.op === 'add')).toBe(true);
  });
});

describe('formatting and sources', () => {
  it('formats counts compactly', () => {
    expect(fmtCount(999)).toBe('999');
    expect(fmtCount(9730)).toBe('9.73k');
    expect(fmtCount(2_500_000)).toBe('2.50M');
  });
  it('summarises alerts without rule, window and events', () => {
    expect(alertSummary({ rule: 'r', user: 'u', events: [1], windowStart: 1, failures: 3 })).toBe('user=u failures=3');
  });
  it('finds source addresses and counts them over a sliding minute', () => {
    expect(sourceAddress({ sourceAddress: '1.1.1.1' })).toBe('1.1.1.1');
    expect(sourceAddress({ source: { ip: '2.2.2.2' } })).toBe('2.2.2.2');
    let now = 0;
    const c = new SourceCounter(60, () => now);
    c.add([{ src_ip: 'a' }, { src_ip: 'a' }, { src_ip: 'b' }, { other: 1 }]);
    now = 30_000;
    c.add([{ src_ip: 'b' }, { src_ip: 'b' }]);
    expect(c.top(5)).toEqual([{ address: 'b', count: 3 }, { address: 'a', count: 2 }]);
    now = 61_000;
    expect(c.top(5)).toEqual([{ address: 'b', count: 2 }]);
  });
});
