import { afterEach, describe, expect, it } from 'vitest';
import { ANOMALOUS, flowFeatures, NORMAL, type FeatureRow } from '../../src/ml/index.js';
import { createNodeEngine } from '../../src/runtime/node.js';
import { FlowModelKeeper, relabelCluster, rowTruth } from '../../web/worker/flow-model.js';
import { FlowStats, slimFlow } from '../../web/worker/flow-stats.js';
import { WorkerHost } from '../../web/worker/host.js';
import { MemoryStore } from '../../web/worker/persistence.js';
import { simulatorLib } from '../../web/worker/simulator-lib.js';
import { createGenerator } from '../../src/simulate/index.js';
import { DEFAULTS } from '../../web/defaults.js';
import { FakeTimer } from './fake-timer.js';

const flow = (src: string, dst: string, port: number, transport: string, bytes: number, packets: number, start: number) => ({
  kind: 'flow',
  'source.ip': src,
  'destination.ip': dst,
  'destination.port': port,
  'network.transport': transport,
  'network.bytes': bytes,
  'network.packets': packets,
  'event.start': start,
  'event.end': start + 100,
});

/** Six flows in the first minute: a, b, c send; x is the busy server. */
const FLOWS = [
  flow('a', 'x', 80, 'tcp', 1000, 10, 1_000),
  flow('a', 'y', 443, 'tcp', 500, 5, 2_000),
  flow('b', 'x', 53, 'udp', 100, 1, 12_000),
  flow('a', 'x', 80, 'tcp', 300, 3, 15_000),
  flow('c', 'x', 2048, 'icmp', 84, 1, 25_000),
  flow('b', 'a', 22, 'tcp', 2000, 20, 30_000),
];
const counts = (flows: number, packets: number, bytes: number) => ({ flows, packets, bytes });
const NONE = counts(0, 0, 0);

