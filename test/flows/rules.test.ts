/**
 * The flow rule pack (rules/flows) on the `flows` generator: each rule's alerts are computed
 * independently from the generated flows (same window arithmetic) and compared exactly, and the
 * detections are checked against the generator's ground truth.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, Engine } from '../../src/engine/engine.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import { createGenerator, type FlowsGenerator, type SimulatedEvent } from '../../src/simulate/index.js';

type Flow = Record<string, any>;
const DIR = 'rules/flows';
const engines: Engine[] = [];
afterAll(() => engines.splice(0).forEach((e) => e.dispose()));

async function runPack(events: Flow[]): Promise<Alert[]> {
  const engine = await createNodeEngine({ outOfOrderMs: 0 });
  engines.push(engine);
  for (const f of readdirSync(DIR).filter((f) => f.endsWith('.vgl')).sort()) {
    const result = engine.addRules(readFileSync(join(DIR, f), 'utf8'), { file: f });
    expect(result.diagnostics).toEqual([]);
  }
  const alerts: Alert[] = [];
  engine.onAlert((a) => alerts.push(a));
  for (let i = 0; i < events.length; i += 1000) engine.push(events.slice(i, i + 1000));
  engine.flush();
  return alerts;
}

/** Windows of length `length` every `slide` ms (epoch-aligned) holding each group's events. */
function windows(events: Flow[], keyOf: (e: Flow) => string, length: number, slide: number): Map<string, Flow[]> {
  const out = new Map<string, Flow[]>();
  for (const e of events) {
    const t = e['event.start'] as number;
    for (let s = Math.floor(t / slide) * slide; s > t - length; s -= slide) {
      const k = `${keyOf(e)}|${s}`;
      let list = out.get(k);
      if (!list) out.set(k, (list = []));
      list.push(e);
    }
  }
  return out;
}

const distinct = (values: unknown[]) => new Set(values).size;
const sorted = (xs: string[]) => [...xs].sort();

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

  it('no alert of the detection rules without anomalies', async () => {
    const clean = createGenerator('flows', { seed: 12, errorProbability: 0 }).take(20_000).map((s) => s.event);
    const quiet = (await runPack(clean)).filter((a) => !/statistics/.test(a.rule as string));
    expect(quiet).toEqual([]);
  });
});
