/**
 * "dns open resolver" (rules/flows/dns-open-resolver.vgl, run with the whole pack): an internal
 * host answering DNS queries from the Internet. On the flows generator with an injected open
 * resolver (exact alerts recounted independently, recall against the ground truth), on the same
 * traffic without it, and on hand-made flows at the edges of the definition and of the suppression.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/engine/engine.js';
import { makeFlowEvent, TCP } from '../../src/io/flow-event.js';
import {
  INTERNAL_RESOLVER, OPEN_RESOLVER_MAX_CLIENTS, OPEN_RESOLVER_MAX_QUERIES, OPEN_RESOLVER_MAX_SPAN_MS,
  OPEN_RESOLVER_MIN_CLIENTS, OPEN_RESOLVER_MIN_QUERIES, type FlowsGenerator,
} from '../../src/simulate/flows.js';
import { createGenerator, DEFAULT_START_TIME, type SimulatedEvent } from '../../src/simulate/index.js';
import { expectedOpenResolver, isInternal, isOutsideAnswer, openResolverWindows } from './open-resolver-recount.js';
import { inCanonicalOrder, runPack, type Flow } from './pack.js';

const RULE = 'dns open resolver';
const MINUTE = 60_000;
const withoutRule = ({ rule: _rule, ...rest }: Alert) => rest;
const ofRule = (alerts: Alert[]) => alerts.filter((a) => a.rule === RULE).map(withoutRule);

/**
 * 25 min of traffic at 20 flows/s with random anomalies (scans, brute force, floods, external DNS),
 * optionally an open resolver from minute 5; then the internal resolver's answers to its internal
 * clients are added (the generator emits only the query flows of regular DNS).
 */
function run(openResolver: boolean): { generator: FlowsGenerator; simulated: SimulatedEvent[]; flows: Flow[] } {
  const generator = createGenerator('flows', { seed: 31, rate: 20, errorProbability: 0.05 });
  const simulated: SimulatedEvent[] = [];
  const takeUntil = (time: number) => {
    while (generator.now < time) simulated.push(...generator.take(1));
  };
  takeUntil(DEFAULT_START_TIME + 5 * MINUTE);
  if (openResolver) generator.injectOpenResolver();
  takeUntil(DEFAULT_START_TIME + 25 * MINUTE);
  simulated.push(...generator.settle());
  const flows: Flow[] = [];
  for (const { event: f, anomaly } of simulated) {
    flows.push(f);
    if (!anomaly && f['destination.ip'] === INTERNAL_RESOLVER && f['destination.port'] === 53) flows.push(answer(f, 5));
  }
  flows.sort((a, b) => a['event.start'] - b['event.start']); // stable: the answer after its query
  return { generator, simulated, flows };
}

/** The answer to a query flow, `delay` ms later, from the queried port to the querying one. */
function answer(q: Flow, delay: number): Flow {
  const start = q['event.start'] + delay;
  return {
    ...makeFlowEvent({ sourceIp: q['destination.ip'], sourcePort: q['destination.port'], destinationIp: q['source.ip'], destinationPort: q['source.port'], protocol: q['network.iana_number'], bytes: 3 * q['network.bytes'], packets: q['network.packets'], start, end: start, tcpFlags: q['tcp.flags'], observer: q['observer.ip'] }),
    timestamp: start,
  };
}

