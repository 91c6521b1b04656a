/**
 * Triage logic, pure and in the worker: grouping, sorting, time ranges, histogram, CSV/JSONL export
 * (parsed back with d3-dsv and compared with the rows), retention (against a naive model), the alert
 * store across a "reload" (a new store on the same backend) with statuses and a failing backend.
 */
import { csvParse } from 'd3-dsv';
import { describe, expect, it } from 'vitest';
import type { AlertStatus, TriageAlert } from '../../src/runtime/worker/protocol.js';
import { clampRetention, retentionCut } from '../../web/lib/alert-retention.js';
import { alertEventTime, defuseFormula, fieldText, groupAlerts, histogram, inTimeRange, sortAlerts, toCsv, toJsonl } from '../../web/lib/alert-triage.js';
import { AlertStore, MemoryAlertBackend } from '../../web/worker/alert-store.js';
import { FakeTimer } from './fake-timer.js';

const T0 = Date.UTC(2026, 0, 1);
const RULES = ['login from bad ip', 'brute force', 'port scan'];
const USERS = ['root', 'alice', 'bob', '=cmd|calc', 'eve, "the spy"'];

/** Seeded rows (a small LCG): reproducible, varied, some without a user or an event time. */
function rows(n: number, seed = 7): TriageAlert[] {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const out: TriageAlert[] = [];
  for (let i = 1; i <= n; i++) {
    const rule = RULES[Math.floor(rnd() * RULES.length)]!;
    const user = rnd() < 0.1 ? undefined : USERS[Math.floor(rnd() * USERS.length)]!;
    const at = T0 + i * 1000;
    const alert: TriageAlert['alert'] = { rule, ...(user !== undefined ? { user } : {}), failures: Math.floor(rnd() * 30) };
    if (rule === 'brute force') Object.assign(alert, { key: { user: user ?? null, server: 'db1' }, windowStart: at - 120_000, windowEnd: at - 60_000 });
    const status: AlertStatus = (['new', 'acknowledged', 'closed'] as const)[Math.floor(rnd() * 3)]!;
    out.push({ id: i, at, alert, status, ...(alertEventTime(alert) !== undefined ? { eventTime: alertEventTime(alert)! } : {}) });
  }
  return out;
}

describe('triage logic', () => {
  const data = rows(500);

  it('groups by rule, key or a field with counts equal to a recount', () => {
    for (const field of ['rule', 'key', 'user', 'status', 'failures']) {
      const groups = groupAlerts(data, field);
      const recount = new Map<string, number>();
      for (const r of data) {
        const v = field === 'rule' ? r.alert.rule : field === 'status' ? r.status : field === 'key' ? (r.alert.key === undefined ? '' : JSON.stringify(r.alert.key)) : r.alert[field] === undefined ? '' : String(r.alert[field]);
        recount.set(v, (recount.get(v) ?? 0) + 1);
      }
      expect(new Map(groups.map((g) => [g.value, g.count]))).toEqual(recount);
      expect(groups.reduce((s, g) => s + g.count, 0)).toBe(data.length);
      for (let i = 1; i < groups.length; i++) expect(groups[i - 1]!.count).toBeGreaterThanOrEqual(groups[i]!.count);
      for (const g of groups) expect(g.statuses.new + g.statuses.acknowledged + g.statuses.closed).toBe(g.count);
    }
  });

  it('sorts by any column, missing values last, numbers as numbers', () => {
    const byFailures = sortAlerts(data, 'failures', 'asc').map((r) => r.alert.failures as number);
    expect(byFailures).toEqual([...byFailures].sort((a, b) => a - b));
    const byUser = sortAlerts(data, 'user', 'desc');
    const present = byUser.filter((r) => r.alert.user !== undefined).map((r) => r.alert.user as string);
    expect(present).toEqual([...present].sort().reverse());
    expect(byUser.slice(present.length).every((r) => r.alert.user === undefined)).toBe(true);
    const byEventTime = sortAlerts(data, 'eventTime', 'asc').filter((r) => r.eventTime !== undefined);
    for (let i = 1; i < byEventTime.length; i++) expect(byEventTime[i]!.eventTime!).toBeGreaterThanOrEqual(byEventTime[i - 1]!.eventTime!);
  });

  it('takes the event time from a time field, else the window end', () => {
    expect(alertEventTime({ rule: 'x', timestamp: '2026-01-01T00:00:05Z' })).toBe(T0 + 5000);
    expect(alertEventTime({ rule: 'x', windowEnd: T0 + 60_000 })).toBe(T0 + 60_000);
    expect(alertEventTime({ rule: 'x', user: 'root' })).toBeUndefined();
  });

  it('cuts a time range half-open and bins a histogram whose counts add up', () => {
    const from = T0 + 100_000;
    const to = T0 + 250_000;
    const inRange = inTimeRange(data, { from, to }, 'at');
    expect(inRange.length).toBe(data.filter((r) => r.at >= from && r.at < to).length);
    expect(inRange.length).toBe(150);
    const bins = histogram(data, 'at', T0, T0 + 600_000, 60_000);
    expect(bins.length).toBe(10);
    expect(bins.reduce((s, b) => s + b.count, 0)).toBe(data.filter((r) => r.at < T0 + 600_000).length);
  });

  it('exports CSV that parses back to the rows (quotes, commas, formulas defused) and JSONL a line per row', () => {
    const shown = sortAlerts(data.slice(0, 120), 'user', 'asc');
    const parsed = csvParse(toCsv(shown));
    expect(parsed.length).toBe(shown.length);
    parsed.forEach((row, i) => {
      const r = shown[i]!;
      expect(Number(row.id)).toBe(r.id);
      expect(row.rule).toBe(r.alert.rule);
      expect(row.status).toBe(r.status);
      expect(row.user).toBe(r.alert.user === undefined ? '' : defuseFormula(String(r.alert.user)));
      expect(row.eventTime).toBe(r.eventTime === undefined ? '' : new Date(r.eventTime).toISOString());
      if (r.alert.key) expect(JSON.parse(row.key!)).toEqual(r.alert.key);
    });
    expect(parsed.some((row) => row.user === "'=cmd|calc")).toBe(true);
    const lines = toJsonl(shown).trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).id)).toEqual(shown.map((r) => r.id));
    expect(lines.map((l) => JSON.parse(l).alert)).toEqual(shown.map((r) => r.alert));
  });

  it('cuts by count and by age like a naive model, and clamps the setting', () => {
    const day = 86_400_000;
    for (let trial = 0; trial < 50; trial++) {
      const n = (trial * 37) % 300;
      const times = Array.from({ length: n }, (_, i) => T0 + i * ((trial % 5) + 1) * 3600_000);
      const retention = { maxAlerts: 100 + (trial % 4) * 50, maxDays: 1 + (trial % 3) };
      const now = (times.at(-1) ?? T0) + (trial % 7) * 3600_000;
      const kept = times.filter((t, i) => i >= times.length - retention.maxAlerts && t >= now - retention.maxDays * day);
      expect(times.length - retentionCut(times, retention, now)).toBe(kept.length);
    }
    expect(clampRetention({ maxAlerts: 5, maxDays: 1e9 })).toEqual({ maxAlerts: 100, maxDays: 365 });
    expect(clampRetention({ maxAlerts: Number.NaN }, { maxAlerts: 3000, maxDays: 3 })).toEqual({ maxAlerts: 3000, maxDays: 3 });
  });
});

