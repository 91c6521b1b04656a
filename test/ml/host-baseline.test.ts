/**
 * The host-baseline feature set: the counts `utils.flowFeatures` adds (small flows, failed TCP
 * attempts, the source key), baselines and derived features against hand computations, a busy
 * server that is its usual self (normal for this model, an anomaly every minute for the raw one),
 * and model files old and new.
 */
import { describe, expect, it } from 'vitest';
import { makeFlowEvent, TCP } from '../../src/io/flow-event.js';
import {
  checkModel,
  classify,
  fitBaseline,
  flowFeatures,
  HOST_BASELINE_INPUTS,
  hostBaselineFeatures,
  MIN_BASELINE_WINDOWS,
  trainFlowModel,
  trainModel,
  type FeatureRow,
} from '../../src/ml/index.js';
import { createUtils } from '../../src/lang/utils.js';
import { createGenerator } from '../../src/simulate/index.js';
import { simulatedRows } from './data.js';

const utils = createUtils({ inTable: () => false, classify: () => ({ label: '', cluster: 0, score: 0 }) });
const tcp = (flags: number, packets = 1, source = '10.0.0.1') => makeFlowEvent({ sourceIp: source, sourcePort: 40000, destinationIp: '10.0.0.2', destinationPort: 22, protocol: 6, bytes: 60 * packets, packets, start: 0, end: 0, tcpFlags: flags, observer: 'x' });

describe('utils.flowFeatures: the host-baseline counts', () => {
  it('counts flows of ≤ 2 packets, TCP attempts without ACK (SYN or RST), and keys the source', () => {
    const flows = [
      tcp(TCP.SYN), // failed: unanswered SYN
      tcp(TCP.SYN | TCP.RST, 2), // failed: aborted before the handshake completed
      tcp(TCP.RST), // failed
      tcp(TCP.SYN | TCP.ACK, 3), // answered
      tcp(TCP.RST | TCP.ACK), // a reset with ACK: the reply of a closed port, not an attempt
      tcp(TCP.SYN | TCP.ACK | TCP.PSH | TCP.FIN, 40),
      tcp(0, 5), // an exporter without flags
      { ...makeFlowEvent({ sourceIp: '10.0.0.1', sourcePort: 5353, destinationIp: '10.0.0.3', destinationPort: 53, protocol: 17, bytes: 70, packets: 1, start: 0, end: 0, observer: 'x' }), 'tcp.flags': TCP.SYN },
      { source: { ip: '10.0.0.1' }, network: { iana_number: '6', packets: 2 }, tcp: { flags: TCP.SYN } }, // nested, number as text
    ];
    const counts = utils.flowFeatures(flows);
    // server flows: TCP or UDP from the lower port (none here: every flow goes to 22 or 53 from higher ports)
    expect(counts).toMatchObject({ flows: 9, smallFlows: 6, failedConnections: 4, serverFlows: 0 });
    const answers = [
      { 'source.ip': 'a', 'source.port': 53, 'destination.port': 40000, 'network.transport': 'udp' }, // a DNS answer
      { 'source.ip': 'a', 'source.port': 443, 'destination.port': 51000, 'network.iana_number': 6 }, // an HTTPS response
      { 'source.ip': 'a', 'source.port': 51000, 'destination.port': 443, 'network.iana_number': 6 }, // a request
      { 'source.ip': 'a', 'source.port': 0, 'destination.port': 2048, 'network.iana_number': 1 }, // ICMP: no ports
      { 'source.ip': 'a', 'source.port': 123, 'destination.port': 123, 'network.iana_number': 17 }, // NTP, peer to peer
    ];
    expect(utils.flowFeatures(answers).serverFlows).toBe(2);
    expect(counts.sourceKey).toBeGreaterThan(0);
    expect(Number.isSafeInteger(counts.sourceKey)).toBe(true);
    // the same source gives the same key; another source another; a mixed group none
    expect(utils.flowFeatures([tcp(0, 1, '10.0.0.1')]).sourceKey).toBe(counts.sourceKey);
    expect(utils.flowFeatures([tcp(0, 1, '10.0.0.9')]).sourceKey).not.toBe(counts.sourceKey);
    expect(utils.flowFeatures([tcp(0, 1, '10.0.0.1'), tcp(0, 1, '10.0.0.9')]).sourceKey).toBe(0);
    // 10,000 addresses, 10,000 keys
    expect(new Set(Array.from({ length: 10_000 }, (_, i) => utils.flowFeatures([tcp(0, 1, `10.${i >> 8}.${i & 255}.1`)]).sourceKey)).size).toBe(10_000);
  });

  it('flowFeatures rows carry the inputs in HOST_BASELINE_INPUTS order', () => {
    const rows = flowFeatures([tcp(TCP.SYN), tcp(TCP.SYN | TCP.ACK, 10)], 60_000);
    const c = utils.flowFeatures([tcp(TCP.SYN), tcp(TCP.SYN | TCP.ACK, 10)]) as unknown as Record<string, number>;
    expect(rows[0]!.inputs).toEqual(HOST_BASELINE_INPUTS.map((n) => c[n]));
    expect(rows[0]!.features).toEqual([660, 2, 11, 1, 1]);
  });
});

