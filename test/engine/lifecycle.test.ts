import { afterEach, describe, expect, it } from 'vitest';
import { harness, plain, type Harness } from './helpers.js';

let h: Harness;
afterEach(() => h?.engine.dispose());

const T0 = Date.UTC(2026, 0, 1);
const rule = (name: string, threshold: number) => `
RULE "${name}" SOURCES kind = "x" FILTER function (e) { return e.v > ${threshold}; } SINK function (e) { return { v: e.v }; }`;

describe('rules changing while events flow', () => {
  it('adds, replaces and removes rules between batches with exact alerts', async () => {
    h = await harness();
    h.rules(rule('big', 10));
    h.engine.push([{ kind: 'x', v: 5 }, { kind: 'x', v: 15 }]);
    expect(h.take()).toEqual([{ rule: 'big', v: 15 }]);

    expect(h.engine.putRules(rule('small', 1)).added).toEqual(['small']);
    h.engine.push([{ kind: 'x', v: 5 }]);
    expect(h.take()).toEqual([{ rule: 'small', v: 5 }]);

    expect(h.engine.putRules(rule('big', 4)).replaced).toEqual(['big']);
    h.engine.push([{ kind: 'x', v: 5 }]);
    expect(h.take()).toEqual([
      { rule: 'big', v: 5 },
      { rule: 'small', v: 5 },
    ]);

    expect(h.engine.removeRule('small')).toBe(true);
    expect(h.engine.removeRule('small')).toBe(false);
    h.engine.push([{ kind: 'x', v: 5 }]);
    expect(h.take()).toEqual([{ rule: 'big', v: 5 }]);
    expect(h.engine.rules().map((r) => r.name)).toEqual(['big']);
  });

  it('keeps open windows when a replaced rule has the same key, time and windows', async () => {
    h = await harness({ outOfOrderMs: 0 });
    const agg = (min: number) => `
RULE "agg" SOURCES kind = "x" USING ts AGGREGATE BY k WITHIN 1:min, 1:min
HAVING function (events) { return events.length >= ${min}; } SINK function (a) { return { n: a.count }; }`;
    h.rules(agg(5));
    h.engine.push([1, 2, 3].map((i) => ({ kind: 'x', k: 1, ts: T0 + i })));
    h.rules(agg(3));
    h.engine.push([{ kind: 'x', k: 2, ts: T0 + 60_000 }]);
    expect(plain(h.take())).toEqual([{ rule: 'agg', key: { k: 1 }, windowStart: T0, windowEnd: T0 + 60_000, n: 3 }]);
  });

  it('applies nothing from a text with an error, and says where the error is', async () => {
    h = await harness();
    h.rules(rule('keep', 0));
    const result = h.engine.putRules(`${rule('new', 0)}\nRULE "broken" SOURCES kind = "x" FILTER function (e) { return e.v >; } SINK function (e) { return e; }`, { file: 'x.vgl' });
    expect(result.ok).toBe(false);
    expect(result.diagnostics[0]).toMatchObject({ file: 'x.vgl', severity: 'error', line: 3 });
    expect(h.engine.rules().map((r) => r.name)).toEqual(['keep']);
  });

  it('refuses an existing name with addRules but replaces it with putRules', async () => {
    h = await harness();
    h.rules(rule('r', 0));
    const result = h.engine.addRules(rule('r', 1));
    expect(result.ok).toBe(false);
    expect(result.diagnostics.map((d) => d.message)).toContain('rule "r" already exists');
    expect(h.engine.putRules(rule('r', 1)).ok).toBe(true);
  });

  it('keeps each rule\'s history with author and time, and reverts to an earlier version', async () => {
    h = await harness();
    h.engine.putRules(rule('r', 10), { author: 'ann' });
    h.clock.advance(1000);
    h.engine.putRules(rule('r', 20), { author: 'bob' });
    const history = h.engine.history('r');
    expect(history.map((v) => [v.version, v.action, v.author])).toEqual([
      [1, 'create', 'ann'],
      [2, 'replace', 'bob'],
    ]);
    expect(history[1].time - history[0].time).toBe(1000);
    h.engine.revertRule('r', 1, { author: 'cid' });
    h.engine.push([{ kind: 'x', v: 15 }]);
    expect(h.take()).toEqual([{ rule: 'r', v: 15 }]);
    expect(h.engine.history('r').at(-1)).toMatchObject({ version: 3, action: 'revert', author: 'cid' });
  });

  it('pauses and resumes a rule by hand', async () => {
    h = await harness();
    h.rules(rule('r', 0));
    h.engine.setRuleEnabled('r', false);
    h.engine.push([{ kind: 'x', v: 1 }]);
    h.engine.setRuleEnabled('r', true);
    h.engine.push([{ kind: 'x', v: 2 }]);
    expect(h.take()).toEqual([{ rule: 'r', v: 2 }]);
  });
});

