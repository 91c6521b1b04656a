import { afterEach, describe, expect, it } from 'vitest';
import { harness, plain, type Harness } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);
const open: Harness[] = [];
afterEach(() => open.splice(0).forEach((h) => h.engine.dispose()));
const make = async (options = {}) => {
  const h = await harness(options);
  open.push(h);
  return h;
};

const machine = (extra = '') => `
RULE "protocol"
SOURCES kind = "packet"
USING ts
STATE MACHINE BY src ON type
  INITIAL: a -> W, c -> X;
  W: b -> Y;
  X: b -> Y, d -> Z;
  Y: e -> Z;
  Z: g -> TERM;
${extra}
SINK function (alert) { return { src: alert.key.src, state: alert.state, type: alert.eventType, at: alert.event.ts }; }
`;

let clock = T0;
const packet = (src: string, type: string, ts = (clock += 1000)) => ({ kind: 'packet', src, type, ts });

describe('STATE MACHINE rules', () => {
  it('raises an alert for an event with no transition and leaves the state unchanged', async () => {
    const h = await make();
    h.rules(machine());
    clock = T0;
    h.engine.push([packet('1', 'a'), packet('2', 'c'), packet('1', 'd'), packet('1', 'b'), packet('2', 'd'), packet('1', 'e'), packet('1', 'g'), packet('2', 'g')]);
    expect(plain(h.take())).toEqual([{ rule: 'protocol', src: '1', state: 'W', type: 'd', at: T0 + 3000 }]);
    // Both keys reached TERM and were forgotten: anything but a or c is invalid from INITIAL.
    h.engine.push([packet('1', 'b'), packet('2', 'f'), packet('3', 'zzz')]);
    expect(plain(h.take()).map((a) => [a.src, a.state, a.type])).toEqual([
      ['1', 'INITIAL', 'b'],
      ['2', 'INITIAL', 'f'],
      ['3', 'INITIAL', 'zzz'],
    ]);
  });

  it('sends the key back to INITIAL after an alert with RESET ON ALERT', async () => {
    const h = await make();
    h.rules(machine('RESET ON ALERT'));
    clock = T0;
    h.engine.push([packet('1', 'a'), packet('1', 'd'), packet('1', 'b'), packet('1', 'c')]);
    expect(plain(h.take()).map((a) => [a.state, a.type])).toEqual([
      ['W', 'd'],
      ['INITIAL', 'b'],
    ]);
  });

  it('forgets keys idle longer than TIMEOUT, in event time', async () => {
    const h = await make();
    h.rules(machine('TIMEOUT 5:min'));
    h.engine.push([packet('1', 'a', T0), packet('2', 'a', T0), packet('1', 'b', T0 + 4 * 60_000), packet('2', 'b', T0 + 6 * 60_000)]);
    expect(plain(h.take()).map((a) => [a.src, a.state, a.type])).toEqual([['2', 'INITIAL', 'b']]);
  });

  it('reports an event without the ON field instead of guessing', async () => {
    const h = await make();
    h.rules(machine());
    h.engine.push([{ kind: 'packet', src: '1', ts: T0 }]);
    expect(h.take()).toEqual([]);
    expect(h.diagnostics).toMatchObject([{ code: 'vigil.field', rule: 'protocol' }]);
  });

  it('counts keys per state and keeps them across checkpoint and replacement', async () => {
    const h = await make();
    h.rules(machine());
    clock = T0;
    h.engine.push([packet('1', 'a'), packet('2', 'c'), packet('3', 'c'), packet('3', 'd')]);
    const restored = await make();
    restored.engine.restore(h.engine.checkpoint());
    restored.engine.push([packet('1', 'd'), packet('3', 'g')]);
    expect(plain(restored.take()).map((a) => [a.src, a.state])).toEqual([['1', 'W']]);
    // Same machine, new SINK: the states stay.
    restored.rules(machine().replace("return { src: alert.key.src", "return { replaced: true, src: alert.key.src"));
    restored.engine.push([packet('2', 'a')]);
    expect(plain(restored.take())).toMatchObject([{ replaced: true, src: '2', state: 'X', type: 'a' }]);
  });

  it('lets alerts of a state machine be aggregated per network in event-time windows', async () => {
    const h = await make({ outOfOrderMs: 0 });
    h.rules(`
RULE "protocol" SOURCES kind = "packet" USING ts
STATE MACHINE BY src ON type INITIAL: a -> W; W: b -> TERM;
SINK function (alert) { return { src: alert.key.src, networkId: alert.event.networkId, ts: alert.event.ts }; }

RULE "per network" SOURCES rule = "protocol" USING ts AGGREGATE BY networkId WITHIN 30:sec, 30:sec
HAVING function (alerts) { return { networkId: alerts[0].networkId, addresses: [...new Set(alerts.map(a => a.src))], count: alerts.length }; }
SINK function (a) { return a; }`);
    h.engine.push([
      { kind: 'packet', src: '10.0.0.1', networkId: 1, type: 'b', ts: T0 + 1000 },
      { kind: 'packet', src: '10.0.0.2', networkId: 1, type: 'x', ts: T0 + 2000 },
      { kind: 'packet', src: '10.0.0.1', networkId: 1, type: 'b', ts: T0 + 3000 },
      { kind: 'packet', src: '10.9.0.1', networkId: 2, type: 'b', ts: T0 + 4000 },
    ]);
    h.engine.flush();
    expect(plain(h.take()).filter((a) => a.rule === 'per network')).toEqual([
      { rule: 'per network', key: { networkId: 1 }, windowStart: T0, windowEnd: T0 + 30_000, networkId: 1, addresses: ['10.0.0.1', '10.0.0.2'], count: 3 },
      { rule: 'per network', key: { networkId: 2 }, windowStart: T0, windowEnd: T0 + 30_000, networkId: 2, addresses: ['10.9.0.1'], count: 1 },
    ]);
  });
});

