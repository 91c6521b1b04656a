/** The state-machine debugger's pure parts: graph layout, trail buffer, transition tracking and rates. */
import { describe, expect, it } from 'vitest';
import { machineDefinitionOfText } from '../../web/worker/machine-def.js';
import { RateWindow } from '../../web/worker/rate-window.js';
import { TrailBuffer } from '../../web/worker/trail-buffer.js';
import { TransitionTracker, type MachineProbe } from '../../web/worker/transition-tracker.js';
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

/** The engine's side, simulated: a map of key → state moved by the same definition. */
function fakeEngine() {
  const states = new Map<string, string>();
  const probe: MachineProbe = { stateOf: (_rule, key) => states.get(String(key.sourceAddress)) ?? 'INITIAL' };
  const next = (from: string, type: string) => def.edges.find((e) => e.from === from && e.event === type)?.to;
  const push = (events: { sourceAddress: string; type: string }[]) => {
    for (const e of events) {
      const to = next(states.get(e.sourceAddress) ?? 'INITIAL', e.type);
      if (to === 'TERM') states.delete(e.sourceAddress);
      else if (to) states.set(e.sourceAddress, to);
    }
  };
  return { probe, push, states };
}

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

describe('rate window', () => {
  it('averages counts per second over the last seconds only', () => {
    let now = 100_000;
    const r = new RateWindow(() => now, 10);
    for (let i = 0; i < 50; i++) r.add('x');
    expect(r.perSecond('x')).toBe(5);
    now += 5000;
    r.add('x', 10);
    expect(r.perSecond('x')).toBe(6);
    now += 6000; // the first 50 fall out of the window
    expect(r.perSecond('x')).toBe(1);
    now += 20_000;
    expect(r.perSecond('x')).toBe(0);
  });
});

describe('transition tracker', () => {
  it('replays each routed event from the state the engine held, counts transitions, and keeps the trail with invalid steps', () => {
    let now = 1_000_000;
    const tracker = new TransitionTracker(() => now);
    tracker.setRules([{ name: 'proto', text: RULE, kind: 'state-machine' }]);
    const engine = fakeEngine();
    const push = (events: ReturnType<typeof packet>[]) => tracker.around(events, engine.probe, () => engine.push(events));
    push([packet('10.0.0.1', 'a'), packet('10.0.0.2', 'c'), { kind: 'auth', sourceAddress: '10.0.0.1', type: 'a', timestamp: 1 } as never]);
    push([packet('10.0.0.1', 'b'), packet('10.0.0.1', 'f'), packet('10.0.0.1', 'e'), packet('10.0.0.2', 'd')]);
    push([packet('10.0.0.1', 'g')]);

    const t = tracker.rule('proto')!;
    expect(t.steps).toBe(7);
    expect(t.invalid).toBe(1);
    expect(t.resyncs).toBe(0);
    const trail = tracker.trail('proto', '10.0.0.1', 'INITIAL');
    expect(trail.steps.map((s) => `${s.from}-${s.event}->${s.to ?? 'x'}`)).toEqual(['INITIAL-a->W', 'W-b->Y', 'Y-f->x', 'Y-e->Z', 'Z-g->TERM']);
    expect(trail.steps[2]!.valid).toBe(false);

    const snap = tracker.snapshot('proto', { liveKeys: 1, byteSize: 64, states: { INITIAL: 0, W: 0, X: 0, Y: 0, Z: 1 } });
    const edge = (from: string, event: string) => snap.edges.find((e) => e.from === from && e.event === event)!;
    expect(edge('INITIAL', 'a').count).toBe(1);
    expect(edge('X', 'd').count).toBe(1);
    expect(edge('Z', 'g').count).toBe(1);
    expect(edge('INITIAL', 'a').perSecond).toBeCloseTo(0.1);
    expect(snap.invalid).toEqual([{ from: 'Y', event: 'f', count: 1, perSecond: 0.1 }]);
    expect(snap.alertedKeys).toEqual(['10.0.0.1']);
    now += 60_000;
    expect(tracker.snapshot('proto', { liveKeys: 1, byteSize: 64, states: {} }).edges.every((e) => e.perSecond === 0)).toBe(true);
  });

  it('counts a resync when the engine ended somewhere else, and treats keys idle past TIMEOUT as new', () => {
    const tracker = new TransitionTracker(() => 0);
    tracker.setRules([{ name: 'proto', text: RULE, kind: 'state-machine' }]);
    const engine = fakeEngine();
    tracker.around([packet('k', 'a', 0)], engine.probe, () => engine.push([packet('k', 'a', 0)]));
    // The engine forgot k (its TIMEOUT passed); the tracker applies the same timeout.
    engine.states.delete('k');
    tracker.around([packet('k', 'c', 400_000)], engine.probe, () => engine.push([packet('k', 'c', 400_000)]));
    expect(tracker.trail('proto', 'k', 'X').steps.at(-1)).toMatchObject({ from: 'INITIAL', to: 'X', valid: true });
    // An engine that does not move (e.g. a FILTER dropped the event): the tracker notices.
    tracker.around([packet('k', 'd', 400_001)], engine.probe, () => undefined);
    expect(tracker.rule('proto')!.resyncs).toBe(1);
  });

  it('follows only STATE MACHINE rules, and keeps counters while a rule text stays the same', () => {
    const tracker = new TransitionTracker(() => 0);
    tracker.setRules([
      { name: 'proto', text: RULE, kind: 'state-machine' },
      { name: 'simple', text: 'RULE "simple"\nSOURCES kind = "x"\nSINK function (e) { return e; }', kind: 'simple' },
    ]);
    expect(tracker.ruleNames).toEqual(['proto']);
    const engine = fakeEngine();
    tracker.around([packet('k', 'a')], engine.probe, () => engine.push([packet('k', 'a')]));
    tracker.setRules([{ name: 'proto', text: RULE, kind: 'state-machine' }]);
    expect(tracker.rule('proto')!.steps).toBe(1);
    tracker.setRules([]);
    expect(tracker.ruleNames).toEqual([]);
  });
});
