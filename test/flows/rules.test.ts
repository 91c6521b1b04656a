/**
 * The flow rule pack (rules/flows) on the `flows` generator: each rule's alerts are computed
 * independently from the generated flows (same window arithmetic) and compared exactly, and the
 * detections are checked against the generator's ground truth.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/engine/engine.js';
import { createGenerator, type FlowsGenerator, type SimulatedEvent } from '../../src/simulate/index.js';
import { expectedCandidates, expectedDdos } from './ddos-recount.js';
import { inCanonicalOrder, runPack, sorted, windows, type Flow } from './pack.js';
import { expectedOpenResolver } from './open-resolver-recount.js';
import { expectedDestinationStatistics, expectedTopDestinations } from './top-recount.js';

/** Rules that report on all traffic, anomalous or not. */
const STATISTICS_RULES = [
  'host statistics', 'protocol statistics', 'incoming packet statistics', 'outgoing packet statistics', 'ddos source statistics',
  'destination port statistics', 'destination host statistics', 'top destinations by flows', 'top destinations by bytes',
];
const distinct = (values: unknown[]) => new Set(values).size;
const withoutRule = ({ rule: _rule, ...rest }: Alert) => rest;

let generator: FlowsGenerator;
let simulated: SimulatedEvent[];
let flows: Flow[];
let alerts: Alert[];
const byRule = (name: string) => alerts.filter((a) => a.rule === name);
const truthOf = (kind: string) => new Set(simulated.filter((s) => s.anomaly && generator.kindOf(s.incident!) === kind).map((s) => s.truthKey!));

beforeAll(async () => {
  generator = createGenerator('flows', { seed: 11, rate: 100, errorProbability: 0.1 });
  simulated = generator.take(40_000);
  simulated.push(...generator.settle());
  flows = simulated.map((s) => s.event);
  alerts = await runPack(flows);
}, 120_000);

