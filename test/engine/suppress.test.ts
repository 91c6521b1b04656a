import { afterEach, describe, expect, it } from 'vitest';
import { compileCheck } from '../../src/lang/index.js';
import { tokenize } from '../../src/lang/lexer.js';
import { harness, plain, type Harness } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);
const open: Harness[] = [];
afterEach(() => open.splice(0).forEach((h) => h.engine.dispose()));
const make = async (options = {}) => {
  const h = await harness({ outOfOrderMs: 0, ...options });
  open.push(h);
  return h;
};

const SCAN = `
RULE "scan"
SOURCES kind = "syn"
USING ts
AGGREGATE BY src
WITHIN 5:sec, 1:sec
HAVING function (events) { return events.length >= 3; }
SINK function (a) { return { src: a.src, count: a.count }; }
SUPPRESS FOR 1:min
`;

const syn = (src: string, ts: number) => ({ kind: 'syn', src, ts });

describe('SUPPRESS FOR on a sliding window', () => {
  it('raises the first window, holds back repeats, raises again when the count grows and after the period', async () => {
    const h = await make();
    h.rules(SCAN);
    // Three SYNs in one second: every window of 5 s sliding by 1 s that holds them fires with 3.
    h.engine.push([syn('a', T0 + 100), syn('a', T0 + 200), syn('a', T0 + 300)]);
    // A fourth, two seconds later: windows holding all four fire with 4 (growth 1).
    h.engine.push([syn('a', T0 + 2_100)]);
    // Well after the period: a new burst starts a new period.
    h.engine.push([syn('a', T0 + 90_000), syn('a', T0 + 90_100), syn('a', T0 + 90_200)]);
    h.engine.push([syn('zzz', T0 + 200_000)]);
    h.engine.flush();
    expect(plain(h.take()).map(({ windowEnd, count, suppression }) => ({ windowEnd, count, suppression }))).toEqual([
      // Windows ending at T0+1s…T0+5s hold the first three; the first one is raised.
      { windowEnd: T0 + 1_000, count: 3, suppression: undefined },
      // The window ending at T0+3s holds all four: raised with the growth; the two before it were held back.
      {
        windowEnd: T0 + 3_000,
        count: 4,
        suppression: { count: 4, previousCount: 3, growth: 1, suppressed: 1, until: T0 + 61_000 },
      },
      // T0+4s, T0+5s (4), T0+6s, T0+7s (1 event: no alert) are held or silent; the new burst opens a new period.
      { windowEnd: T0 + 91_000, count: 3, suppression: undefined },
    ]);
    const stats = h.engine.rules().find((r) => r.name === 'scan')!.stats;
    // Held back: T0+2s (3), T0+4s (4), T0+5s (4), and T0+92s…T0+95s (3 each).
    expect(stats.suppressed).toBe(7);
    expect(stats.alerts).toBe(3);
  });

  it('gives the same alerts whatever the batch sizes', async () => {
    const events = Array.from({ length: 400 }, (_, i) => syn(`h${i % 3}`, T0 + i * 300 + ((i * 7919) % 250)));
    const runWith = async (size: number) => {
      const h = await make();
      h.rules(SCAN);
      for (let i = 0; i < events.length; i += size) h.engine.push(events.slice(i, i + size));
      h.engine.flush();
      return plain(h.take());
    };
    const one = await runWith(1);
    // Several periods per host, and repeats raised again with a growth inside them.
    expect(one.filter((a) => a.suppression).length).toBeGreaterThan(2);
    expect(one.filter((a) => !a.suppression).length).toBeGreaterThan(3);
    expect(await runWith(37)).toEqual(one);
    expect(await runWith(400)).toEqual(one);
  });
});

describe('SUPPRESS BY on simple rules', () => {
  const FAILED = `
RULE "failed login"
SOURCES kind = "auth"
FILTER function (e) { return e.outcome == "failure"; }
SINK function (e) { return { user: e.user, host: e.host }; }
SUPPRESS FOR 1:min BY user
`;

  it('raises once per user and period on processing time', async () => {
    const h = await make();
    h.rules(FAILED);
    const fail = (user: string, host: string) => ({ kind: 'auth', outcome: 'failure', user, host });
    h.engine.push([fail('alice', 'a1'), fail('bob', 'b1'), fail('alice', 'a2')]);
    h.clock.advance(30_000);
    h.engine.push([fail('alice', 'a3')]);
    h.clock.advance(30_000);
    h.engine.push([fail('alice', 'a4'), fail('bob', 'b2')]);
    expect(plain(h.take())).toEqual([
      { rule: 'failed login', user: 'alice', host: 'a1' },
      { rule: 'failed login', user: 'bob', host: 'b1' },
      // 60 s after alice's first alert her period is over; bob's too.
      { rule: 'failed login', user: 'alice', host: 'a4' },
      { rule: 'failed login', user: 'bob', host: 'b2' },
    ]);
    expect(h.engine.rules()[0]!.stats.suppressed).toBe(2);
  });

  it('uses the USING time of the event when the rule has one, and a key the alert lacks is null', async () => {
    const h = await make();
    h.rules(`
RULE "tor exit"
SOURCES kind = "conn"
USING ts
SINK function (e) { return { ip: e.ip }; }
SUPPRESS FOR 10:sec BY ip, user
`);
    h.engine.push([
      { kind: 'conn', ip: '1.2.3.4', ts: T0 },
      { kind: 'conn', ip: '1.2.3.4', ts: T0 + 9_999 },
      { kind: 'conn', ip: '1.2.3.4', ts: T0 + 10_000 },
    ]);
    expect(plain(h.take())).toEqual([
      { rule: 'tor exit', ip: '1.2.3.4' },
      { rule: 'tor exit', ip: '1.2.3.4' },
    ]);
  });

  it('takes a count from the alert: a brute force counted in SINK is raised again as it grows', async () => {
    const h = await make();
    h.rules(`
RULE "attempts"
SOURCES kind = "auth"
USING ts
SINK function (e) { return { user: e.user, count: e.attempt }; }
SUPPRESS FOR 1:h BY user
`);
    h.engine.push([1, 2, 2, 5, 3].map((attempt, i) => ({ kind: 'auth', user: 'root', attempt, ts: T0 + i * 1000 })));
    expect(plain(h.take()).map((a) => [a.count, (a.suppression as { growth?: number } | undefined)?.growth])).toEqual([
      [1, undefined],
      [2, 1],
      [5, 3],
    ]);
  });
});

