/**
 * The DDoS rules (rules/flows/ddos.vgl, run with the whole pack) on a flood after a quiet 2 h
 * baseline from the flows generator, on the same traffic without the flood, and at the edges of the
 * thresholds with hand-made flows.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/engine/engine.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import { makeFlowEvent } from '../../src/io/flow-event.js';
import { DDOS_MAX_FLOWS, DDOS_MAX_PACKETS_PER_FLOW, DDOS_MAX_SPAN_MS, DDOS_MIN_FLOWS, DDOS_MIN_PACKETS_PER_FLOW, type FlowsGenerator } from '../../src/simulate/flows.js';
import { createGenerator, DEFAULT_START_TIME, type SimulatedEvent } from '../../src/simulate/index.js';
import { expectedCandidates, expectedDdos, expectedSourceStatistics, LONG_MS, MIN_ATTACKER_PACKETS, SHORT_MS, TOP_ATTACKERS } from './ddos-recount.js';
import { inCanonicalOrder, runPack, type Flow } from './pack.js';

const withoutRule = ({ rule: _rule, ...rest }: Alert) => rest;
const ofRule = (alerts: Alert[], name: string) => alerts.filter((a) => a.rule === name);

/** Quiet traffic (2 flows/s, no random anomalies) for 2 h, then optionally a flood, then 5 more minutes. */
function quietThenFlood(flood: boolean): { generator: FlowsGenerator; simulated: SimulatedEvent[] } {
  const generator = createGenerator('flows', { seed: 21, rate: 2, errorProbability: 0, clients: 40 });
  const simulated: SimulatedEvent[] = [];
  const takeUntil = (time: number) => {
    while (generator.now < time) simulated.push(...generator.take(1));
  };
  takeUntil(DEFAULT_START_TIME + LONG_MS + 45_000);
  if (flood) generator.injectFlood();
  takeUntil(generator.now + 5 * 60_000);
  simulated.push(...generator.settle());
  return { generator, simulated };
}

describe('flows generator: injectFlood', () => {
  it('floods the given victim from reflectors with the documented shape, keyed by the victim', () => {
    const g = createGenerator('flows', { seed: 3, errorProbability: 0 });
    g.take(500);
    const start = g.now;
    g.injectFlood('10.2.0.7');
    const out = [...g.take(3000), ...g.settle()];
    const flood = out.filter((s) => s.anomaly).map((s) => ({ ...s, event: s.event as Flow }));
    expect(flood.length).toBeGreaterThanOrEqual(DDOS_MIN_FLOWS);
    expect(flood.length).toBeLessThanOrEqual(DDOS_MAX_FLOWS);
    expect(new Set(flood.map((s) => g.kindOf(s.incident!)))).toEqual(new Set(['ddos']));
    for (const { event: f, truthKey } of flood) {
      expect(truthKey).toBe('10.2.0.7');
      expect(f['destination.ip']).toBe('10.2.0.7');
      expect(f['source.ip']).toMatch(/^198\.18\.[01]\.\d+$/);
      expect(f['network.transport']).toBe('udp');
      expect(f['network.packets']).toBeGreaterThanOrEqual(DDOS_MIN_PACKETS_PER_FLOW);
      expect(f['network.packets']).toBeLessThanOrEqual(DDOS_MAX_PACKETS_PER_FLOW);
      expect(f['event.start']).toBeGreaterThanOrEqual(start);
      expect(f['event.start']).toBeLessThan(start + DDOS_MAX_SPAN_MS);
    }
    expect(new Set(flood.map((s) => s.event['source.ip'])).size).toBeGreaterThan(1);
    // regular traffic goes on around it, and the flood came from the one request
    expect(out.length).toBeGreaterThan(flood.length);
    expect(new Set(flood.map((s) => s.incident)).size).toBe(1);
  });
});

