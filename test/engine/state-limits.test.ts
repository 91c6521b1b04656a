/**
 * Per-rule state bounds (maxHeldEvents, maxStateKeys): input picks how many events a window holds
 * and how many keys a machine or SUPPRESS tracks, so a flood must fill one rule's bound, not the
 * process's memory. Each test compares with a naive model of the bound written here, and checks
 * that a rule the flood does not reach raises what it raises without the flood.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { harness, plain, type Harness } from './helpers.js';
import type { Alert } from '../../src/engine/engine.js';
import { Suppressor } from '../../src/engine/suppression.js';

const T0 = Date.UTC(2026, 0, 1);
const open: Harness[] = [];
afterEach(() => open.splice(0).forEach((h) => h.engine.dispose()));
const make = async (options = {}) => {
  const h = await harness({ outOfOrderMs: 0, ...options });
  open.push(h);
  return h;
};

const stats = (h: Harness, rule: string) => h.engine.rules().find((r) => r.name === rule)!.stats;
const limitReports = (h: Harness) => h.diagnostics.filter((d) => d.code === 'vigil.state-limit');

describe('maxHeldEvents', () => {
  const RULES = `
RULE "burst"
SOURCES kind = "conn"
USING ts
AGGREGATE BY src
WITHIN 10:sec, 10:sec
HAVING function (events) { return events.length >= 3; }
SINK function (w) { return { src: w.src, count: w.count }; }

RULE "lookups"
SOURCES kind = "dns"
USING ts
AGGREGATE BY q
WITHIN 10:sec, 10:sec
HAVING function (events) { return events.length >= 2; }
SINK function (w) { return { q: w.q, count: w.count }; }
`;
  type Conn = { kind: 'conn'; src: string; ts: number };
  type Dns = { kind: 'dns'; q: string; ts: number };

  /**
   * The naive model of "burst" with a bound: tumbling 10 s windows; an event is kept while fewer
   * than `limit` are held. A window's events leave when it closes: right after the event that
   * moves time past its end (outOfOrderMs 0) has been placed, so that event still finds them held.
   */
  function burstModel(events: (Conn | Dns)[], limit: number) {
    const alerts: { src: string; count: number; windowEnd: number }[] = [];
    let shed = 0;
    let episodes = 0;
    let shedding = false;
    let heldCount = 0;
    let watermark = -Infinity;
    const windows = new Map<number, Map<string, number>>(); // end → src → count
    for (const e of events) {
      if (e.kind === 'conn' && heldCount >= limit) {
        shed++;
        if (!shedding) episodes++;
        shedding = true;
      } else if (e.kind === 'conn') {
        shedding = false;
        const end = Math.floor(e.ts / 10_000) * 10_000 + 10_000;
        let held = windows.get(end);
        if (!held) windows.set(end, (held = new Map()));
        held.set(e.src, (held.get(e.src) ?? 0) + 1);
        heldCount++;
      }
      watermark = Math.max(watermark, e.ts);
      for (const [end, held] of [...windows].sort((a, b) => a[0] - b[0])) {
        if (end > watermark) continue;
        for (const [src, count] of held) {
          if (count >= 3) alerts.push({ src, count, windowEnd: end });
          heldCount -= count;
        }
        windows.delete(end);
      }
    }
    for (const [end, held] of windows) for (const [src, count] of held) if (count >= 3) alerts.push({ src, count, windowEnd: end });
    return { alerts, shed, episodes };
  }

  it('keeps a flooded rule to its bound, sheds and reports the rest, and leaves other rules as they were', async () => {
    const LIMIT = 50;
    const conns: Conn[] = [];
    const dns: Dns[] = [];
    const all: (Conn | Dns)[] = [];
    let t = T0;
    const conn = (src: string) => {
      const e: Conn = { kind: 'conn', src, ts: (t += 10) };
      conns.push(e);
      all.push(e);
    };
    const lookup = (q: string) => {
      const e: Dns = { kind: 'dns', q, ts: (t += 10) };
      dns.push(e);
      all.push(e);
    };
    // Window 1: a real burst, then a flood of spoofed sources with a second burst hidden behind it.
    for (let i = 0; i < 3; i++) conn('10.0.0.1');
    for (let i = 0; i < 80; i++) {
      conn(`198.51.100.${i}`);
      if (i % 10 === 0) lookup('evil.example');
    }
    for (let i = 0; i < 3; i++) conn('10.0.0.2');
    // Window 2: quiet, under the bound: kept again (the episode ends).
    t = T0 + 20_000;
    for (let i = 0; i < 4; i++) conn('10.0.0.3');
    lookup('b.example');
    lookup('b.example');
    // Window 3: flooded again: a second report.
    t = T0 + 40_000;
    for (let i = 0; i < LIMIT + 5; i++) conn(`203.0.113.${i % 60}`);
    // Closes window 3.
    t = T0 + 60_000;
    conn('10.0.0.9');

    const h = await make({ maxHeldEvents: LIMIT });
    h.rules(RULES);
    const pushes: (Conn | Dns)[][] = [];
    for (let i = 0; i < all.length; i += 7) pushes.push(all.slice(i, i + 7));
    for (const push of pushes) h.engine.push(push);
    h.engine.flush();
    const alerts = plain(h.take());
    const model = burstModel(all, LIMIT);
    expect(model.shed).toBeGreaterThan(30); // the scenario does shed
    expect(model.episodes).toBeGreaterThanOrEqual(2);
    expect(alerts.filter((a) => a.rule === 'burst').map(({ src, count, windowEnd }) => ({ src, count, windowEnd }))).toEqual(model.alerts);
    expect(stats(h, 'burst').shed).toBe(model.shed);
    const reports = limitReports(h);
    expect(reports).toHaveLength(model.episodes);
    expect(reports.every((d) => d.rule === 'burst' && d.limit === LIMIT && /maxHeldEvents/.test(d.message))).toBe(true);

    // The rule the flood did not reach raises what it raises on its own events in a fresh engine.
    const alone = await make({ maxHeldEvents: LIMIT });
    alone.rules(RULES);
    alone.engine.push(dns);
    alone.engine.flush();
    const dnsAlerts = (list: Alert[]) => plain(list).filter((a) => a.rule === 'lookups');
    expect(dnsAlerts(alerts)).toEqual(dnsAlerts(alone.take()));
    expect(dnsAlerts(alerts)).toHaveLength(2);
    expect(stats(h, 'lookups').shed).toBe(0);
  });

  it('without a flood, raises exactly what an unbounded engine raises', async () => {
    const events: Conn[] = [];
    for (let i = 0; i < 400; i++) events.push({ kind: 'conn', src: `h${(i * 7) % 13}`, ts: T0 + i * 137 });
    const bounded = await make({ maxHeldEvents: 200 });
    const unbounded = await make({ maxHeldEvents: Number.MAX_SAFE_INTEGER });
    for (const h of [bounded, unbounded]) {
      h.rules(RULES);
      h.engine.push(events);
      h.engine.flush();
    }
    expect(plain(bounded.take())).toEqual(plain(unbounded.take()));
    expect(stats(bounded, 'burst').shed).toBe(0);
  });

  it('refuses a bound below 1', async () => {
    await expect(make({ maxHeldEvents: 0 })).rejects.toThrow(/maxHeldEvents/);
    await expect(make({ maxStateKeys: Number.NaN })).rejects.toThrow(/maxStateKeys/);
  });
});