/** An input vector: bytes, flows, packets, destinations, ports, small, failed, server, key. */
const input = (key: number, flows: number, bytes = flows * 1000, packets = flows * 10, destinations = 2, ports = 2, small = 0, failed = 0, server = 0) => [bytes, flows, packets, destinations, ports, small, failed, server, key];

describe('baselines and features', () => {
  it('a host with enough windows gets the medians of its log volumes; others the typical host; attacks are left out', () => {
    const rows = [input(7, 10, undefined, undefined, 2, 2, 0, 0, 10), input(7, 30, undefined, undefined, 2, 2, 0, 0, 3), input(7, 20), input(7, 5000), input(8, 3), input(8, 3), input(9, 1), input(9, 3), input(9, 5)];
    const truth = [false, false, false, true, false, false, false, false, false];
    const b = fitBaseline(rows, truth);
    expect(MIN_BASELINE_WINDOWS).toBe(3);
    expect(Object.keys(b.hosts).sort()).toEqual(['7', '9']); // host 8 has only 2 windows
    // host 7: medians of 10, 20, 30 flows (the 5000-flow attack window left out) → 20; server shares 1, 0.1, 0 → 0.1
    expect(b.hosts['7']).toEqual([Math.log1p(20_000), Math.log1p(20), Math.log1p(200), Math.log1p(2), Math.log1p(2), 0.1]);
    expect(b.hosts['9']![1]).toBeCloseTo(Math.log1p(3), 12);
    // typical host: median of the hosts' medians (two hosts: their mean)
    expect(b.typical[1]).toBeCloseTo((Math.log1p(20) + Math.log1p(3)) / 2, 12);
    // without ground truth the attack window counts: host 7's median becomes 25 flows
    expect(fitBaseline(rows).hosts['7']![1]).toBeCloseTo((Math.log1p(20) + Math.log1p(30)) / 2, 12);
  });

  it('features: log volumes less the host\'s usual ones, per-flow shapes and shares', () => {
    const b = fitBaseline([input(7, 10), input(7, 10), input(7, 10)]);
    const own = hostBaselineFeatures(input(7, 10), b);
    expect(own.slice(0, 5)).toEqual([0, 0, 0, 0, 0]); // a host as usual
    const scan = [44 * 40, 40, 40, 1, 40, 40, 40, 0, 12345]; // an unseen host: 40 SYNs to 40 ports of one host
    const f = hostBaselineFeatures(scan, b);
    const usual = b.typical;
    expect(f).toEqual([
      Math.log1p(44 * 40) - usual[0]!,
      Math.log1p(40) - usual[1]!,
      Math.log1p(40) - usual[2]!,
      Math.log1p(1) - usual[3]!,
      Math.log1p(40) - usual[4]!,
      Math.log1p(1), // packets per flow
      Math.log1p(44), // bytes per packet
      1 / 40,
      1,
      1,
      1,
      0 - usual[5]!,
    ]);
    // an answering host: its server share against its usual one
    expect(hostBaselineFeatures(input(7, 10, 10_000, 100, 2, 2, 0, 0, 4), b)[11]).toBe(0.4);
    expect(hostBaselineFeatures([0, 0, 0, 0, 0, 0, 0, 0, 0], b).every(Number.isFinite)).toBe(true);
  });
});

