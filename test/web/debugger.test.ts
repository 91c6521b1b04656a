/**
 * The state-machine debugger: graph layout, trail buffer, and the transition tracker fed by a real
 * engine's `onTransition`. The tracker's oracle is a naive recount of the input written here (a Map
 * of key → state and last-seen time, FILTER, TIMEOUT and RESET ON ALERT as the language reference
 * describes them), not the engine.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import { machineDefinitionOfText } from '../../web/worker/machine-def.js';
import { TrailBuffer } from '../../web/worker/trail-buffer.js';
import { TransitionTracker } from '../../web/worker/transition-tracker.js';
import { layers, layoutMachine } from '../../web/lib/machine-layout.js';

const RULE = `RULE "proto"
SOURCES kind = "packet"
USING timestamp
STATE MACHINE BY sourceAddress ON type
  INITIAL: a -> W, c -> X;
  W: b -> Y;
  X: b -> Y, d -> Z;
  Y: e -> Z;
  Z: g -> TERM;
TIMEOUT 5:min
SINK function (alert) { return alert; }`;

const def = machineDefinitionOfText(RULE, 'proto')!;

const packet = (sourceAddress: string, type: string, timestamp = 1000) => ({ kind: 'packet', sourceAddress, type, timestamp });

describe('machine definition', () => {
  it('lists INITIAL first, TERM last, and every labelled transition', () => {
    expect(def.states).toEqual(['INITIAL', 'W', 'X', 'Y', 'Z', 'TERM']);
    expect(def.edges).toHaveLength(7);
    expect(def.edges[0]).toEqual({ from: 'INITIAL', to: 'W', event: 'a' });
    expect(def.keyFields).toEqual(['sourceAddress']);
    expect(def.timeoutMs).toBe(300_000);
    expect(def.filtered).toBe(false);
  });
});

describe('graph layout', () => {
  it('puts states in layers by distance from INITIAL, TERM alone at the end', () => {
    const l = layers(def);
    expect(Object.fromEntries(l)).toEqual({ INITIAL: 0, W: 1, X: 1, Y: 2, Z: 2, TERM: 3 });
  });

  it('places layers left to right inside the box and classifies edges', () => {
    const layout = layoutMachine(def, { width: 800, height: 400 });
    const x = new Map(layout.nodes.map((n) => [n.id, n.x]));
    expect(x.get('INITIAL')!).toBeLessThan(x.get('W')!);
    expect(x.get('W')).toBe(x.get('X'));
    expect(x.get('Z')!).toBeLessThan(x.get('TERM')!);
    for (const n of layout.nodes) {
      expect(n.x - layout.radius).toBeGreaterThanOrEqual(0);
      expect(n.x + layout.radius).toBeLessThanOrEqual(800);
      expect(n.y - layout.radius).toBeGreaterThanOrEqual(0);
      expect(n.y + layout.radius).toBeLessThanOrEqual(400);
    }
    const shape = new Map(layout.edges.map((e) => [e.id, e.shape]));
    expect(shape.get('Y\u2192Z')).toBe('same-layer');
    expect(shape.get('INITIAL\u2192W')).toBe('forward');
    expect(layout.edges.every((e) => e.path.startsWith('M') && Number.isFinite(e.label.x))).toBe(true);
  });

  it('merges transitions between the same states, draws self loops, and places unreachable states before TERM', () => {
    const layout = layoutMachine(
      {
        states: ['INITIAL', 'A', 'LOST', 'TERM'],
        edges: [
          { from: 'INITIAL', to: 'A', event: 'x' },
          { from: 'INITIAL', to: 'A', event: 'y' },
          { from: 'A', to: 'A', event: 'z' },
          { from: 'A', to: 'INITIAL', event: 'r' },
          { from: 'A', to: 'TERM', event: 'q' },
        ],
      },
      { width: 600, height: 300 },
    );
    const edges = new Map(layout.edges.map((e) => [e.id, e]));
    expect(edges.get('INITIAL\u2192A')!.events).toEqual(['x', 'y']);
    expect(edges.get('A\u2192A')!.shape).toBe('self');
    expect(edges.get('A\u2192INITIAL')!.shape).toBe('back');
    const layer = new Map(layout.nodes.map((n) => [n.id, n.layer]));
    expect(layer.get('LOST')).toBe(2);
    expect(layer.get('TERM')).toBe(3);
  });
});

describe('trail buffer', () => {
  it('keeps the last N items per key and evicts the least recently updated keys', () => {
    const t = new TrailBuffer<number>(3, 2, 1);
    for (let i = 1; i <= 5; i++) t.add('a', i);
    expect(t.get('a')).toEqual([3, 4, 5]);
    t.add('b', 1);
    t.add('a', 6);
    t.add('c', 1); // evicts b, the least recently updated
    expect(t.has('b')).toBe(false);
    expect(t.keys()).toEqual(['c', 'a']);
  });

  it('never evicts pinned keys for traffic, and bounds the pins', () => {
    const t = new TrailBuffer<number>(2, 1, 2);
    t.add('alerted', 1);
    t.pin('alerted');
    for (let i = 0; i < 10; i++) t.add(`k${i}`, i);
    expect(t.get('alerted')).toEqual([1]);
    expect(t.size).toBe(2);
    t.pin('w1');
    t.pin('w2'); // over maxPinned: the oldest pin ('alerted') goes back to normal eviction
    expect(t.isPinned('alerted')).toBe(false);
    expect(t.has('alerted')).toBe(false);
    expect(t.pinnedKeys()).toEqual(['w2', 'w1']);
  });
});


const FILTERED = (extra: string) => `RULE "proto"
SOURCES kind = "packet"
FILTER function (e) { return e.drop !== true; }
USING timestamp
STATE MACHINE BY sourceAddress ON type
  INITIAL: a -> W, c -> X;
  W: b -> Y;
  X: b -> Y, d -> Z;
  Y: e -> Z;
  Z: g -> TERM;
${extra}
SINK function (alert) { return alert.key; }`;

const NEXT: Record<string, Record<string, string>> = { INITIAL: { a: 'W', c: 'X' }, W: { b: 'Y' }, X: { b: 'Y', d: 'Z' }, Y: { e: 'Z' }, Z: { g: 'TERM' } };

interface Packet {
  kind: string;
  sourceAddress: string;
  type: string;
  timestamp: number;
  drop?: boolean;
}

/** The recount: per key, the steps (from-event->to, x for invalid); per edge and per invalid (state, event), counts. */
function recount(events: readonly Packet[], timeoutMs: number | undefined, reset: boolean) {
  const keys = new Map<string, { state: string; lastSeen: number }>();
  const trails = new Map<string, string[]>();
  const edges = new Map<string, number>();
  const invalid = new Map<string, number>();
  let steps = 0;
  for (const e of events) {
    if (e.kind !== 'packet' || e.drop) continue;
    let held = keys.get(e.sourceAddress);
    if (held && timeoutMs !== undefined && e.timestamp - held.lastSeen > timeoutMs) {
      keys.delete(e.sourceAddress);
      held = undefined;
    }
    const from = held?.state ?? 'INITIAL';
    const to = NEXT[from]?.[e.type];
    steps++;
    if (to === undefined) {
      invalid.set(`${from} ${e.type}`, (invalid.get(`${from} ${e.type}`) ?? 0) + 1);
      if (reset) keys.delete(e.sourceAddress);
    } else {
      edges.set(`${from} ${e.type}`, (edges.get(`${from} ${e.type}`) ?? 0) + 1);
      if (to === 'TERM') keys.delete(e.sourceAddress);
      else keys.set(e.sourceAddress, { state: to, lastSeen: Math.max(e.timestamp, held?.lastSeen ?? -Infinity) });
    }
    const trail = trails.get(e.sourceAddress) ?? [];
    trail.push(`${from}-${e.type}->${to ?? 'x'}`);
    trails.set(e.sourceAddress, trail);
  }
  return { trails, edges, invalid, steps };
}

