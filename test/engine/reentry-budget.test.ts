/**
 * Rules that consume each other's alerts can multiply them exponentially inside the depth limit
 * (issue 11: six rules turned 10 alerts into 20 million). The re-entry budget deactivates the
 * amplifying rule; every other rule's alerts are those of a run without the ring.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { harness, plain, type Harness } from './helpers.js';

let h: Harness;
afterEach(() => h?.engine.dispose());

const benign = `
RULE "login"
SOURCES kind = "auth"
SINK function (e) { return { user: e.user }; }

RULE "admin login"
SOURCES rule = "login"
FILTER function (a) { return a.user == 'root'; }
SINK function (a) { return { user: a.user, severity: 'high' }; }
`;

/** Six rules, each taking the alerts of every other: each alert becomes five at the next depth. */
const ring = Array.from({ length: 6 }, (_, i) => {
  const others = Array.from({ length: 6 }, (_, j) => j).filter((j) => j !== i).map((j) => `"ring${j}"`);
  return `RULE "ring${i}"\nSOURCES rule = ["login", ${others.join(', ')}]\nSINK function (a) { return { hop: ${i}, user: a.user }; }\n`;
}).join('\n');

const events = Array.from({ length: 10 }, (_, i) => ({ kind: 'auth', user: i % 3 ? `u${i}` : 'root' }));

describe('re-entry budget', () => {
  it('an alert ring is cut by deactivating the amplifying rule; other rules are untouched', async () => {
    h = await harness();
    h.rules(benign);
    h.engine.push(events);
    const clean = plain(h.take());
    h.engine.dispose();

    h = await harness();
    h.rules(benign + ring);
    const started = performance.now();
    h.engine.push(events);
    const elapsed = performance.now() - started;
    const all = plain(h.take());
    // Without the budget: 10 × 6 × 5^7 alerts at depth 8 alone (4.7 million). With it, a few tens of thousands at most.
    expect(all.length).toBeLessThan(10_000 + 4 * 10 * 7 + 100);
    expect(elapsed).toBeLessThan(10_000);
    expect(all.filter((a) => a.rule === 'login' || a.rule === 'admin login')).toEqual(clean);
    const deactivated = all.filter((a) => a.rule === 'vigil.rule.deactivated');
    expect(deactivated.length).toBeGreaterThan(0);
    for (const d of deactivated) expect(d).toMatchObject({ kind: 'fanout' });
    const states = h.engine.rules().filter((r) => r.name.startsWith('ring'));
    expect(states.some((r) => r.state === 'deactivated' && r.deactivation?.kind === 'fanout')).toBe(true);
    // The benign rules stay active, and the next input is handled as before.
    expect(h.engine.rule('login')!.state).toBe('active');
    expect(h.engine.rule('admin login')!.state).toBe('active');
  });

  it('a legitimate chain that raises one derived alert per alert is never cut', async () => {
    h = await harness({ reentryBudget: 10 });
    h.rules(benign);
    const many = Array.from({ length: 5000 }, () => ({ kind: 'auth', user: 'root' }));
    h.engine.push(many);
    const alerts = h.take();
    expect(alerts.filter((a) => a.rule === 'admin login')).toHaveLength(5000);
    expect(h.engine.rules().every((r) => r.state === 'active')).toBe(true);
  });

  it('events nested deeper than 128 (or cyclic) are rejected at push with their index', async () => {
    h = await harness();
    h.rules(benign);
    let deep: Record<string, unknown> = { kind: 'auth', user: 'x' };
    for (let i = 0; i < 5000; i++) deep = { kind: 'auth', user: 'deep', inner: deep };
    const cyclic: Record<string, unknown> = { kind: 'auth', user: 'cyc' };
    cyclic.self = cyclic;
    let ok: Record<string, unknown> = { kind: 'auth', user: 'ok' };
    for (let i = 0; i < 126; i++) ok = { kind: 'auth', user: 'ok', inner: ok };
    const result = h.engine.push([{ kind: 'auth', user: 'a' }, deep, cyclic, ok]);
    expect(result.rejected.map((r) => r.index)).toEqual([1, 2]);
    expect(result.rejected[0].reason).toMatch(/nested deeper than 128/);
    expect(h.take().map((a) => a.user)).toEqual(['a', 'ok']);
    // What was accepted checkpoints.
    expect(h.engine.checkpoint().length).toBeGreaterThan(0);
  });

  it('__proto__, constructor and prototype are ordinary group keys', async () => {
    h = await harness({ outOfOrderMs: 0 });
    h.rules(`
RULE "by proto"
SOURCES kind = "x"
USING ts
AGGREGATE BY "__proto__", constructor, prototype
WITHIN 1:min, 1:min
SINK function (w) { return w; }
`);
    const evs = [
      JSON.parse('{"kind":"x","ts":0,"__proto__":"p1","constructor":"c1","prototype":"q1"}'),
      JSON.parse('{"kind":"x","ts":1,"__proto__":"p2","constructor":"c1","prototype":"q1"}'),
      JSON.parse('{"kind":"x","ts":2,"__proto__":"p1","constructor":"c1","prototype":"q1"}'),
    ];
    h.engine.push(evs);
    h.engine.flush();
    const out = h.take().map((a) => JSON.parse(JSON.stringify({ key: a.key, count: a.count })));
    expect(out).toEqual([
      JSON.parse('{"key":{"__proto__":"p1","constructor":"c1","prototype":"q1"},"count":2}'),
      JSON.parse('{"key":{"__proto__":"p2","constructor":"c1","prototype":"q1"},"count":1}'),
    ]);
  });
});