describe('flow statistics (worker)', () => {
  it('reads flat and nested ECS fields, and leaves events that are not flows', () => {
    expect(slimFlow({ 'source.ip': 'a', 'destination.ip': 'b', src_ip: 'a' })).toBeUndefined();
    expect(slimFlow({ kind: 'auth', src_ip: 'a', user: 'root' })).toBeUndefined();
    const nested = slimFlow({ source: { ip: 'a' }, destination: { ip: 'b', port: 53 }, network: { bytes: 70, packets: 1, iana_number: 17 }, event: { start: '2026-01-01T00:00:10Z' } }, true);
    expect(nested).toEqual({
      'source.ip': 'a',
      'destination.ip': 'b',
      'destination.port': 53,
      'network.bytes': 70,
      'network.packets': 1,
      'event.start': Date.UTC(2026, 0, 1, 0, 0, 10),
      'network.transport': 'udp',
      transport: 'udp',
      anomaly: true,
    });
  });

  it('counts TCP/UDP/other per 10 s bucket and ranks the top talkers by bytes and by flows', () => {
    const stats = new FlowStats();
    expect(stats.add([...FLOWS, { kind: 'auth', src_ip: 'a' }])).toBe(6);
    const s = stats.summary(2);
    expect(s.flows).toBe(6);
    expect(s.protocols).toEqual([
      { time: 0, tcp: counts(2, 15, 1500), udp: NONE, other: NONE },
      { time: 10_000, tcp: counts(1, 3, 300), udp: counts(1, 1, 100), other: NONE },
      { time: 20_000, tcp: NONE, udp: NONE, other: counts(1, 1, 84) },
      { time: 30_000, tcp: counts(1, 20, 2000), udp: NONE, other: NONE },
    ]);
    expect(s.totals).toEqual({ tcp: counts(4, 38, 3800), udp: counts(1, 1, 100), other: counts(1, 1, 84) });
    expect(s.topByBytes).toEqual([
      { address: 'b', flows: 2, packets: 21, bytes: 2100 },
      { address: 'a', flows: 3, packets: 18, bytes: 1800 },
    ]);
    expect(s.topByFlows.map((t) => [t.address, t.flows])).toEqual([
      ['a', 3],
      ['b', 2],
    ]);
    expect(s.sources).toBe(3);
    expect(s.eventTime).toBe(30_000);
    // Unchanged statistics give the same (cached) summary.
    expect(stats.summary(2)).toBe(s);
  });

  it('profiles a host per window, as sender and receiver, open and then closed', () => {
    const stats = new FlowStats();
    const closed: FeatureRow[][] = [];
    stats.onWindowClosed = (rows) => closed.push(rows);
    stats.add(FLOWS);
    const a = { out: { flows: 3, packets: 18, bytes: 1800, peers: 2, ports: 2 }, in: { flows: 1, packets: 20, bytes: 2000, peers: 1, ports: 1 } };
    expect(stats.hostProfile('a')).toEqual({ address: 'a', windowMs: 60_000, windows: [{ windowStart: 0, open: true, ...a }] });
    // x received four flows from a, b and c on three ports, and sent nothing.
    expect(stats.hostProfile('x').windows[0]).toEqual({
      windowStart: 0,
      open: true,
      out: { flows: 0, packets: 0, bytes: 0, peers: 0, ports: 0 },
      in: { flows: 4, packets: 15, bytes: 1484, peers: 3, ports: 3 },
    });
    // a sent three flows and received one, x received four: a tie, by address.
    expect(stats.hosts()).toEqual(['a', 'x', 'b', 'c', 'y']);
    expect(stats.hosts('b')).toEqual(['b']);

    // 66 s − 5 s of lateness passes the end of the first window: it closes with the same numbers.
    stats.add([flow('d', 'x', 80, 'tcp', 10, 1, 66_000)]);
    expect(closed).toHaveLength(1);
    expect(closed[0]!.map((r) => [r.source, r.features])).toEqual([
      ['a', [1800, 3, 18, 2, 2]],
      ['b', [2100, 2, 21, 2, 2]],
      ['c', [84, 1, 1, 1, 1]],
    ]);
    const profile = stats.hostProfile('a');
    expect(profile.windows).toEqual([
      { windowStart: 0, open: false, ...a },
      { windowStart: 60_000, open: true, out: { flows: 0, packets: 0, bytes: 0, peers: 0, ports: 0 }, in: { flows: 0, packets: 0, bytes: 0, peers: 0, ports: 0 } },
    ]);

    // A flow for the closed window is late: left out of the windows, still in its protocol bucket.
    stats.add([flow('a', 'x', 80, 'tcp', 7, 1, 59_000)]);
    const s = stats.summary();
    expect(s.late).toBe(1);
    expect(s.protocols.find((p) => p.time === 50_000)!.tcp).toEqual(counts(1, 1, 7));
    expect(stats.hostProfile('a').windows[0]!.out.flows).toBe(3);
    // Top talkers span the closed and the open window.
    expect(s.topByBytes.map((t) => [t.address, t.bytes])).toEqual([
      ['b', 2100],
      ['a', 1800],
      ['c', 84],
      ['d', 10],
    ]);
  });

  it('gives the model the rows flowFeatures computes, with the ground truth', () => {
    const stats = new FlowStats();
    const truth = [false, false, true, false, false, true];
    stats.add(FLOWS, truth);
    stats.add([flow('d', 'x', 80, 'tcp', 10, 1, 66_000)], [false]);
    const rows = stats.featureRows();
    const expected = flowFeatures(
      [...FLOWS, flow('d', 'x', 80, 'tcp', 10, 1, 66_000)].map((f, i) => ({ ...f, truth: i < 6 ? truth[i] : false })),
      60_000,
      (f) => f.truth as boolean,
    );
    expect(rows).toEqual(expected);
    // Whole windows only: the first flow came at 1 s, so the first minute is not whole; the second is open.
    expect(stats.featureRows('full')).toEqual([]);
    stats.add([flow('e', 'x', 80, 'tcp', 10, 1, 126_000)], [false]);
    expect(stats.featureRows('full').map((r) => [r.source, r.windowStart])).toEqual([['d', 60_000]]);
    expect(rows.map((r) => [r.source, r.anomalies, r.labelled, rowTruth(r)])).toEqual([
      ['a', 0, 3, false],
      ['b', 2, 2, true],
      ['c', 0, 1, false],
      ['d', 0, 1, false],
    ]);
  });

  it('keeps 10 minutes of buckets and 15 windows, forgetting older ones', () => {
    const stats = new FlowStats();
    for (let minute = 0; minute < 20; minute++) stats.add([flow('a', 'x', 80, 'tcp', 1, 1, minute * 60_000)]);
    const s = stats.summary();
    // The newest bucket starts at 19 min; the ten minutes before it hold the flows of minutes 10 to 19,
    // and the series runs without gaps from the first of them.
    expect(s.protocols[0]!.time).toBe(10 * 60_000);
    expect(s.protocols).toHaveLength(55);
    expect(s.protocols.filter((p) => p.tcp.flows).map((p) => p.time / 60_000)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(s.totals.tcp.flows).toBe(10);
    expect(stats.hostProfile('a').windows.map((w) => w.windowStart / 60_000)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });
});

/** Feature rows of simulated flows with attacks, and their truth (test/ml/data.ts, but with injected attacks). */
function simulatedRows(seed: number): FeatureRow[] {
  const g = createGenerator('flows', { seed, rate: 300, errorProbability: 0.02 });
  g.inject(5);
  const sims = g.take(300 * 40);
  const stats = new FlowStats();
  stats.add(sims.map((s) => s.event), sims.map((s) => s.anomaly));
  return stats.featureRows();
}

describe('flow model (worker)', () => {
  it('trains K-Means + KNN on the rows, labels clusters from the ground truth and plots them after PCA', () => {
    const rows = simulatedRows(1);
    const keeper = new FlowModelKeeper();
    const view = keeper.train(rows, { now: 5, windowMs: 60_000 });
    expect(view.points).toHaveLength(rows.length);
    expect(view.points.map((p) => p.host)).toEqual(rows.map((r) => r.source));
    expect(view.clusters.reduce((n, c) => n + c.size, 0)).toBe(rows.length);
    expect(view.clusters.every((c) => c.labelledBy === 'truth')).toBe(true);
    expect(view.clusters.some((c) => c.label === ANOMALOUS)).toBe(true);
    // Each cluster's label is the majority of its rows' truth.
    for (const c of view.clusters) expect(c.label).toBe(c.truthAnomalous * 2 > c.truthKnown ? ANOMALOUS : NORMAL);
    // A training row votes with its truth (host-baseline model), whatever its cluster.
    for (const p of view.points) expect(p.label).toBe(p.truth ? ANOMALOUS : NORMAL);
    expect(view.truthRows).toBe(rows.length);
    expect(view.truthAgreement).toBe(view.points.filter((p) => (p.label === ANOMALOUS) === p.truth).length);
    expect(view.explained[0]).toBeGreaterThanOrEqual(view.explained[1]!);
    expect(view.trainedAt).toBe(5);
    expect(view.scored).toEqual([]);
  });

  it('lets the user relabel a cluster; the KNN votes with the new labels', () => {
    const rows = simulatedRows(2);
    const keeper = new FlowModelKeeper();
    const before = keeper.train(rows, { now: 0 });
    const anomalous = before.clusters.find((c) => c.label === ANOMALOUS)!;
    const member = before.points.find((p) => p.cluster === anomalous.index)!;
    expect(keeper.classify(member.inputs!)!.label).toBe(ANOMALOUS);
    const after = keeper.label(anomalous.index, NORMAL);
    expect(after.clusters[anomalous.index]).toMatchObject({ label: NORMAL, labelledBy: 'user' });
    expect(after.points.filter((p) => p.cluster === anomalous.index).every((p) => p.label === NORMAL)).toBe(true);
    expect(after.version).toBe(before.version + 1);
    // With no anomalous training point left in reach, the vote is normal.
    if (after.clusters.every((c) => c.label === NORMAL) && after.points.every((p) => p.label === NORMAL)) expect(keeper.classify(member.inputs!)!.label).toBe(NORMAL);
    expect(() => relabelCluster(keeper.current!, [], 99, NORMAL)).toThrow(RangeError);
  });

  it('scores the rows of windows closed after training', () => {
    const keeper = new FlowModelKeeper();
    const rows = simulatedRows(3);
    keeper.score(rows.slice(0, 3)); // no model yet: nothing
    const view = keeper.train(rows, { now: 0 });
    expect(view.scored).toEqual([]);
    keeper.score(rows.slice(0, 4));
    const scored = keeper.currentView()!.scored;
    expect(scored.map((p) => p.host)).toEqual(rows.slice(0, 4).map((r) => r.source));
    for (const p of scored) expect(p.label).toBe(keeper.classify(p.inputs!)!.label);
    expect(() => new FlowModelKeeper().train(rows.slice(0, 2), { now: 0 })).toThrow(/at least 3/);
  });
});

describe('flows through the worker host', () => {
  const hosts: WorkerHost[] = [];
  afterEach(() => {
    for (const h of hosts.splice(0)) h.dispose();
  });

  it('aggregates the simulated flows it pushes, sends the summary with the metrics, and trains from them', async () => {
    const timer = new FakeTimer();
    const host = new WorkerHost({
      createEngine: async () => ({ engine: await createNodeEngine(), loadMs: 0 }),
      openStore: async () => new MemoryStore(),
      simulator: async () => simulatorLib,
      timer,
    });
    hosts.push(host);
    await host.init({ defaults: { ...DEFAULTS, simulator: { mix: [{ generator: 'flows', weight: 1 }], rate: 200, errorProbability: 0.02, seed: 3 } } });
    host.injectAnomaly(4);
    timer.advance(70_000);
    const flows = host.metrics().flows!;
    expect(flows.flows).toBe(host.simulator().generated);
    const protocolFlows = flows.totals.tcp.flows + flows.totals.udp.flows + flows.totals.other.flows;
    expect(protocolFlows).toBe(flows.flows);
    expect(flows.topByBytes).toHaveLength(10);
    expect(flows.topByFlows[0]!.flows).toBeGreaterThanOrEqual(flows.topByFlows[9]!.flows);
    const busiest = flows.topByFlows[0]!.address;
    const profile = host.flowHostProfile(busiest);
    expect(profile.windows.reduce((n, w) => n + w.out.flows, 0)).toBeGreaterThanOrEqual(flows.topByFlows[0]!.flows);
    const view = await host.trainFlowModel();
    expect(view.points.length).toBeGreaterThan(100);
    expect(view.clusters.some((c) => c.label === ANOMALOUS)).toBe(true);
    expect(host.metrics().flows!.model).toMatchObject({ version: view.version, k: view.k });
    expect(JSON.parse(host.flowModelJson()!).kind).toBe('vigil.flow-model');
    // A window that closes after training is scored by the KNN.
    timer.advance(60_000);
    expect(host.flowModel()!.scored.length).toBeGreaterThan(0);
    expect(host.flowHostProfile(busiest).windows.some((w) => w.label !== undefined)).toBe(true);

    // Rules score with the model the view trained, under the name "flows".
    const applied = await host.putRules(`RULE "flow verdicts"
SOURCES kind = "flow"
USING event.start
AGGREGATE BY source.ip
WITHIN 1:min, 1:min
SINK function (w) { return utils.classify("flows", utils.flowFeatures(w.events)); }
`);
    expect(applied.ok).toBe(true);
    timer.advance(130_000);
    const stats = host.rules().find((r) => r.name === 'flow verdicts')!.stats;
    expect(stats.errors).toBe(0);
    expect(stats.alerts).toBeGreaterThan(0);
  });
});