describe('a busy server', () => {
  // Regular clients, plus 10.2.0.80 answering 300–600 HTTPS flows a minute, every minute.
  function traffic(seed: number, minutes: number): { rows: FeatureRow[]; server: number[] } {
    const g = createGenerator('flows', { seed, rate: 20, errorProbability: 0, clients: 100 });
    const flows = g.take(20 * 60 * minutes).map((s) => s.event as Record<string, unknown>);
    const start = flows[0]!['event.start'] as number;
    let n = seed * 7919;
    const next = (m: number) => ((n = (n * 48271) % 2147483647) % m);
    for (let minute = 0; minute < minutes; minute++) {
      for (let i = 300 + next(300); i > 0; i--) {
        const t = start + minute * 60_000 + next(60_000);
        const packets = 20 + next(2000);
        flows.push(makeFlowEvent({ sourceIp: '10.2.0.80', sourcePort: 443, destinationIp: `10.1.0.${1 + next(100)}`, destinationPort: 32768 + next(28000), protocol: 6, bytes: packets * 1200, packets, start: t, end: t + 5000, tcpFlags: TCP.SYN | TCP.ACK | TCP.PSH | TCP.FIN, observer: 'x' }));
      }
    }
    const rows = flowFeatures(flows, 60_000);
    return { rows, server: rows.flatMap((r, i) => (r.source === '10.2.0.80' ? [i] : [])) };
  }

  it('is its usual self for the host-baseline model, and an anomaly every minute for the raw one (no labels)', () => {
    const train = traffic(41, 10);
    const score = traffic(42, 5);
    expect(score.server.length).toBeGreaterThanOrEqual(5);
    const baseline = trainFlowModel(train.rows, { seed: 1 });
    const raw = trainFlowModel(train.rows, { seed: 1, featureSet: 'raw' });
    const flagged = (model: ReturnType<typeof trainFlowModel>, inputs: 'inputs' | 'features') => score.server.filter((i) => classify(model, score.rows[i]![inputs]).label === 'anomalous').length;
    expect(flagged(raw, 'features')).toBe(score.server.length);
    expect(flagged(baseline, 'inputs')).toBe(0);
    // and the clients are normal too
    const clients = score.rows.filter((r) => r.source !== '10.2.0.80');
    expect(clients.filter((r) => classify(baseline, r.inputs).label === 'anomalous').length).toBeLessThanOrEqual(0.05 * clients.length);
  }, 120_000);
});

describe('model files', () => {
  const { rows, truth } = simulatedRows(5, 6);
  it('a model written before feature sets (version 1, no featureSet) loads as raw and scores as before', () => {
    const model = trainModel(rows.map((r) => r.features), { truth, seed: 1 });
    const { featureSet: _omitted, ...old } = JSON.parse(JSON.stringify(model));
    const loaded = checkModel(old);
    expect(loaded.version).toBe(1);
    for (const r of rows.slice(0, 40)) expect(classify(loaded, r.features)).toEqual(classify(model, r.features));
  });

  it('a host-baseline model is version 2, survives JSON, and is checked', () => {
    const model = trainFlowModel(rows, { truth, seed: 1, maxK: 4 });
    expect([model.version, model.featureSet, model.features]).toEqual([2, 'host-baseline', HOST_BASELINE_INPUTS]);
    const copy = checkModel(JSON.parse(JSON.stringify(model)));
    for (const r of rows.slice(0, 40)) expect(classify(copy, r.inputs)).toEqual(classify(model, r.inputs));
    const broken = (change: Record<string, unknown>) => () => checkModel({ ...JSON.parse(JSON.stringify(model)), ...change });
    expect(broken({ baseline: undefined })).toThrow('needs a baseline');
    expect(broken({ featureSet: 'fancy' })).toThrow("feature set 'fancy' is unknown");
    expect(broken({ version: 1 })).toThrow("a 'host-baseline' flow model must be version 2");
    expect(broken({ version: 3 })).toThrow('version 3 is not supported');
    expect(() => classify(model, rows[0]!.features)).toThrow('the model takes 9 features');
  }, 60_000);
});