describe('maxStateKeys on a STATE MACHINE', () => {
  const MACHINE = `
RULE "protocol"
SOURCES kind = "packet"
USING ts
STATE MACHINE BY src ON type
  INITIAL: a -> W;
  W: b -> Y;
  Y: g -> TERM;
SINK function (alert) { return { src: alert.key.src, state: alert.state, type: alert.eventType }; }
`;
  const TRANSITIONS: Record<string, Record<string, string>> = { INITIAL: { a: 'W' }, W: { b: 'Y' }, Y: { g: 'TERM' } };

  /**
   * The naive machine with a key bound, pushed in `size` events at a time: a key the machine does
   * not hold when the push starts is taken while room is left (the bound less the keys held when
   * the push started, less the keys taken in it); otherwise its event is not stepped.
   */
  function machineModel(steps: [string, string][], limit: number, size: number) {
    const states = new Map<string, string>();
    const alerts: { src: string; state: string; type: string }[] = [];
    let shed = 0;
    for (let from = 0; from < steps.length; from += size) {
      const known = new Set(states.keys());
      const taken = new Set<string>();
      let room = limit - states.size;
      for (const [src, type] of steps.slice(from, from + size)) {
        if (!known.has(src) && !taken.has(src)) {
          if (room <= 0) {
            shed++;
            continue;
          }
          room--;
          taken.add(src);
        }
        const state = states.get(src) ?? 'INITIAL';
        const to = TRANSITIONS[state]![type];
        if (to === undefined) {
          alerts.push({ src, state, type });
          continue;
        }
        if (to === 'TERM') states.delete(src);
        else states.set(src, to);
      }
    }
    return { alerts, shed };
  }

  it('keeps following the keys it holds while new keys are shed, and takes new ones once keys leave', async () => {
    const LIMIT = 5;
    const steps: [string, string][] = [];
    for (let k = 0; k < 10; k++) steps.push([`k${k}`, 'a']); // k5…k9 are shed
    for (let k = 0; k < 10; k++) steps.push([`k${k}`, 'g']); // k0…k4 in W: invalid; k5…k9 shed
    steps.push(['k0', 'b'], ['k0', 'g'], ['k9', 'a'], ['k9', 'b']); // k0 reaches TERM and leaves: room for one, from the next push
    steps.push(['k7', 'a'], ['k7', 'a'], ['k8', 'a'], ['k8', 'a']); // k7 is taken (then invalid in W); k8 is shed
    const PUSH = 4;
    const model = machineModel(steps, LIMIT, PUSH);
    expect(model.alerts.some((a) => a.src === 'k7')).toBe(true); // the freed room is used

    const h = await make({ maxStateKeys: LIMIT });
    h.rules(MACHINE);
    const events = steps.map(([src, type], i) => ({ kind: 'packet', src, type, ts: T0 + i * 1000 }));
    for (let i = 0; i < events.length; i += PUSH) h.engine.push(events.slice(i, i + PUSH));
    expect(plain(h.take()).map(({ src, state, type }) => ({ src, state, type }))).toEqual(model.alerts);
    expect(stats(h, 'protocol').shed).toBe(model.shed);
    expect(limitReports(h).length).toBeGreaterThanOrEqual(1);
    expect(limitReports(h)[0]).toMatchObject({ rule: 'protocol', limit: LIMIT });
    expect(limitReports(h)[0]!.message).toMatch(/state machine holds 5 keys \(maxStateKeys\)/);
  });
});

