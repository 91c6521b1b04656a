import { describe, expect, it } from 'vitest';
import { createGenerator, EXTERNAL_RESOLVERS, INTERNAL_RESOLVER, type SimulatedEvent } from '../../src/simulate/index.js';

const byIncident = (events: SimulatedEvent[]) => {
  const m = new Map<number, SimulatedEvent[]>();
  for (const s of events) if (s.anomaly) m.set(s.incident!, [...(m.get(s.incident!) ?? []), s]);
  return m;
};

describe('flows generator', () => {
  const g = createGenerator('flows', { seed: 1, errorProbability: 0.1 });
  const events = g.take(50_000);
  events.push(...g.settle());

  it('emits flow events in event-time order, timestamp = event.start', () => {
    let last = -Infinity;
    for (const { event } of events) {
      expect(event.kind).toBe('flow');
      expect(event.timestamp).toBe(event['event.start']);
      expect(event['event.end'] as number).toBeGreaterThanOrEqual(event['event.start'] as number);
      expect(event.timestamp as number).toBeGreaterThanOrEqual(last);
      last = event.timestamp as number;
    }
  });

  it('is deterministic for a seed', () => {
    expect(createGenerator('flows', { seed: 9 }).take(2000)).toEqual(createGenerator('flows', { seed: 9 }).take(2000));
  });

  it('every anomaly has its kind, truthKey = source ip, and the documented shape', () => {
    const incidents = byIncident(events);
    const kinds = new Set<string>();
    for (const [incident, list] of incidents) {
      const kind = g.kindOf(incident)!;
      kinds.add(kind);
      for (const s of list) expect(s.truthKey).toBe(s.event['source.ip']);
      const e = list.map((s) => s.event as Record<string, any>);
      const span = e[e.length - 1]['event.start'] - e[0]['event.start'];
      switch (kind) {
        case 'vertical-scan':
        case 'horizontal-scan': {
          expect(e.every((f) => f['tcp.flags'] === 2 && f['network.packets'] === 1)).toBe(true);
          const targets = new Set(e.map((f) => (kind === 'vertical-scan' ? f['destination.port'] : f['destination.ip'])));
          expect(targets.size).toBe(e.length);
          expect(e.length).toBeGreaterThanOrEqual(20);
          expect(span).toBeLessThan(45_000);
          break;
        }
        case 'ssh-bruteforce':
          expect(e.length).toBeGreaterThanOrEqual(10);
          for (const f of e) {
            expect(f['destination.port']).toBe(22);
            expect(f['source.port']).toBeGreaterThan(1024);
            expect(f['network.packets']).toBeGreaterThanOrEqual(10);
            expect(f['network.packets']).toBeLessThanOrEqual(20);
            expect(f['network.bytes']).toBeGreaterThanOrEqual(1800);
            expect(f['network.bytes']).toBeLessThanOrEqual(5000);
            expect(f['event.end'] - f['event.start']).toBeLessThan(12_000);
          }
          expect(span).toBeLessThan(240_000);
          break;
        case 'udp-flood':
          expect(e.every((f) => f['network.transport'] === 'udp' && f['network.packets'] >= 1000)).toBe(true);
          break;
        case 'external-dns':
          expect(e.every((f) => f['destination.port'] === 53 && EXTERNAL_RESOLVERS.includes(f['destination.ip']))).toBe(true);
          break;
      }
    }
    expect(kinds.size).toBe(5);
  });

  it('regular flows never look like attacks', () => {
    for (const { event: f, anomaly } of events as { event: Record<string, any>; anomaly: boolean }[]) {
      if (anomaly) continue;
      expect(f['tcp.flags']).not.toBe(2);
      if (f['destination.port'] === 53) expect(f['destination.ip']).toBe(INTERNAL_RESOLVER);
      if (f['destination.port'] === 22) expect(f['network.bytes']).toBeGreaterThanOrEqual(20_000);
    }
  });

  it('inject(n) starts n attacks now', () => {
    const c = createGenerator('flows', { seed: 2, errorProbability: 0 });
    c.take(100);
    c.inject(3);
    const out = c.take(5000);
    out.push(...c.settle());
    expect(byIncident(out).size).toBe(3);
  });
});