describe('flows generator: injectOpenResolver', () => {
  it('makes the given host answer outside clients from port 53, every query answered, keyed by the resolver', () => {
    const g = createGenerator('flows', { seed: 4, errorProbability: 0 });
    g.take(500);
    const start = g.now;
    g.injectOpenResolver('10.2.0.9');
    const out = [...g.take(20_000), ...g.settle()];
    const incident = out.filter((s) => s.anomaly).map((s) => ({ ...s, event: s.event as Flow }));
    expect(new Set(incident.map((s) => g.kindOf(s.incident!)))).toEqual(new Set(['open-resolver']));
    expect(incident.every((s) => s.truthKey === '10.2.0.9')).toBe(true);
    const queries = incident.filter((s) => s.event['destination.ip'] === '10.2.0.9').map((s) => s.event);
    const answers = incident.filter((s) => s.event['source.ip'] === '10.2.0.9').map((s) => s.event);
    expect(queries.length + answers.length).toBe(incident.length);
    expect(queries.length).toBeGreaterThanOrEqual(OPEN_RESOLVER_MIN_QUERIES);
    expect(queries.length).toBeLessThanOrEqual(OPEN_RESOLVER_MAX_QUERIES);
    const clients = new Set(queries.map((f) => f['source.ip']));
    expect(clients.size).toBeGreaterThanOrEqual(OPEN_RESOLVER_MIN_CLIENTS);
    expect(clients.size).toBeLessThanOrEqual(OPEN_RESOLVER_MAX_CLIENTS);
    for (const c of clients) expect(c).toMatch(/^192\.0\.2\.([2-9]|[1-9]\d|1[01]\d|12[0-7])$/);
    // each query has its answer: the same transport, swapped ends, 1–50 ms later
    expect(answers.map((a) => `${a['destination.ip']}|${a['destination.port']}|${a['network.transport']}`).sort())
      .toEqual(queries.map((q) => `${q['source.ip']}|${q['source.port']}|${q['network.transport']}`).sort());
    for (const a of answers) {
      expect(a['source.port']).toBe(53);
      expect(isOutsideAnswer(a)).toBe(true);
      const q = queries.find((q) => q['source.ip'] === a['destination.ip'] && q['source.port'] === a['destination.port'])!;
      expect(a['event.start'] - q['event.start']).toBeGreaterThanOrEqual(1);
      expect(a['event.start'] - q['event.start']).toBeLessThanOrEqual(50);
    }
    expect(answers.some((a) => a['network.transport'] === 'tcp' && (a['tcp.flags'] & TCP.PSH) !== 0)).toBe(true);
    expect(answers.some((a) => a['network.transport'] === 'udp')).toBe(true);
    const starts = queries.map((f) => f['event.start']);
    expect(Math.min(...starts)).toBe(start);
    expect(Math.max(...starts) - start).toBeLessThan(OPEN_RESOLVER_MAX_SPAN_MS);
  });

  it('defaults to the internal resolver', () => {
    const g = createGenerator('flows', { seed: 5, errorProbability: 0 });
    g.take(10);
    g.injectOpenResolver();
    const incident = [...g.take(20_000), ...g.settle()].filter((s) => s.anomaly);
    expect(incident.length).toBeGreaterThan(0);
    expect(new Set(incident.map((s) => s.truthKey))).toEqual(new Set([INTERNAL_RESOLVER]));
  });

  it('regular traffic sends nothing from port 53 (no internal host answers anyone)', () => {
    for (const seed of [1, 11, 12, 31]) {
      const g = createGenerator('flows', { seed, errorProbability: 0.1 });
      const events = [...g.take(20_000), ...g.settle()];
      expect(events.filter((s) => !s.anomaly && s.event['source.port'] === 53)).toEqual([]);
      expect(events.filter((s) => isOutsideAnswer(s.event as Flow))).toEqual([]);
    }
  });
});

describe('dns open resolver: the internal resolver opened to the Internet, among other anomalies', () => {
  let generator: FlowsGenerator;
  let simulated: SimulatedEvent[];
  let flows: Flow[];
  let alerts: Record<string, unknown>[];
  beforeAll(async () => {
    ({ generator, simulated, flows } = run(true));
    alerts = ofRule(await runPack(flows));
  }, 60_000);

  it('the run holds the open resolver, other anomalies, and the resolver answering its internal clients', () => {
    const kinds = new Set(simulated.filter((s) => s.anomaly).map((s) => generator.kindOf(s.incident!)));
    expect(kinds).toContain('open-resolver');
    expect(kinds.size).toBeGreaterThan(2);
    const internalAnswers = flows.filter((f) => f['source.ip'] === INTERNAL_RESOLVER && f['source.port'] === 53 && isInternal(f['destination.ip']));
    expect(internalAnswers.length).toBeGreaterThan(1000);
  });

  it('exactly the recounted alerts: one per resolver and minute, held back for 10 min unless the answers grow', () => {
    const expected = expectedOpenResolver(flows);
    expect(inCanonicalOrder(alerts)).toEqual(inCanonicalOrder(expected));
    // the incident spans several minutes: some minutes are held back, some raised again with a note
    expect(openResolverWindows(flows).length).toBeGreaterThan(alerts.length);
    expect(alerts.length).toBeGreaterThan(1);
  });

  it('recall 1 and precision 1: the open resolver and nothing else, from its first minute, with only outside clients', () => {
    const incident = simulated.filter((s) => s.anomaly && generator.kindOf(s.incident!) === 'open-resolver').map((s) => s.event as Flow);
    expect(new Set(alerts.map((a) => a.resolver))).toEqual(new Set([INTERNAL_RESOLVER]));
    // the rule's definition of an answer picks exactly the incident's answers out of all the flows
    const outsideAnswers = flows.filter(isOutsideAnswer);
    expect(outsideAnswers.length).toBe(incident.length / 2);
    expect(outsideAnswers.every((f) => incident.includes(f))).toBe(true);
    const firstAnswer = Math.min(...outsideAnswers.map((f) => f['event.start']));
    const first = alerts.reduce((a, b) => ((a.windowStart as number) <= (b.windowStart as number) ? a : b));
    expect(first.windowStart).toBe(Math.floor(firstAnswer / MINUTE) * MINUTE);
    expect(first.suppression).toBeUndefined();
    const outside = new Set(incident.map((f) => f['source.ip']).filter((ip) => ip !== INTERNAL_RESOLVER));
    for (const a of alerts) for (const c of a.clients as string[]) expect(outside).toContain(c);
  });

  it('no alert on the same traffic without the open resolver', async () => {
    const quiet = run(false);
    expect(quiet.flows.filter(isOutsideAnswer)).toEqual([]);
    expect(ofRule(await runPack(quiet.flows))).toEqual([]);
  }, 60_000);
});