describe('ddos: a flood after a quiet 2 h baseline', () => {
  let generator: FlowsGenerator;
  let simulated: SimulatedEvent[];
  let flows: Flow[];
  let alerts: Alert[];
  let victim: string;
  beforeAll(async () => {
    ({ generator, simulated } = quietThenFlood(true));
    flows = simulated.map((s) => s.event);
    alerts = await runPack(flows);
    victim = simulated.find((s) => s.anomaly)!.truthKey!;
  }, 60_000);

  it('the generator reports one flood, against one victim, big enough in one 30 s window, after 2 h of quiet', () => {
    const flood = simulated.filter((s) => s.anomaly);
    expect(new Set(flood.map((s) => s.incident))).toEqual(new Set([flood[0].incident]));
    expect(generator.kindOf(flood[0].incident!)).toBe('ddos');
    expect(flood.every((s) => s.truthKey === victim && s.event['destination.ip'] === victim)).toBe(true);
    const starts = flood.map((s) => s.event['event.start'] as number);
    expect(Math.max(...starts) - Math.min(...starts)).toBeLessThan(DDOS_MAX_SPAN_MS);
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(DEFAULT_START_TIME + LONG_MS);
    const per30s = new Map<number, number>();
    for (const s of flood) {
      const w = Math.floor((s.event['event.start'] as number) / SHORT_MS);
      per30s.set(w, (per30s.get(w) ?? 0) + (s.event['network.packets'] as number));
    }
    expect(Math.max(...per30s.values())).toBeGreaterThanOrEqual(100_000);
  });

  it('detects the flood (recall 1) and nothing else (precision 1), with exactly the recounted alerts', () => {
    const ddos = ofRule(alerts, 'ddos');
    expect(ddos.length).toBeGreaterThan(0);
    expect(new Set(ddos.map((a) => a.host))).toEqual(new Set([victim]));
    expect(inCanonicalOrder(ddos.map(withoutRule))).toEqual(inCanonicalOrder(expectedDdos(flows)));
    expect(inCanonicalOrder(ofRule(alerts, 'ddos candidate').map(withoutRule))).toEqual(inCanonicalOrder(expectedCandidates(flows)));
    for (const a of ddos) {
      expect(a.incomingPackets as number).toBeGreaterThanOrEqual(100_000);
      expect(a.factor as number).toBeGreaterThanOrEqual(50);
      expect(a.factor).toBe((a.shortRatio as number) / (a.longRatio as number));
    }
  });

  it('names the attackers: the top sources by packets toward the victim in the 30 s, all of them reflectors of the flood', () => {
    const reflectors = new Set(simulated.filter((s) => s.anomaly).map((s) => s.event['source.ip'] as string));
    expect(inCanonicalOrder(ofRule(alerts, 'ddos source statistics').map(withoutRule))).toEqual(inCanonicalOrder(expectedSourceStatistics(flows)));
    for (const a of ofRule(alerts, 'ddos')) {
      const attackers = a.attackers as { source: string; packets: number; flows: number }[];
      // the flood's reflectors each send 2000–5000 packets per flow: the list is full
      expect(attackers.length).toBe(Math.min(TOP_ATTACKERS, a.attackerCount as number));
      expect(a.attackerCount).toBe(new Set(flows.filter((f) => f['destination.ip'] === a.host && f['event.start'] >= (a.windowStart as number) && f['event.start'] < (a.windowEnd as number) && reflectors.has(f['source.ip'])).map((f) => f['source.ip'])).size);
      expect(attackers.length).toBeGreaterThan(0);
      for (const { source } of attackers) expect(reflectors).toContain(source);
      // most packets first, each at least the minimum, and no unnamed source sent more than the last named one
      const packets = attackers.map((x) => x.packets);
      expect(packets).toEqual([...packets].sort((x, y) => y - x));
      expect(Math.min(...packets)).toBeGreaterThanOrEqual(MIN_ATTACKER_PACKETS);
      const perSource = new Map<string, number>();
      for (const f of flows) {
        if (f['destination.ip'] !== a.host || f['event.start'] < (a.windowStart as number) || f['event.start'] >= (a.windowEnd as number)) continue;
        perSource.set(f['source.ip'], (perSource.get(f['source.ip']) ?? 0) + f['network.packets']);
      }
      for (const { source, packets: p } of attackers) expect(p).toBe(perSource.get(source));
      const named = new Set(attackers.map((x) => x.source));
      for (const [source, p] of perSource) if (!named.has(source)) expect(p).toBeLessThanOrEqual(Math.min(...packets));
    }
  });

  it('the cut at 10 attackers is exercised, and every ddos rule runs natively (a botnet cannot push one into the sandbox deadline)', async () => {
    expect(ofRule(alerts, 'ddos').some((a) => (a.attackerCount as number) > TOP_ATTACKERS)).toBe(true);
    const engine = await createNodeEngine();
    engine.addRules(readFileSync('rules/flows/ddos.vgl', 'utf8'), { file: 'ddos.vgl' });
    const modes = engine.rules().flatMap((r) => r.functions.map((f) => `${r.name}/${f.phase}:${f.mode}`));
    expect(modes.length).toBeGreaterThanOrEqual(9);
    expect(modes.filter((m) => !m.endsWith(':native'))).toEqual([]);
    engine.dispose();
  });

  it('raises no ddos alert, and no candidate, on the same traffic without the flood', async () => {
    const quiet = await runPack(quietThenFlood(false).simulated.map((s) => s.event));
    expect(quiet.filter((a) => a.rule === 'ddos' || a.rule === 'ddos candidate')).toEqual([]);
  }, 60_000);
});