describe('maxStateKeys on SUPPRESS', () => {
  const RULE = `
RULE "failed login"
SOURCES kind = "auth"
FILTER function (e) { return e.ok === false; }
SINK function (e) { return { user: e.user }; }
SUPPRESS FOR 10:min BY user
`;

  it('raises a new key past the bound without opening a period, so a flood of keys hides no detection', async () => {
    const LIMIT = 5;
    const users = Array.from({ length: 10 }, (_, i) => `u${i}`);
    // Each user fails twice, a minute apart; all inside one period.
    const events = [...users, ...users].map((user, i) => ({ kind: 'auth', ok: false, user, ts: T0 + i * 60_000 }));
    const h = await make({ maxStateKeys: LIMIT });
    h.rules(RULE);
    h.engine.push(events);
    // Model: the first LIMIT users open periods (their repeat is held back); the others are not
    // tracked, so both of their alerts are raised and each counts as shed.
    const raised = plain(h.take()).map((a) => a.user);
    expect(raised).toEqual([...users, ...users.slice(LIMIT)]);
    expect(stats(h, 'failed login')).toMatchObject({ suppressed: LIMIT, shed: 2 * (users.length - LIMIT) });
    expect(limitReports(h)).toHaveLength(1);
    expect(limitReports(h)[0]!.message).toMatch(/SUPPRESS holds 5 keys/);
  });
});

describe('the SUPPRESS bound, at scale and over time', () => {
  it('answers a flood of new keys against a full map without reading the map per alert', () => {
    // Before, each new key at the bound swept the whole map: 100,000 keys × 100,000 alerts
    // (10^10 steps, far past the test's timeout). Now each costs a look at the oldest key.
    const KEYS = 100_000;
    const suppressor = new Suppressor(60_000);
    for (let i = 0; i < KEYS; i++) expect(suppressor.admit([`held${i}`], T0, 1, KEYS).raise).toBe(true);
    let untracked = 0;
    for (let i = 0; i < KEYS; i++) if ((suppressor.admit([`new${i}`], T0 + 1, 1, KEYS) as { untracked?: boolean }).untracked) untracked++;
    expect(untracked).toBe(KEYS);
    expect(suppressor.size).toBe(KEYS);
  });

  it('makes room as the oldest periods end, oldest first, a renewed key counting from its renewal', () => {
    const suppressor = new Suppressor(10_000);
    const admit = (key: string, at: number) => suppressor.admit([key], at, 1, 3);
    admit('a', T0);
    admit('b', T0 + 1_000);
    admit('c', T0 + 2_000);
    // a's period ended at T0+10s: renewed, it moves behind c.
    expect(admit('a', T0 + 10_500)).toEqual({ raise: true });
    // Full (a, b, c live at T0+10.5s, b's period ends at T0+11s): d is not tracked.
    expect(admit('d', T0 + 10_600)).toMatchObject({ raise: true, untracked: true });
    // At T0+11.5s b's period is over: d takes its place (and its repeat is held back).
    expect(admit('d', T0 + 11_500)).toEqual({ raise: true });
    expect(admit('d', T0 + 11_600)).toEqual({ raise: false });
    // c (ends T0+12s) is next, then a (T0+20.5s): at T0+13s one more key fits, not two.
    expect(admit('e', T0 + 13_000)).toEqual({ raise: true });
    expect(admit('f', T0 + 13_100)).toMatchObject({ untracked: true });
  });

  it('reports each time the bound is reached again after it had room, not for every alert in between', async () => {
    const h = await make({ maxStateKeys: 2 });
    h.rules(`
RULE "failed login"
SOURCES kind = "auth"
USING ts
SINK function (e) { return { user: e.user }; }
SUPPRESS FOR 1:min BY user
`);
    const burst = (at: number, users: string[]) => h.engine.push(users.map((user, i) => ({ kind: 'auth', user, ts: at + i })));
    burst(T0, ['a', 'b', 'c', 'd', 'a', 'b']); // c and d untracked: one report
    burst(T0 + 10_000, ['e', 'a']); // still full: no new report
    burst(T0 + 120_000, ['f', 'g', 'h']); // the periods ended: f and g tracked, h untracked: a second report
    expect(limitReports(h)).toHaveLength(2);
    expect(stats(h, 'failed login').shed).toBe(4);
  });
});