describe('alerts re-enter the engine', () => {
  it('lets a rule select the alerts of another rule by name', async () => {
    h = await harness({ outOfOrderMs: 0 });
    h.rules(`
RULE "login failed" SOURCES kind = "auth" FILTER function (e) { return e.ok === false; } SINK function (e) { return { user: e.user, ts: e.ts }; }
RULE "many failures" SOURCES rule = "login failed" USING ts AGGREGATE BY user WITHIN 1:min, 1:min
HAVING function (alerts) { return alerts.length >= 2; } SINK function (a) { return { user: a.user, n: a.count }; }`);
    h.engine.push([
      { kind: 'auth', ok: false, user: 'ann', ts: T0 },
      { kind: 'auth', ok: false, user: 'ann', ts: T0 + 1 },
      { kind: 'auth', ok: true, user: 'ann', ts: T0 + 2 },
    ]);
    h.engine.flush();
    expect(plain(h.take())).toEqual([
      { rule: 'login failed', user: 'ann', ts: T0 },
      { rule: 'login failed', user: 'ann', ts: T0 + 1 },
      { rule: 'many failures', key: { user: 'ann' }, windowStart: T0, windowEnd: T0 + 60_000, user: 'ann', n: 2 },
    ]);
  });

  it('stops a chain of alerts deeper than 8 re-entries with a diagnostic', async () => {
    h = await harness();
    h.rules(`
RULE "seed" SOURCES kind = "x" SINK function (e) { return { hop: 0 }; }
RULE "ping" SOURCES rule = ["seed", "pong"] SINK function (a) { return { hop: a.hop + 1 }; }
RULE "pong" SOURCES rule = "ping" SINK function (a) { return { hop: a.hop + 1 }; }`);
    h.engine.push([{ kind: 'x' }]);
    const alerts = h.take();
    expect(alerts.map((a) => a.hop)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(alerts.map((a) => a.rule)).toEqual(['seed', 'ping', 'pong', 'ping', 'pong', 'ping', 'pong', 'ping', 'pong']);
    expect(h.diagnostics).toMatchObject([{ code: 'vigil.reentry', rules: ['pong'] }]);
  });

  it('does not route alerts by their other fields, so an identity SINK cannot loop', async () => {
    h = await harness();
    h.rules(`RULE "echo" SOURCES kind = "x" SINK function (e) { return e; }`);
    h.engine.push([{ kind: 'x' }]);
    expect(h.take()).toEqual([{ rule: 'echo', kind: 'x' }]);
  });
});

describe('misbehaving rules', () => {
  it('deactivates a rule that loops forever, says why, and the others carry on with the same results', async () => {
    h = await harness({ sandbox: { cpuMsPerEvent: 5, maxBatchMs: 50 } });
    h.rules(`
RULE "loop" SOURCES kind = "x" FILTER function (e) { while (true) {} } SINK function (e) { return e; }
RULE "fine" SOURCES kind = "x" FILTER function (e) { return e.v > 1; } SINK function (e) { return { v: e.v }; }`);
    h.engine.push([{ kind: 'x', v: 1 }, { kind: 'x', v: 2 }]);
    h.engine.push([{ kind: 'x', v: 3 }]);
    const alerts = plain(h.take());
    expect(alerts[0]).toMatchObject({ rule: 'vigil.rule.deactivated', deactivatedRule: 'loop', kind: 'cpu', phase: 'filter' });
    expect(alerts.slice(1)).toEqual([
      { rule: 'fine', v: 2 },
      { rule: 'fine', v: 3 },
    ]);
    const info = h.engine.rule('loop')!;
    expect(info.state).toBe('deactivated');
    expect(info.deactivation?.kind).toBe('cpu');
    expect(h.engine.metrics().deactivations).toBe(1);
  });

  it('lets alerts of the engine itself be selected by rules', async () => {
    h = await harness({ sandbox: { cpuMsPerEvent: 5, maxBatchMs: 50 } });
    h.rules(`
RULE "watchdog" SOURCES rule = "vigil.rule.deactivated" SINK function (a) { return { broken: a.deactivatedRule }; }
RULE "loop" SOURCES kind = "x" FILTER function (e) { for (;;) {} } SINK function (e) { return e; }`);
    h.engine.push([{ kind: 'x' }]);
    expect(h.take().map((a) => [a.rule, a.broken])).toEqual([
      ['vigil.rule.deactivated', undefined],
      ['watchdog', 'loop'],
    ]);
  });
});

describe('output', () => {
  it('delivers alerts to async iterators and reports metrics', async () => {
    h = await harness();
    h.rules(rule('r', 0));
    const iterator = h.engine.alerts();
    h.engine.push([{ kind: 'x', v: 1 }, { kind: 'x', v: 2 }, { kind: 'y', v: 3 }]);
    expect((await iterator.next()).value).toEqual({ rule: 'r', v: 1 });
    expect((await iterator.next()).value).toEqual({ rule: 'r', v: 2 });
    await iterator.return!();
    expect(h.engine.metrics()).toMatchObject({ eventsIn: 3, alertsOut: 2, lateEvents: 0, rules: { r: { routed: 2, matched: 2, alerts: 2 } } });
  });
});

describe('end of input', () => {
  it('lets the last alerts of a rule reach the windows of the rules they feed', async () => {
    h = await harness({ outOfOrderMs: 60_000 });
    h.rules(`
RULE "per minute" SOURCES kind = "x" USING ts AGGREGATE BY host WITHIN 1:min, 1:min SINK function (a) { return { host: a.host, n: a.count, ts: a.events[0].ts }; }
RULE "per hour" SOURCES rule = "per minute" USING ts AGGREGATE BY host WITHIN 1:h, 1:h SINK function (a) { return { host: a.host, minutes: a.count }; }`);
    h.engine.push([1, 2, 3].map((m) => ({ kind: 'x', host: 'h', ts: T0 + m * 60_000 })));
    h.engine.flush();
    expect(plain(h.take()).map((a) => [a.rule, a.n ?? a.minutes])).toEqual([
      ['per minute', 1],
      ['per minute', 1],
      ['per minute', 1],
      ['per hour', 3],
    ]);
    expect(h.engine.metrics().lateEvents).toBe(0);
  });
});