describe('state machine inspection', () => {
  it('reports live keys, memory, keys per state and the state of one key', async () => {
    const h = await make();
    h.rules(machine());
    clock = T0;
    h.engine.push([packet('1', 'a'), packet('2', 'c'), packet('3', 'c'), packet('3', 'd'), packet('4', 'a'), packet('4', 'b')]);
    const stats = h.engine.stateMachineStats('protocol', { countStates: true });
    expect(stats).toMatchObject({ liveKeys: 4, stateNames: ['INITIAL', 'W', 'X', 'Y', 'Z'], states: { INITIAL: 0, W: 1, X: 1, Y: 1, Z: 1 } });
    expect(stats.byteSize).toBeGreaterThan(0);
    expect(h.engine.stateOf('protocol', { src: '4' })).toBe('Y');
    expect(h.engine.stateOf('protocol', { src: 'nobody' })).toBe('INITIAL');
    expect(() => h.engine.stateMachineStats('nope')).toThrow(/unknown rule/);
  });
});

describe('state machine keys', () => {
  it('keeps a string that looks like JSON apart from the value it spells', async () => {
    const h = await make();
    h.rules(machine());
    clock = T0;
    // The string "[3]" and the number 3 are different keys: each starts from INITIAL.
    h.engine.push([{ kind: 'packet', src: 3, type: 'a', ts: T0 }, { kind: 'packet', src: '[3]', type: 'b', ts: T0 + 1 }]);
    expect(plain(h.take()).map((a) => [a.src, a.state, a.type])).toEqual([['[3]', 'INITIAL', 'b']]);
    expect(h.engine.stateOf('protocol', { src: 3 })).toBe('W');
    expect(h.engine.stateOf('protocol', { src: '[3]' })).toBe('INITIAL');
  });

  it('refuses a machine past 1,048,576 states × event types when loading, before building its table, and keeps the rules it has', async () => {
    const h = await make();
    h.rules(machine());
    // 3,001 states × 3,002 event types: a 9-million-entry table (20,000 states ran V8 out of memory).
    const lines = Array.from({ length: 2_999 }, (_, i) => `  S${i}: e${i + 1} -> S${i + 1}, x -> TERM;`).join('\n');
    const big = `RULE "big"\nSOURCES kind = "packet"\nSTATE MACHINE BY src ON type\n  INITIAL: e0 -> S0;\n${lines}\n  S2999: z -> TERM;\nSINK function (a) { return a; }\n`;
    const result = h.engine.addRules(big);
    expect(result.ok).toBe(false);
    expect(result.diagnostics.map((d) => [d.line, d.column, d.code])).toEqual([[3, 1, 'state-machine-too-large']]);
    expect(h.engine.rules().map((r) => r.name)).toEqual(['protocol']);
  });
});
