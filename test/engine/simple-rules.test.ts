import { afterEach, describe, expect, it } from 'vitest';
import { harness, plain, type Harness } from './helpers.js';

let h: Harness;
afterEach(() => h?.engine.dispose());

const failedLogin = `
RULE "failed login"
SOURCES kind = "auth"
FILTER function (event) { return event.outcome == 'failure'; }
SINK function (event) { return { user: event.user, host: event.host }; }
`;

describe('simple rules', () => {
  it('routes by SOURCES, filters, and shapes the alert with SINK', async () => {
    h = await harness();
    h.rules(failedLogin);
    h.engine.push([
      { kind: 'auth', outcome: 'failure', user: 'ann', host: 'db1' },
      { kind: 'auth', outcome: 'success', user: 'bob', host: 'db1' },
      { kind: 'dns', outcome: 'failure', user: 'eve', host: 'db2' },
      { kind: 'auth', outcome: 'failure', user: 'cid', host: 'web' },
    ]);
    expect(h.take()).toEqual([
      { rule: 'failed login', user: 'ann', host: 'db1' },
      { rule: 'failed login', user: 'cid', host: 'web' },
    ]);
    // The success event never reaches the FILTER: its `outcome == 'failure'` test is in the rules index.
    expect(h.engine.metrics().rules['failed login']).toMatchObject({ routed: 2, matched: 2, alerts: 2, state: 'active' });
  });

  it('raises the event itself for a SINK that returns its argument, as a SINK that computes the same would (not called per event)', async () => {
    const events = [
      { kind: 'auth', outcome: 'failure', user: 'ann', nested: { a: [1, { b: 2 }] } },
      { kind: 'auth', outcome: 'failure', user: 'bob', rule: 'spoofed' },
      { kind: 'auth', outcome: 'success', user: 'cid' },
    ];
    const alertsOf = async (sink: string) => {
      const own = await harness();
      try {
        own.rules(`RULE "r"\nSOURCES kind = "auth"\nFILTER function (event) { return event.outcome == 'failure'; }\nSINK ${sink}\n`);
        own.engine.push(events);
        return own.take();
      } finally {
        own.engine.dispose();
      }
    };
    const computed = await alertsOf('function (event) { return event === null ? null : event; }');
    expect(computed).toEqual([
      { rule: 'r', kind: 'auth', outcome: 'failure', user: 'ann', nested: { a: [1, { b: 2 }] } },
      { rule: 'r', kind: 'auth', outcome: 'failure', user: 'bob' },
    ]);
    for (const identity of ['function (event) { return event; }', 'function sink(e) { return (e); }', '(e) => e', 'e => (e)']) {
      expect(await alertsOf(identity), identity).toEqual(computed);
    }
    // The alert is a new object: the pushed event is not changed.
    expect(events[1]!.rule).toBe('spoofed');
  });

  it('gives the same alerts without the rules index, evaluating every routed event', async () => {
    h = await harness({ equalityIndex: false });
    h.rules(failedLogin);
    h.engine.push([
      { kind: 'auth', outcome: 'failure', user: 'ann', host: 'db1' },
      { kind: 'auth', outcome: 'success', user: 'bob', host: 'db1' },
    ]);
    expect(h.take()).toEqual([{ rule: 'failed login', user: 'ann', host: 'db1' }]);
    expect(h.engine.metrics().rules['failed login']).toMatchObject({ routed: 2, matched: 1 });
  });

  it('accepts a list of source values, ANDs several selectors, and matches numbers by their text', async () => {
    h = await harness();
    h.rules(`
RULE "two kinds" SOURCES kind = ['auth', "vpn"], port = "22" SINK function (e) { return { id: e.id }; }
`);
    h.engine.push([
      { id: 1, kind: 'auth', port: 22 },
      { id: 2, kind: 'vpn', port: '22' },
      { id: 3, kind: 'vpn', port: 443 },
      { id: 4, kind: 'web', port: 22 },
      { id: 5, kind: 'auth' },
    ]);
    expect(h.take().map((a) => a.id)).toEqual([1, 2]);
  });

  it('lets every routed event through when there is no FILTER, and reads dotted fields from nested objects', async () => {
    h = await harness();
    h.rules(`RULE "all flows" SOURCES event.kind = "flow" SINK function (e) { return { src: e.source.ip }; }`);
    h.engine.push([
      { event: { kind: 'flow' }, source: { ip: '10.0.0.1' } },
      { 'event.kind': 'flow', source: { ip: '10.0.0.2' } },
      { event: { kind: 'alert' }, source: { ip: '10.0.0.3' } },
    ]);
    expect(h.take()).toEqual([
      { rule: 'all flows', src: '10.0.0.1' },
      { rule: 'all flows', src: '10.0.0.2' },
    ]);
  });

  it('drops the alert when SINK returns null and keeps the event when SINK returns it unchanged', async () => {
    h = await harness();
    h.rules(`
RULE "keep" SOURCES kind = "x" SINK function (e) { return e; }
RULE "drop" SOURCES kind = "x" SINK function (e) { return e.n > 1 ? e : null; }
`);
    h.engine.push([{ kind: 'x', n: 1 }, { kind: 'x', n: 2 }]);
    expect(h.take()).toEqual([
      { rule: 'keep', kind: 'x', n: 1 },
      { rule: 'keep', kind: 'x', n: 2 },
      { rule: 'drop', kind: 'x', n: 2 },
    ]);
  });

  it('gives alerts in event order, then rule order, whatever the batch size', async () => {
    const events = Array.from({ length: 40 }, (_, i) => ({ kind: i % 3 ? 'a' : 'b', n: i }));
    const rules = `
RULE "odd" SOURCES kind = ["a", "b"] FILTER function (e) { return e.n % 2 == 1; } SINK function (e) { return { n: e.n }; }
RULE "by5" SOURCES kind = "a" FILTER function (e) { let x = 0; for (let i = 0; i < 3; i++) x += i; return e.n % 5 == x - 3; } SINK function (e) { return { n: e.n }; }
`;
    const runs: unknown[] = [];
    for (const size of [1, 7, 40]) {
      h = await harness();
      h.rules(rules);
      for (let i = 0; i < events.length; i += size) h.engine.push(events.slice(i, i + size));
      runs.push(h.take());
      h.engine.dispose();
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
    expect((runs[0] as { n: number }[]).slice(0, 4)).toEqual([
      { rule: 'odd', n: 1 },
      { rule: 'odd', n: 3 },
      { rule: 'odd', n: 5 },
      { rule: 'by5', n: 5 },
    ]);
  });

  it('rejects pushed values that are not objects, naming their index, and processes the rest', async () => {
    h = await harness();
    h.rules(failedLogin);
    const result = h.engine.push([null, [1], 'x', { kind: 'auth', outcome: 'failure', user: 'ann', host: 'h' }]);
    expect(result).toEqual({
      accepted: 1,
      rejected: [
        { index: 0, reason: 'event is null, not an object' },
        { index: 1, reason: 'event is an array, not an object' },
        { index: 2, reason: 'event is string, not an object' },
      ],
    });
    expect(h.take()).toHaveLength(1);
  });

  it('reports an exception in a rule function as a diagnostic for that event and keeps the rule active', async () => {
    h = await harness();
    h.rules(`RULE "lower" SOURCES kind = "x" FILTER function (e) { return e.user.toLowerCase() == 'root'; } SINK function (e) { return { user: e.user }; }`);
    h.engine.push([{ kind: 'x' }, { kind: 'x', user: 'ROOT' }]);
    expect(h.take()).toEqual([{ rule: 'lower', user: 'ROOT' }]);
    expect(h.diagnostics).toHaveLength(1);
    expect(h.diagnostics[0]).toMatchObject({ code: 'vigil.rule.error', rule: 'lower', phase: 'filter' });
    expect(h.diagnostics[0].message).toMatch(/TypeError/);
    expect(h.engine.rule('lower')?.state).toBe('active');
    expect(h.engine.metrics().rules.lower.errors).toBe(1);
  });
});

describe('IOC FILTERS and tables', () => {
  it('keeps events whose field is in one list and not in another', async () => {
    h = await harness();
    h.engine.iocs.create('bad_ips');
    h.engine.iocs.add('bad_ips', ['203.0.113.7', '198.51.100.1']);
    h.engine.iocs.create('allow');
    h.engine.iocs.add('allow', ['10.0.0.5']);
    h.rules(`
RULE "bad ip" SOURCES kind = "conn"
IOC FILTERS in bad_ips(dst) not in allow(src)
SINK function (e) { return { src: e.src, dst: e.dst }; }`);
    h.engine.push([
      { kind: 'conn', src: '10.0.0.1', dst: '203.0.113.7' },
      { kind: 'conn', src: '10.0.0.5', dst: '203.0.113.7' },
      { kind: 'conn', src: '10.0.0.1', dst: '192.0.2.1' },
      { kind: 'conn', src: '10.0.0.1' },
    ]);
    expect(h.take()).toEqual([{ rule: 'bad ip', src: '10.0.0.1', dst: '203.0.113.7' }]);
    h.engine.iocs.remove('bad_ips', ['203.0.113.7']);
    h.engine.push([{ kind: 'conn', src: '10.0.0.1', dst: '203.0.113.7' }]);
    expect(h.take()).toEqual([]);
  });

  it('tests the terms of many rules together, each rule with its own terms, lists and negations', async () => {
    h = await harness();
    h.engine.iocs.create('bad_ips');
    h.engine.iocs.add('bad_ips', ['203.0.113.7', '198.51.100.1']);
    h.engine.iocs.create('allow');
    h.engine.iocs.add('allow', ['10.0.0.5']);
    h.rules(`
RULE "to bad" SOURCES kind = "conn" IOC FILTERS in bad_ips(dst) SINK function (e) { return { dst: e.dst }; }
RULE "not to bad" SOURCES kind = "conn" IOC FILTERS not in bad_ips(dst) SINK function (e) { return { dst: e.dst }; }
RULE "from bad" SOURCES kind = "conn" IOC FILTERS in bad_ips(src) SINK function (e) { return { src: e.src }; }
RULE "bad and not allowed" SOURCES kind = "conn" FILTER function (e) { return e.port != 22; }
IOC FILTERS in bad_ips(dst), not in allow(src) SINK function (e) { return { src: e.src, dst: e.dst }; }`);
    h.engine.push([
      { kind: 'conn', src: '10.0.0.1', dst: '203.0.113.7', port: 80 },
      { kind: 'conn', src: '10.0.0.5', dst: '203.0.113.7', port: 80 },
      { kind: 'conn', src: '198.51.100.1', dst: '192.0.2.1', port: 80 },
      { kind: 'conn', src: '10.0.0.1', dst: '198.51.100.1', port: 22 },
      { kind: 'conn', src: '10.0.0.2', port: 80 },
    ]);
    expect(h.take()).toEqual([
      { rule: 'to bad', dst: '203.0.113.7' },
      { rule: 'bad and not allowed', src: '10.0.0.1', dst: '203.0.113.7' },
      { rule: 'to bad', dst: '203.0.113.7' },
      { rule: 'not to bad', dst: '192.0.2.1' },
      { rule: 'from bad', src: '198.51.100.1' },
      { rule: 'to bad', dst: '198.51.100.1' },
      // A missing value is in no list.
      { rule: 'not to bad', dst: undefined },
    ]);
  });

  it('refuses a rule naming an unknown IOC list, and a list in use cannot be deleted', async () => {
    h = await harness();
    const result = h.engine.putRules(`RULE "r" SOURCES k = "v" IOC FILTERS in nope(x) SINK function (e) { return e; }`);
    expect(result.ok).toBe(false);
    expect(result.diagnostics.map((d) => d.code)).toContain('unknown-ioc-list');
    h.engine.iocs.create('nope');
    h.rules(`RULE "r" SOURCES k = "v" IOC FILTERS in nope(x) SINK function (e) { return e; }`);
    expect(() => h.engine.iocs.delete('nope')).toThrow(/used by rule "r"/);
  });

  it('answers utils.inTable from custom tables, natively and in the sandbox alike', async () => {
    h = await harness();
    h.engine.tables.create('admins', ['root', 'admin']);
    h.rules(`
RULE "native" SOURCES k = "v" FILTER function (e) { return utils.inTable('admins', e.user); } SINK function (e) { return { user: e.user }; }
RULE "boxed" SOURCES k = "v" FILTER function (e) { for (;;) { return utils.inTable('admins', e.user); } } SINK function (e) { return { user: e.user }; }`);
    expect(h.engine.rule('native')?.functions[0]).toMatchObject({ phase: 'filter', mode: 'native' });
    expect(h.engine.rule('boxed')?.functions[0]).toMatchObject({ phase: 'filter', mode: 'sandbox' });
    h.engine.push([{ k: 'v', user: 'root' }, { k: 'v', user: 'ann' }]);
    expect(plain(h.take())).toEqual([
      { rule: 'native', user: 'root' },
      { rule: 'boxed', user: 'root' },
    ]);
  });
});