describe('alert store', () => {
  const envelope = (id: number, at: number) => ({ id, at, alert: { rule: 'r', n: id, windowEnd: at - 1000 } });

  it('keeps alerts and statuses across a reload, within the retention', async () => {
    const timer = new FakeTimer(T0);
    const backend = new MemoryAlertBackend();
    const reports: string[] = [];
    const store = new AlertStore(backend, timer.now, (m) => reports.push(m), timer);
    expect(await store.open()).toBe(0);
    await store.setRetention({ maxAlerts: 100 });
    for (let i = 1; i <= 250; i++) store.add(envelope(i, T0 + i));
    expect(store.setStatus([240, 241, 999], 'acknowledged', 'carol')).toBe(2);
    expect(store.setStatus([245], 'closed', '')).toBe(1);
    timer.advance(1000);
    await store.flush();
    expect([...backend.alerts.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => 151 + i));

    const reloaded = new AlertStore(backend, timer.now, (m) => reports.push(m), timer);
    expect(await reloaded.open()).toBe(250);
    expect(reloaded.getRetention().maxAlerts).toBe(100);
    const byId = new Map(reloaded.all().map((r) => [r.id, r]));
    expect(byId.get(240)).toMatchObject({ status: 'acknowledged', statusBy: 'carol', statusAt: T0, eventTime: T0 + 240 - 1000 });
    expect(byId.get(245)).toMatchObject({ status: 'closed', statusBy: 'analyst' });
    expect(byId.get(200)!.status).toBe('new');
    // Reopened: who and when go.
    reloaded.setStatus([240], 'new', 'dave');
    await reloaded.flush();
    expect(backend.alerts.get(240)!.statusBy).toBeUndefined();
    // Older than the days bound: gone at the next write.
    timer.advance(8 * 86_400_000);
    reloaded.add(envelope(251, timer.now()));
    await reloaded.flush();
    expect([...backend.alerts.keys()]).toEqual([251]);
    expect(reports).toEqual([]);
  });

  it('skips records it cannot read, and retries a failed write without losing alerts', async () => {
    const timer = new FakeTimer(T0);
    const backend = new MemoryAlertBackend();
    backend.alerts.set(1, { id: 1, at: T0, alert: { rule: 'ok' }, status: 'bogus' as AlertStatus });
    backend.alerts.set(2, { id: 'x', at: T0 } as unknown as TriageAlert);
    const reports: string[] = [];
    const store = new AlertStore(backend, timer.now, (m) => reports.push(m), timer);
    expect(await store.open()).toBe(1);
    expect(store.all().map((r) => [r.id, r.status])).toEqual([[1, 'new']]);
    let fail = true;
    const put = backend.put.bind(backend);
    backend.put = async (alerts) => {
      if (fail) throw new Error('QuotaExceededError');
      return put(alerts);
    };
    store.add(envelope(3, T0 + 3));
    await store.flush();
    expect(reports).toEqual(['could not save the kept alerts: QuotaExceededError (retrying every 1 s)']);
    fail = false;
    timer.advance(1000);
    await store.flush();
    expect(backend.alerts.has(3)).toBe(true);
    expect(reports.at(-1)).toBe('the kept alerts are being saved again');
  });
});

describe('field text', () => {
  it('reads dotted paths and the envelope columns', () => {
    const r: TriageAlert = { id: 4, at: T0, status: 'closed', statusBy: 'x', alert: { rule: 'r', source: { ip: '10.0.0.1' } } };
    expect(fieldText(r, 'source.ip')).toBe('10.0.0.1');
    expect(fieldText(r, 'status')).toBe('closed');
    expect(fieldText(r, 'missing')).toBe('');
  });
});