function randomPackets(seed: number, n: number): Packet[] {
  let x = seed;
  const rand = () => (x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const types = ['a', 'b', 'c', 'd', 'e', 'g', 'zzz'];
  let ts = Date.UTC(2026, 0, 1);
  return Array.from({ length: n }, () => ({
    kind: rand() < 0.05 ? 'auth' : 'packet',
    sourceAddress: `10.0.0.${Math.floor(rand() * 6)}`,
    type: types[Math.floor(rand() * types.length)]!,
    timestamp: (ts += Math.floor(rand() * 90_000)),
    ...(rand() < 0.1 ? { drop: true } : {}),
  }));
}

const engines: Engine[] = [];
afterEach(() => engines.splice(0).forEach((e) => e.dispose()));

/** A Node engine with `text`, and a tracker fed by its onTransition. */
async function tracked(text: string, now: () => number) {
  const engine = await createNodeEngine();
  engines.push(engine);
  const applied = engine.putRules(text, { file: 'proto.vgl' });
  expect(applied.ok, JSON.stringify(applied.diagnostics)).toBe(true);
  const tracker = new TransitionTracker(now, { perKey: 10_000 });
  tracker.setRules(engine.rules());
  engine.onTransition(tracker.observe);
  return { engine, tracker };
}

describe('transition tracker', () => {
  for (const [label, extra, timeoutMs, reset] of [
    ['TIMEOUT', 'TIMEOUT 2:min', 120_000, false],
    ['RESET ON ALERT', 'RESET ON ALERT', undefined, true],
  ] as const) {
    for (const batch of [1, 7, 500]) {
      it(`counts what the engine stepped — after FILTER, with ${label} — as a recount of the input does (batches of ${batch})`, async () => {
        const { engine, tracker } = await tracked(FILTERED(extra), () => 1_000_000);
        const events = randomPackets(batch * 31 + (reset ? 1 : 0), 1500);
        for (let i = 0; i < events.length; i += batch) engine.push(events.slice(i, i + batch));
        const want = recount(events, timeoutMs, reset);

        const snap = tracker.snapshot('proto', { liveKeys: 0, byteSize: 0, states: {} });
        expect(snap.steps).toBe(want.steps);
        expect(snap.invalidSteps).toBe([...want.invalid.values()].reduce((a, b) => a + b, 0));
        expect(Object.fromEntries(snap.edges.filter((e) => e.count).map((e) => [`${e.from} ${e.event}`, e.count]))).toEqual(Object.fromEntries(want.edges));
        expect(Object.fromEntries(snap.invalid.map((e) => [`${e.from} ${e.event}`, e.count]))).toEqual(Object.fromEntries(want.invalid));
        for (const [key, trail] of want.trails) {
          const steps = tracker.trail('proto', key, '').steps;
          expect(steps.map((s) => `${s.from}-${s.event}->${s.to ?? 'x'}`), key).toEqual(trail);
        }
        // Keys with an invalid step are listed as alerted, the latest first.
        const alerted = [...want.trails].filter(([, t]) => t.some((s) => s.endsWith('->x'))).map(([k]) => k);
        expect([...snap.alertedKeys].sort()).toEqual(alerted.sort());
      });
    }
  }

  it('rates transitions per second over the last 10 s of processing time, and keeps the trail with its events', async () => {
    let now = 1_000_000;
    const { engine, tracker } = await tracked(FILTERED(''), () => now);
    engine.push([packet('10.0.0.1', 'a'), packet('10.0.0.2', 'c'), { kind: 'auth', sourceAddress: '10.0.0.1', type: 'a', timestamp: 1 }]);
    engine.push([packet('10.0.0.1', 'b'), packet('10.0.0.1', 'f'), packet('10.0.0.1', 'e'), packet('10.0.0.2', 'd')]);
    engine.push([packet('10.0.0.1', 'g')]);
    const trail = tracker.trail('proto', '10.0.0.1', engine.stateOf('proto', { sourceAddress: '10.0.0.1' }));
    expect(trail.state).toBe('INITIAL');
    expect(trail.steps.map((s) => `${s.from}-${s.event}->${s.to ?? 'x'}`)).toEqual(['INITIAL-a->W', 'W-b->Y', 'Y-f->x', 'Y-e->Z', 'Z-g->TERM']);
    expect(trail.steps.map((s) => s.at)).toEqual([now, now, now, now, now]);
    expect(trail.steps[2]).toMatchObject({ valid: false, data: packet('10.0.0.1', 'f') });

    const snap = tracker.snapshot('proto', { liveKeys: 1, byteSize: 64, states: {} });
    const edge = (from: string, event: string) => snap.edges.find((e) => e.from === from && e.event === event)!;
    expect(edge('INITIAL', 'a')).toMatchObject({ count: 1, perSecond: 0.1 });
    expect(snap.invalid).toEqual([{ from: 'Y', event: 'f', count: 1, perSecond: 0.1 }]);
    expect(snap.alertedKeys).toEqual(['10.0.0.1']);
    now += 60_000;
    expect(tracker.snapshot('proto', { liveKeys: 1, byteSize: 64, states: {} }).edges.every((e) => e.perSecond === 0)).toBe(true);
  });

  it('follows only STATE MACHINE rules, and keeps counters while a rule text stays the same', async () => {
    const { engine, tracker } = await tracked(FILTERED(''), () => 0);
    tracker.setRules([...engine.rules(), { name: 'simple', text: 'RULE "simple"\nSOURCES kind = "x"\nSINK function (e) { return e; }', kind: 'simple' }]);
    expect(tracker.ruleNames).toEqual(['proto']);
    engine.push([packet('k', 'a')]);
    tracker.setRules(engine.rules());
    expect(tracker.rule('proto')!.steps).toBe(1);
    tracker.setRules([]);
    expect(tracker.ruleNames).toEqual([]);
    // A rule no longer followed: its transitions are ignored.
    engine.push([packet('k', 'b')]);
    expect(tracker.rule('proto')).toBeUndefined();
  });
});
