/**
 * Flow detections in the app: the default pack's flow rules (web/flow-rules.vgl) compile and stay
 * quiet on the default mix, find the `flows` generator's scans and SSH brute force once per
 * attacker and period (SUPPRESS), and the simulator's scorer (`alertTruthKey`) reads their `source`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeEngine } from '../../src/runtime/node.js';
import { WorkerHost } from '../../web/worker/host.js';
import { MemoryStore } from '../../web/worker/persistence.js';
import type { UpdateBatch } from '../../src/runtime/worker/protocol.js';
import { alertTruthKey, simulatorLib } from '../../web/worker/simulator-lib.js';
import { DEFAULTS } from '../../web/defaults.js';
import flowRules from '../../web/flow-rules.vgl?raw';
import { FakeTimer } from './fake-timer.js';

const FLOW_RULES = ['tcp horizontal port scan', 'tcp vertical port scan', 'ssh brute force'];

describe('alertTruthKey', () => {
  it('reads user@server, then sourceAddress, then the flow attacker (source, source.ip)', () => {
    expect(alertTruthKey({ rule: 'brute force', key: { user: 'root', server: 'db1' }, sourceAddress: '203.0.113.3' })).toBe('root@db1');
    expect(alertTruthKey({ rule: 'x', user: 'root', server: 'db1' })).toBe('root@db1');
    expect(alertTruthKey({ rule: 'protocol violation', sourceAddress: '10.0.0.7' })).toBe('10.0.0.7');
    // The flow rules' SINKs name the attacker `source`; the aggregation key holds source.ip.
    expect(alertTruthKey({ rule: 'tcp vertical port scan', key: { 'source.ip': '203.0.113.9', 'destination.ip': '10.2.0.4' }, source: '203.0.113.9', target: '10.2.0.4' })).toBe('203.0.113.9');
    expect(alertTruthKey({ rule: 'ssh brute force', source: '198.51.100.20', attempts: 12 })).toBe('198.51.100.20');
    // Without `source`: the aggregation key, a flat ECS field, a nested ECS object.
    expect(alertTruthKey({ rule: 'r', key: { 'source.ip': '192.0.2.200' }, flows: 40 })).toBe('192.0.2.200');
    expect(alertTruthKey({ rule: 'r', 'source.ip': '10.1.0.5' })).toBe('10.1.0.5');
    expect(alertTruthKey({ rule: 'r', source: { ip: '10.1.0.6', port: 5353 } })).toBe('10.1.0.6');
    // Names none of them: undefined (a false alarm for the scorer).
    expect(alertTruthKey({ rule: 'violations per network', key: { networkId: 'n1' }, networkId: 'n1' })).toBeUndefined();
    expect(alertTruthKey({ rule: 'r', source: {} })).toBeUndefined();
    expect(alertTruthKey({ rule: 'r', source: '' })).toBeUndefined();
  });

  it('scores flow detections against the flows generator’s truth keys: exact precision and recall', () => {
    // Truth: two scanners, an SSH brute-forcer, a UDP flooder and a client asking an external resolver.
    const truth = new Set(['203.0.113.10', '203.0.113.77', '198.51.100.5', '192.0.2.140', '10.1.0.9']);
    const alerts = [
      // Two windows of one horizontal scan (one key), and a vertical scan: 2 true positives.
      { rule: 'tcp horizontal port scan', key: { 'source.ip': '203.0.113.10', 'destination.port': 22 }, source: '203.0.113.10', port: 22, flows: 20 },
      { rule: 'tcp horizontal port scan', key: { 'source.ip': '203.0.113.10', 'destination.port': 22 }, source: '203.0.113.10', port: 22, flows: 31 },
      { rule: 'tcp vertical port scan', key: { 'source.ip': '203.0.113.77', 'destination.ip': '10.2.0.3' }, source: '203.0.113.77', target: '10.2.0.3', flows: 25 },
      // The brute-forcer: a third true positive.
      { rule: 'ssh brute force', key: { 'source.ip': '198.51.100.5' }, source: '198.51.100.5', attempts: 14 },
      // A source that attacked nobody: a false positive.
      { rule: 'ssh brute force', key: { 'source.ip': '10.1.0.44' }, source: '10.1.0.44', attempts: 10 },
      // An alert naming no key: another false positive.
      { rule: 'violations per network', key: { networkId: 'n' }, networkId: 'n', count: 3 },
    ];
    const score = simulatorLib.score(alerts, truth);
    expect(score).toEqual({ truePositives: 3, falsePositives: 2, falseNegatives: 2, precision: 3 / 5, recall: 3 / 5 });
    // The same detections before the scorer read `source`: nothing found, every alert a false alarm.
    const before = simulatorLib.score(alerts.map(({ source: _source, key: _key, ...rest }) => rest), truth);
    expect(before).toMatchObject({ truePositives: 0, falsePositives: 6, recall: 0 });
  });
});

describe('flow rules of the default pack', () => {
  it('are the copies of rules/flows/ plus SUPPRESS FOR 10:min BY source, and compile', async () => {
    for (const name of FLOW_RULES) expect(DEFAULTS.rules).toContain(`RULE "${name}"`);
    expect(flowRules.match(/^SUPPRESS FOR 10:min BY source$/gm)).toHaveLength(3);
    const engine = await createNodeEngine();
    try {
      for (const [name, entries] of Object.entries(DEFAULTS.iocLists)) {
        engine.iocs.create(name, { capacity: Math.max(1024, entries.length * 2) });
        engine.iocs.add(name, entries);
      }
      for (const [name, entries] of Object.entries(DEFAULTS.tables)) engine.tables.create(name, entries);
      const result = engine.putRules(DEFAULTS.rules);
      expect(result).toMatchObject({ ok: true });
      const rules = engine.rules().filter((r) => FLOW_RULES.includes(r.name));
      expect(rules.map((r) => [r.name, r.state, r.kind])).toEqual(FLOW_RULES.map((n) => [n, 'active', 'aggregation']));
    } finally {
      engine.dispose();
    }
  });

  const hosts: WorkerHost[] = [];
  afterEach(() => {
    for (const h of hosts.splice(0)) h.dispose();
  });

  function makeHost(timer: FakeTimer): WorkerHost {
    const host = new WorkerHost({
      createEngine: async () => ({ engine: await createNodeEngine(), loadMs: 0 }),
      openStore: async () => new MemoryStore(),
      simulator: async () => simulatorLib,
      timer,
    });
    hosts.push(host);
    return host;
  }

  it('stay quiet on the default mix (bruteforce, noise, network)', async () => {
    const timer = new FakeTimer();
    const host = makeHost(timer);
    await host.init({ defaults: DEFAULTS });
    host.injectAnomaly(3);
    timer.advance(90_000);
    const stats = host.rules().filter((r) => FLOW_RULES.includes(r.name)).map((r) => r.stats);
    expect(stats.map((s) => [s.routed, s.alerts, s.errors])).toEqual(FLOW_RULES.map(() => [0, 0, 0]));
    expect(host.rules().find((r) => r.name === 'brute force')!.stats.alerts).toBeGreaterThan(0);
  });

  it('find the flows generator’s scans and SSH brute force, once per attacker and period, and the scorer counts them', async () => {
    const timer = new FakeTimer();
    const host = makeHost(timer);
    await host.init({ defaults: { ...DEFAULTS, simulator: { mix: [{ generator: 'flows', weight: 1 }], rate: 200, errorProbability: 0.02, seed: 3 } } });
    const batches: UpdateBatch[] = [];
    host.subscribe((b) => void batches.push(b));
    host.injectAnomaly(6);
    timer.advance(400_000);
    const alerts = batches.flatMap((b) => b.alerts.map((a) => a.alert)).filter((a) => FLOW_RULES.includes(a.rule));
    const rules = new Set(alerts.map((a) => a.rule));
    expect(rules.has('ssh brute force')).toBe(true);
    expect(rules.has('tcp horizontal port scan') || rules.has('tcp vertical port scan')).toBe(true);
    // The attackers the generator planted: scanners in 203.0.113.0/24, brute-forcers in 198.51.100.0/24.
    for (const a of alerts) expect(a.source).toMatch(a.rule === 'ssh brute force' ? /^198\.51\.100\./ : /^203\.0\.113\./);
    // SUPPRESS: a key's first alert opens its period; later ones are raised only when the window
    // holds more flows than the last raised (a scan still under way), and say by how much.
    const first = new Set<string>();
    for (const a of alerts) {
      const key = `${a.rule}|${String(a.source)}`;
      if (first.has(key)) expect((a.suppression as { growth: number }).growth).toBeGreaterThan(0);
      first.add(key);
    }
    const suppressed = host.rules().filter((r) => FLOW_RULES.includes(r.name)).reduce((n, r) => n + r.stats.suppressed, 0);
    expect(suppressed).toBeGreaterThan(alerts.length);
    // The scorer reads `source`: every flow alert is a true positive, and recall is above zero
    // (UDP floods and external DNS have no rule in the default pack: those stay missed).
    const score = host.metrics().simulator.score!;
    expect(score.truePositives).toBe(new Set(alerts.map((a) => a.source)).size);
    expect(score.falsePositives).toBe(0);
    expect(score.precision).toBe(1);
    expect(score.recall).toBeGreaterThan(0);
    expect(score.recall).toBeLessThan(1);
  });
});