describe('dns open resolver: hand-made flows', () => {
  const T0 = Math.ceil(DEFAULT_START_TIME / (10 * MINUTE)) * 10 * MINUTE + 10 * MINUTE;
  let port = 30_000;
  const mk = (from: string, fromPort: number, to: string, toPort: number, protocol: number, at: number, flags?: number, bytes = 200, packets = 1): Flow =>
    ({ ...makeFlowEvent({ sourceIp: from, sourcePort: fromPort, destinationIp: to, destinationPort: toPort, protocol, bytes, packets, start: at, end: at + 5, tcpFlags: flags, observer: '192.0.2.1' }), timestamp: at });
  const udpAnswer = (resolver: string, client: string, at: number, bytes = 200) => mk(resolver, 53, client, port++, 17, at, undefined, bytes);
  const DATA = TCP.SYN | TCP.ACK | TCP.PSH | TCP.FIN;

  let flows: Flow[];
  let all: Alert[];
  let alerts: Record<string, unknown>[];
  beforeAll(async () => {
    flows = [
      // a query to an external resolver, and its answer: not answers of ours
      mk('10.1.0.5', 40_000, '8.8.8.8', 53, 17, T0 + 1000),
      mk('8.8.8.8', 53, '10.1.0.5', 40_000, 17, T0 + 1010),
      // the internal resolver answering internal clients, over UDP and TCP
      udpAnswer(INTERNAL_RESOLVER, '10.1.0.6', T0 + 2000),
      mk(INTERNAL_RESOLVER, 53, '10.1.0.7', 40_001, 6, T0 + 2100, DATA, 900, 6),
      udpAnswer('192.168.1.1', '172.16.0.1', T0 + 2200),
      udpAnswer('fd00::53', 'fd12:3456::1', T0 + 2300),
      // a resolver querying from port 53 (to port 53 outside): a query, not an answer
      mk('10.3.0.3', 53, '203.0.113.6', 53, 17, T0 + 3000),
      // a port scan's SYN-ACK and RST from port 53: no data, not answers
      mk('10.3.0.2', 53, '203.0.113.5', 40_002, 6, T0 + 4000, TCP.SYN | TCP.ACK, 44),
      mk('10.3.0.2', 53, '203.0.113.5', 40_003, 6, T0 + 4001, TCP.RST | TCP.ACK, 40),
      // ICMP from an internal host to an outside one is not DNS, whatever its "port"
      mk('10.3.0.2', 53, '203.0.113.5', 0, 1, T0 + 4002),
      // just outside 172.16/12: an external host answering
      udpAnswer('172.32.0.1', '198.51.100.1', T0 + 5000),
      // answers to the Internet: TCP with data, from the edge of 172.16/12, from a ULA, from loopback
      mk('10.3.0.1', 53, '198.51.100.9', 5353, 6, T0 + 6000, DATA, 1500, 8),
      mk('10.3.0.1', 53, '198.51.100.9', 5354, 6, T0 + 6001, undefined, 700, 4),
      udpAnswer('10.3.0.1', '198.51.100.10', T0 + 6002, 300),
      udpAnswer('172.31.255.255', '198.51.100.2', T0 + 7000),
      udpAnswer('fd00::53', '2001:db8::1', T0 + 8000),
      udpAnswer('127.0.0.1', '198.51.100.3', T0 + 9000),
    ];
    // one resolver minute after minute: 3, 2, 5, 5 answers in minutes 0–3; 2 in minute 9; 1 in minutes 10 and 11
    const R = '10.4.0.1';
    const perMinute: [number, number][] = [[0, 3], [1, 2], [2, 5], [3, 5], [9, 2], [10, 1], [11, 1]];
    for (const [minute, n] of perMinute) for (let i = 0; i < n; i++) flows.push(udpAnswer(R, `198.51.100.${100 + i}`, T0 + minute * MINUTE + 10_000 + i));
    flows.sort((a, b) => a['event.start'] - b['event.start']);
    all = await runPack(flows);
    alerts = ofRule(all);
  });

  const minute = (m: number) => ({ windowStart: T0 + m * MINUTE, windowEnd: T0 + (m + 1) * MINUTE });

  it('a query to an external resolver is not an answer (dns to external resolver reports it)', () => {
    expect(alerts.filter((a) => a.resolver === '10.1.0.5' || a.resolver === '8.8.8.8')).toEqual([]);
    expect(all.filter((a) => a.rule === 'dns to external resolver').map((a) => [a.source, a.resolver])).toEqual([['10.1.0.5', '8.8.8.8'], ['10.3.0.3', '203.0.113.6']]);
  });

  it('the internal resolver answering internal clients, and a query from port 53, give no alert', () => {
    for (const host of [INTERNAL_RESOLVER, '192.168.1.1', '10.3.0.3', '10.3.0.2', '172.32.0.1']) expect(alerts.filter((a) => a.resolver === host)).toEqual([]);
  });

  it('TCP answers count (with data, or flags unknown); UDP answers from 172.16/12, a ULA and loopback', () => {
    const of = (resolver: string) => alerts.filter((a) => a.resolver === resolver);
    expect(of('10.3.0.1')).toEqual([
      { key: { 'source.ip': '10.3.0.1' }, ...minute(0), resolver: '10.3.0.1', clients: ['198.51.100.9', '198.51.100.10'], clientCount: 2, answers: 3, udp: 1, tcp: 2, packets: 13, bytes: 2500, severity: 'medium' },
    ]);
    expect(of('172.31.255.255').map((a) => [a.clients, a.answers])).toEqual([[['198.51.100.2'], 1]]);
    expect(of('fd00::53').map((a) => [a.clients, a.answers])).toEqual([[['2001:db8::1'], 1]]);
    expect(of('127.0.0.1').map((a) => [a.clients, a.answers])).toEqual([[['198.51.100.3'], 1]]);
    expect(new Set(alerts.map((a) => a.resolver))).toEqual(new Set(['10.3.0.1', '172.31.255.255', 'fd00::53', '127.0.0.1', '10.4.0.1']));
  });

  it('one alert per resolver and 10 min, again when a minute has more answers; a new period from its end', () => {
    const clients = (n: number) => Array.from({ length: n }, (_, i) => `198.51.100.${100 + i}`);
    const figures = (n: number) => ({ resolver: '10.4.0.1', clients: clients(n), clientCount: n, answers: n, udp: n, tcp: 0, packets: n, bytes: 200 * n, severity: 'medium' });
    const key = { 'source.ip': '10.4.0.1' };
    expect(alerts.filter((a) => a.resolver === '10.4.0.1')).toEqual([
      // minute 0 opens the period [T0 + 1 min, T0 + 11 min)
      { key, ...minute(0), ...figures(3) },
      // minute 1 (2 answers) held back; minute 2 (5) raised with the growth; minute 3 (5) and 9 (2) held back
      { key, ...minute(2), ...figures(5), suppression: { count: 5, previousCount: 3, growth: 2, suppressed: 1, until: T0 + 11 * MINUTE } },
      // minute 10 ends at T0 + 11 min, where the period ends: a new period; minute 11 (1, not more) held back
      { key, ...minute(10), ...figures(1) },
    ]);
    expect(expectedOpenResolver(flows).filter((a) => a.resolver === '10.4.0.1')).toEqual(alerts.filter((a) => a.resolver === '10.4.0.1'));
  });

  it('every alert is the recounted one', () => {
    expect(inCanonicalOrder(alerts)).toEqual(inCanonicalOrder(expectedOpenResolver(flows)));
  });
});