describe('flow rule pack on the flows generator', () => {
  it('the run holds every kind of anomaly', () => {
    for (const kind of ['vertical-scan', 'horizontal-scan', 'ssh-bruteforce', 'udp-flood', 'external-dns']) expect(truthOf(kind).size).toBeGreaterThan(1);
  });

  it.each([
    ['tcp horizontal port scan', 'destination.port', 'destination.ip', 'horizontal-scan'],
    ['tcp vertical port scan', 'destination.ip', 'destination.port', 'vertical-scan'],
  ])('%s: exactly the 60 s / 1 s windows with ≥ 20 SYN-only flows, and exactly the scanners', (rule, keyField, countField, kind) => {
    const syn = flows.filter((e) => e['network.iana_number'] === 6 && e['tcp.flags'] === 2);
    const expected: string[] = [];
    for (const [k, list] of windows(syn, (e) => `${e['source.ip']}|${e[keyField]}`, 60_000, 1000)) {
      if (list.length >= 20) expected.push(`${k}|${list.length}|${distinct(list.map((e) => e[countField]))}`);
    }
    const got = byRule(rule).map((a) => `${a.source}|${a.port ?? a.target}|${a.windowStart}|${a.flows}|${a.hosts ?? a.ports}`);
    expect(got.length).toBeGreaterThan(0);
    expect(sorted(got)).toEqual(sorted(expected));
    expect(new Set(byRule(rule).map((a) => a.source as string))).toEqual(truthOf(kind));
  });

  it('ssh brute force: exactly the 300 s / 5 s windows with ≥ 10 attempts, and exactly the attackers', () => {
    const attempts = flows.filter((e) => e['network.iana_number'] === 6 && e['destination.port'] === 22 && e['source.port'] > 1024 && e['network.packets'] >= 10 && e['network.packets'] <= 20 && e['network.bytes'] >= 1800 && e['network.bytes'] <= 5000 && e['event.end'] - e['event.start'] < 12_000);
    // no regular flow looks like a failed login
    expect(attempts.every((e) => simulated[flows.indexOf(e)].anomaly)).toBe(true);
    const expected: string[] = [];
    for (const [k, list] of windows(attempts, (e) => e['source.ip'], 300_000, 5000)) if (list.length >= 10) expected.push(`${k}|${list.length}`);
    const got = byRule('ssh brute force').map((a) => `${a.source}|${a.windowStart}|${a.attempts}`);
    expect(sorted(got)).toEqual(sorted(expected));
    expect(new Set(byRule('ssh brute force').map((a) => a.source as string))).toEqual(truthOf('ssh-bruteforce'));
  });

  it('dns to external resolver: one alert per external query, none for the internal resolver', () => {
    const expected = simulated.filter((s) => s.anomaly && generator.kindOf(s.incident!) === 'external-dns').map((s) => `${s.event['source.ip']}|${s.event['destination.ip']}|${s.event['event.start']}`);
    const got = byRule('dns to external resolver').map((a) => `${a.source}|${a.resolver}|${a.time}`);
    expect(sorted(got)).toEqual(sorted(expected));
  });

  it('dns open resolver: no alert — the generator draws no open resolver at random (open-resolver.test.ts injects one)', () => {
    expect(expectedOpenResolver(flows)).toEqual([]);
    expect(byRule('dns open resolver')).toEqual([]);
  });

  it('host statistics: every source and minute, every figure', () => {
    const expected = new Map<string, Flow[]>(windows(flows, (e) => e['source.ip'], 60_000, 60_000));
    const got = byRule('host statistics');
    expect(got.length).toBe(expected.size);
    for (const a of got) {
      const list = expected.get(`${a.host}|${a.windowStart}`)!;
      expect(list).toBeDefined();
      const flag = (bit: number) => list.filter((e) => ((e['tcp.flags'] ?? 0) & bit) !== 0).length;
      expect(a).toMatchObject({
        flows: list.length,
        packets: list.reduce((n, e) => n + e['network.packets'], 0),
        bytes: list.reduce((n, e) => n + e['network.bytes'], 0),
        peers: distinct(list.map((e) => e['destination.ip'])),
        ports: distinct(list.map((e) => e['destination.port'])),
        syn: flag(2),
        ack: flag(16),
        fin: flag(1),
        rst: flag(4),
        psh: flag(8),
      });
      expect(a.avgDurationMs as number).toBeCloseTo(list.reduce((n, e) => n + (e['event.end'] - e['event.start']), 0) / list.length, 6);
    }
  });

  it('protocol statistics: tcp, udp and other flows and bytes every 10 s', () => {
    const expected = windows(flows, (e) => e['observer.ip'], 10_000, 10_000);
    const got = byRule('protocol statistics');
    expect(got.length).toBe(expected.size);
    for (const a of got) {
      const list = expected.get(`${a.observer}|${a.windowStart}`)!;
      const of = (p: (n: number) => boolean) => list.filter((e) => p(e['network.iana_number']));
      const bytes = (l: Flow[]) => l.reduce((n, e) => n + e['network.bytes'], 0);
      const tcp = of((n) => n === 6);
      const udp = of((n) => n === 17);
      const other = of((n) => n !== 6 && n !== 17);
      expect(a).toMatchObject({ tcp: tcp.length, udp: udp.length, other: other.length, tcpBytes: bytes(tcp), udpBytes: bytes(udp), otherBytes: bytes(other), packets: list.reduce((n, e) => n + e['network.packets'], 0) });
      expect(other.length).toBeGreaterThan(0);
    }
  });

  it.each([
    ['incoming packet statistics', 'destination.ip', 'in'],
    ['outgoing packet statistics', 'source.ip', 'out'],
  ])('%s: packets and flows of every host and 30 s window', (rule, hostField, direction) => {
    const expected = [...windows(flows, (e) => e[hostField], 30_000, 30_000)].map(([k, list]) => {
      const [host, start] = k.split('|');
      const order = `${String(999_999_999_999_999 - +start).padStart(15, '0')}|`; // sorts the latest window first (ddos.vgl)
      return { key: { [hostField]: host }, windowStart: +start, windowEnd: +start + 30_000, host, direction, flows: list.length, packets: list.reduce((n, e) => n + e['network.packets'], 0), order };
    });
    expect(inCanonicalOrder(byRule(rule).map(withoutRule))).toEqual(inCanonicalOrder(expected));
  });

  it('ddos candidate and ddos: exactly the recounted alerts, all on victims of the UDP floods', () => {
    // The run is shorter than the 2 h window: hosts first seen in a flood compare it with little history.
    expect(inCanonicalOrder(byRule('ddos candidate').map(withoutRule))).toEqual(inCanonicalOrder(expectedCandidates(flows)));
    expect(inCanonicalOrder(byRule('ddos').map(withoutRule))).toEqual(inCanonicalOrder(expectedDdos(flows)));
    const victims = new Set(simulated.filter((s) => s.anomaly && generator.kindOf(s.incident!) === 'udp-flood').map((s) => s.event['destination.ip'] as string));
    expect(byRule('ddos').length).toBeGreaterThan(0);
    for (const a of byRule('ddos')) expect(victims).toContain(a.host);
  });

  it.each([['port'], ['host']] as const)('destination %s statistics: flows and bytes of every source, destination and minute', (of) => {
    const got = byRule(`destination ${of} statistics`).map(({ rule: _rule, rankByFlows: _f, rankByBytes: _b, ...rest }) => rest);
    expect(inCanonicalOrder(got)).toEqual(inCanonicalOrder(expectedDestinationStatistics(flows, of)));
  });

  it.each([['flows'], ['bytes']] as const)('top destinations by %s: every source and minute, top 10 ports and hosts', (by) => {
    const got = byRule(`top destinations by ${by}`);
    // the cut at 10 and ties (scans: 1 flow and 44 bytes to every port or host) are exercised
    expect(got.some((a) => (a.ports as unknown[]).length === 10)).toBe(true);
    expect(got.some((a) => (a.hosts as unknown[]).length === 10)).toBe(true);
    expect(inCanonicalOrder(got.map(withoutRule))).toEqual(inCanonicalOrder(expectedTopDestinations(flows, by)));
  });

  it('no alert of the detection rules without anomalies', async () => {
    const clean = createGenerator('flows', { seed: 12, errorProbability: 0 }).take(20_000).map((s) => s.event);
    const quiet = (await runPack(clean)).filter((a) => !STATISTICS_RULES.includes(a.rule as string));
    expect(quiet).toEqual([]);
  });
});