describe('ddos: the thresholds', () => {
  // The 30 s window [END − 30 s, END) and the 2 h window [END − 2 h, END) of each host below.
  const END = DEFAULT_START_TIME + LONG_MS;
  const SHORT_START = END - SHORT_MS;
  let port = 1024;
  const packets = (from: string, to: string, count: number, at: number): Flow =>
    ({ ...makeFlowEvent({ sourceIp: from, sourcePort: port++, destinationIp: to, destinationPort: 80, protocol: 17, bytes: count * 100, packets: count, start: at, end: at + 10, observer: '192.0.2.1' }), timestamp: at });
  const PEER = '198.51.100.7';

  /**
   * A host with `incoming` packets (and `outgoing`) in the 30 s window, and `baselineIn`/`baselineOut`
   * packets earlier in the 2 h. Ratios: incoming / (outgoing + 1) and (incoming + baselineIn) /
   * (outgoing + baselineOut + 240).
   */
  function host(address: string, incoming: number, outgoing: number, baselineIn: number, baselineOut: number): Flow[] {
    const out: Flow[] = [];
    if (baselineIn) out.push(packets(PEER, address, baselineIn, END - LONG_MS + 60_000));
    if (baselineOut) out.push(packets(address, PEER, baselineOut, END - LONG_MS + 90_000));
    // two flows, to show the window sums them
    out.push(packets(PEER, address, incoming - Math.floor(incoming / 2), SHORT_START), packets(PEER, address, Math.floor(incoming / 2), END - 1));
    if (outgoing) out.push(packets(address, PEER, outgoing, SHORT_START + 5000));
    return out;
  }

  let alerts: Alert[];
  beforeAll(async () => {
    const flows = [
      // 100,000 in over 999 out: short ratio 100; 100,000 over 48,761 + 999 + 240 = 50,000: long ratio 2 — 50×.
      ...host('10.9.0.1', 100_000, 999, 0, 48_761),
      // the same but 49,900 in the long denominator: long ratio 2.004…, 49.9×.
      ...host('10.9.0.2', 100_000, 999, 0, 48_661),
      // a host that never sends, 99,999 in and nothing before: 240× (99,999 / (99,999 / 240)), one packet short.
      ...host('10.9.0.3', 99_999, 0, 0, 0),
      ...host('10.9.0.4', 100_000, 0, 0, 0),
    ].sort((a, b) => a['event.start'] - b['event.start']);
    alerts = await runPack(flows);
  });

  const ddosOf = (address: string) => alerts.filter((a) => a.rule === 'ddos' && a.host === address);

  it('fires at 50× and not at 49.9×', () => {
    expect(ddosOf('10.9.0.1').map(withoutRule)).toEqual([
      {
        host: '10.9.0.1', windowStart: SHORT_START, windowEnd: END,
        incomingPackets: 100_000, outgoingPackets: 999, shortRatio: 100,
        longIncomingPackets: 100_000, longOutgoingPackets: 49_760, longRatio: 2,
        factor: 50, attackers: [{ source: PEER, packets: 100_000, flows: 2 }], attackerCount: 1, severity: 'high',
      },
    ]);
    expect(ddosOf('10.9.0.2')).toEqual([]);
  });

  it('fires at 100,000 incoming packets and not at 99,999', () => {
    expect(ddosOf('10.9.0.3')).toEqual([]);
    expect(ddosOf('10.9.0.4').map((a) => [a.incomingPackets, a.outgoingPackets, a.shortRatio, a.longRatio, a.factor])).toEqual([[100_000, 0, 100_000, 100_000 / 240, 240]]);
  });

  it('compares each 30 s window with the 2 h ending with it: later 2 h windows of a silent host give candidates, never alerts', () => {
    // 10.9.0.4 is silent after its flood: every 2 h window that still holds the flood sees it as the
    // latest traffic, and all but the first end after it.
    const candidates = alerts.filter((a) => a.rule === 'ddos candidate' && a.host === '10.9.0.4');
    expect(candidates.length).toBe(LONG_MS / SHORT_MS);
    expect(candidates.filter((a) => a.windowEnd === END).length).toBe(1);
    expect(alerts.filter((a) => a.rule === 'ddos').length).toBe(2);
  });
});
