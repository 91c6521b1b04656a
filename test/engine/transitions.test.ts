/**
 * engine.onTransition: every event a STATE MACHINE rule steps, as the state table applied it. The
 * oracle is a naive model of the machine written here (a Map of key → {state, lastSeen}, TIMEOUT and
 * RESET as the language reference describes them), fed the same random events after the same FILTER.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MachineTransition } from '../../src/engine/engine.js';
import { harness, type Harness } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);
const open: Harness[] = [];
afterEach(() => open.splice(0).forEach((h) => h.engine.dispose()));

const TRANSITIONS: Record<string, Record<string, string>> = {
  INITIAL: { a: 'W', c: 'X' },
  W: { b: 'Y' },
  X: { b: 'Y', d: 'Z' },
  Y: { e: 'Z' },
  Z: { g: 'TERM' },
};
const rule = (extra: string) => `
RULE "protocol"
SOURCES kind = "packet"
FILTER function (e) { return e.drop !== true; }
USING ts
STATE MACHINE BY src ON type
  INITIAL: a -> W, c -> X;
  W: b -> Y;
  X: b -> Y, d -> Z;
  Y: e -> Z;
  Z: g -> TERM;
${extra}
SINK function (alert) { return alert.key; }
`;

interface Packet {
  kind: string;
  src: string;
  type: string;
  ts: number;
  drop?: boolean;
}

/** The machine as the reference describes it, one event at a time. */
function naive(events: Packet[], timeoutMs: number | undefined, reset: boolean) {
  const keys = new Map<string, { state: string; lastSeen: number }>();
  const out: Omit<MachineTransition, 'rule' | 'event'>[] = [];
  for (const e of events) {
    if (e.drop) continue;
    let held = keys.get(e.src);
    if (held && timeoutMs !== undefined && e.ts - held.lastSeen > timeoutMs) {
      keys.delete(e.src);
      held = undefined;
    }
    const from = held?.state ?? 'INITIAL';
    const next = TRANSITIONS[from]?.[e.type];
    const valid = next !== undefined;
    const to = valid ? next : reset ? 'INITIAL' : from;
    if (to === 'TERM' || (to === 'INITIAL' && !valid)) keys.delete(e.src);
    // An invalid event leaves the key's state and its last-seen time as they were.
    else if (valid) keys.set(e.src, { state: to, lastSeen: Math.max(e.ts, held?.lastSeen ?? -Infinity) });
    out.push({ key: { src: e.src }, from, to, eventType: e.type, time: e.ts, valid });
  }
  return out;
}

function randomPackets(seed: number, n: number): Packet[] {
  let x = seed;
  const rand = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const types = ['a', 'b', 'c', 'd', 'e', 'g', 'zzz'];
  let ts = T0;
  return Array.from({ length: n }, () => ({
    kind: 'packet',
    src: String(Math.floor(rand() * 5)),
    type: types[Math.floor(rand() * types.length)]!,
    ts: (ts += Math.floor(rand() * 90_000)),
    ...(rand() < 0.1 ? { drop: true } : {}),
  }));
}

describe('engine.onTransition', () => {
  for (const [name, extra, timeoutMs, reset] of [
    ['plain', '', undefined, false],
    ['TIMEOUT', 'TIMEOUT 2:min', 120_000, false],
    ['RESET ON ALERT and TIMEOUT', 'TIMEOUT 2:min\nRESET ON ALERT', 120_000, true],
  ] as const) {
    it(`reports every stepped event as the naive machine does (${name}), whatever the batch size`, async () => {
      const events = randomPackets(7, 600);
      const expected = naive(events, timeoutMs, reset);
      for (const batch of [1, 7, 600]) {
        const h = await harness({ outOfOrderMs: 0 });
        open.push(h);
        h.rules(rule(extra));
        const seen: MachineTransition[] = [];
        const stop = h.engine.onTransition((t) => seen.push(t));
        for (let i = 0; i < events.length; i += batch) h.engine.push(events.slice(i, i + batch));
        stop();
        expect(seen.every((t) => t.rule === 'protocol')).toBe(true);
        expect(seen.map(({ rule: _r, event: _e, ...rest }) => rest)).toEqual(expected);
        // Each invalid transition is an alert.
        expect(h.take().length).toBe(expected.filter((t) => !t.valid).length);
      }
    });
  }

  it('reports transitions before the alerts of their batch, and nothing once unsubscribed', async () => {
    const h = await harness({ outOfOrderMs: 0 });
    open.push(h);
    h.rules(rule(''));
    const order: string[] = [];
    h.engine.onAlert(() => order.push('alert'));
    const stop = h.engine.onTransition((t) => order.push(`${t.from}->${t.to}`));
    h.engine.push([{ kind: 'packet', src: '1', type: 'a', ts: T0 }, { kind: 'packet', src: '1', type: 'd', ts: T0 + 1 }]);
    expect(order).toEqual(['INITIAL->W', 'W->W', 'alert']);
    stop();
    h.engine.push([{ kind: 'packet', src: '1', type: 'b', ts: T0 + 2 }]);
    expect(order.length).toBe(3);
  });
});