describe('SUPPRESS with state machines, checkpoints and rule changes', () => {
  it('keys a state machine rule by its machine key by default', async () => {
    const h = await make();
    h.rules(`
RULE "handshake"
SOURCES kind = "pkt"
USING ts
STATE MACHINE BY src ON flag
  INITIAL: SYN -> S;
  S: ACK -> TERM;
SINK function (v) { return { src: v.key.src, state: v.state, got: v.eventType }; }
SUPPRESS FOR 1:min
`);
    const pkt = (src: string, flag: string, ts: number) => ({ kind: 'pkt', src, flag, ts });
    h.engine.push([pkt('a', 'ACK', T0), pkt('a', 'ACK', T0 + 1), pkt('b', 'ACK', T0 + 2), pkt('a', 'ACK', T0 + 60_000)]);
    expect(plain(h.take()).map((a) => a.src)).toEqual(['a', 'b', 'a']);
  });

  it('keeps running periods across checkpoint and restore, and across a new version of the rule', async () => {
    const h = await make();
    h.rules(SCAN);
    h.engine.push([syn('a', T0 + 100), syn('a', T0 + 200), syn('a', T0 + 300), syn('b', T0 + 1_500)]);
    const bytes = h.engine.checkpoint();
    const first = plain(h.take());
    expect(first.map((a) => a.windowEnd)).toEqual([T0 + 1_000]);

    const restored = await make();
    restored.engine.restore(bytes);
    restored.engine.push([syn('a', T0 + 2_100), syn('c', T0 + 30_000)]);
    restored.engine.flush();
    const after = plain(restored.take());
    // Without the saved period the window at T0+2s (count 3) would be raised again.
    expect(after.map((a) => [a.windowEnd, a.count, (a.suppression as { growth?: number } | undefined)?.growth])).toEqual([[T0 + 3_000, 4, 1]]);

    // The same SUPPRESS in a new version of the rule: the period goes on.
    restored.rules(SCAN.replace('return { src: a.src, count: a.count }', 'return { src: a.src, count: a.count, v: 2 }'));
    restored.engine.push([syn('a', T0 + 40_000), syn('a', T0 + 40_100), syn('a', T0 + 40_200)]);
    restored.engine.flush();
    expect(restored.take()).toEqual([]);
  });
});

describe('SUPPRESS in the rule language', () => {
  const rule = (suppress: string, extra = '') => `RULE "r"
SOURCES kind = "x"
${extra}SINK function (e) { return e; }
${suppress}
`;
  const errors = (text: string) =>
    compileCheck(text, 'r.vgl').diagnostics.map((d) => `${d.code}@${d.line}:${d.column}: ${d.message}`);

  it('parses the period and the key fields, and keeps suppress/for usable as field names', () => {
    const { rules, diagnostics } = compileCheck(rule('SUPPRESS FOR 10:min BY source.ip, "user name"', 'AGGREGATE BY suppress, for\nWITHIN 1:min, 1:min\n'), 'r.vgl');
    expect(diagnostics).toEqual([]);
    expect(rules[0]!.suppress!.period.ms).toBe(600_000);
    expect(rules[0]!.suppress!.by.map((f) => f.field)).toEqual(['source.ip', 'user name']);
    expect(rules[0]!.aggregateBy!.map((f) => f.field)).toEqual(['suppress', 'for']);
  });

  it('highlights SUPPRESS FOR and BY as keywords, and the same words as fields elsewhere', () => {
    const text = rule('SUPPRESS FOR 10:min BY for', 'USING suppress\n');
    const words = tokenize(text)
      .filter((t) => /^(suppress|for|by)$/i.test(text.slice(t.start, t.end)))
      .map((t) => `${text.slice(t.start, t.end)}:${t.type}`);
    expect(words).toEqual(['suppress:identifier', 'SUPPRESS:keyword', 'FOR:keyword', 'BY:keyword', 'for:identifier']);
  });

  it('reports a missing FOR, a zero period, a repeated field and SUPPRESS before SINK where they are', () => {
    expect(errors(rule('SUPPRESS 10:min'))[0]).toMatch(/^syntax@4:10: .*FOR/);
    expect(errors(rule('SUPPRESS FOR 0:sec'))).toEqual(['invalid-duration@4:14: SUPPRESS FOR 0:sec must be greater than zero']);
    expect(errors(rule('SUPPRESS FOR 1:sec BY a, a'))).toEqual(["duplicate-suppress-field@4:26: SUPPRESS BY names 'a' twice"]);
    expect(errors('RULE "r"\nSOURCES kind = "x"\nSUPPRESS FOR 1:min\nSINK function (e) { return e; }\n')).toEqual([
      'clause-order@4:1: SINK must come before SUPPRESS in rule "r"; clauses go SOURCES, FILTER, IOC FILTERS, USING, AGGREGATE BY, WITHIN, SORT BY, HAVING, SINK, SUPPRESS',
    ]);
  });
});
