import { describe, expect, it } from 'vitest';
import type { FlowHostProfile, FlowProtocolPoint } from '../../src/runtime/worker/protocol.js';
import { describeFeatures, fmtVolume, paddedDomain, plotDomains, profileSeries, protocolRows, talkerBars, transportShares } from '../../web/lib/flows.js';
import { formatRoute, parseRoute } from '../../web/lib/router.js';

const c = (flows: number, packets: number, bytes: number) => ({ flows, packets, bytes });
const NONE = c(0, 0, 0);

describe('Flows view helpers', () => {
  const points: FlowProtocolPoint[] = [
    { time: 0, tcp: c(20, 200, 30_000), udp: c(10, 10, 1000), other: NONE },
    { time: 10_000, tcp: c(5, 50, 500), udp: NONE, other: c(1, 1, 84) },
    { time: 20_000, tcp: c(1, 1, 1), udp: NONE, other: NONE },
  ];

  it('turns protocol buckets into per-second rates, leaving out the newest (still filling) bucket', () => {
    expect(protocolRows(points, 'flows', 10_000)).toEqual([
      { time: 0, tcp: 2, udp: 1, other: 0 },
      { time: 10_000, tcp: 0.5, udp: 0, other: 0.1 },
    ]);
    expect(protocolRows(points, 'bytes', 10_000)[0]).toEqual({ time: 0, tcp: 3000, udp: 100, other: 0 });
    // A single bucket is all there is: shown.
    expect(protocolRows(points.slice(0, 1), 'packets', 10_000)).toEqual([{ time: 0, tcp: 20, udp: 1, other: 0 }]);
    expect(protocolRows([], 'flows', 10_000)).toEqual([]);
  });

  it('gives transport shares and talker bar widths', () => {
    expect(transportShares({ tcp: c(3, 0, 0), udp: c(1, 0, 0), other: NONE }, 'flows')).toEqual({ tcp: 0.75, udp: 0.25, other: 0 });
    expect(transportShares({ tcp: NONE, udp: NONE, other: NONE }, 'bytes')).toEqual({ tcp: 0, udp: 0, other: 0 });
    const talkers = [
      { address: 'a', flows: 4, packets: 0, bytes: 200 },
      { address: 'b', flows: 1, packets: 0, bytes: 50 },
    ];
    expect(talkerBars(talkers, 'bytes')).toEqual([100, 25]);
    expect(talkerBars(talkers, 'flows')).toEqual([100, 25]);
    expect(talkerBars([], 'flows')).toEqual([]);
  });

  it('pads plot domains by 5 % (±1 around one value)', () => {
    expect(paddedDomain([0, 10, 5])).toEqual([-0.5, 10.5]);
    expect(paddedDomain([2, 2])).toEqual([1, 3]);
    expect(paddedDomain([])).toEqual([-1, 1]);
    expect(plotDomains([{ x: 0, y: -2 }, { x: 20, y: 2 }])).toEqual({ x: [-1, 21], y: [-2.2, 2.2] });
  });

  it('reads a host profile per measure, marking the windows the model calls anomalous', () => {
    const h = (flows: number, peers: number) => ({ flows, packets: flows, bytes: flows * 100, peers, ports: 1 });
    const profile: FlowHostProfile = {
      address: '10.1.0.1',
      windowMs: 60_000,
      windows: [
        { windowStart: 0, open: false, out: h(3, 2), in: h(1, 1), label: 'normal', score: 0 },
        { windowStart: 60_000, open: false, out: h(40, 40), in: h(0, 0), label: 'anomalous', score: 0.9 },
        { windowStart: 120_000, open: true, out: h(1, 1), in: h(0, 0) },
      ],
    };
    expect(profileSeries(profile, 'peers')).toEqual([
      { windowStart: 0, out: 2, in: 1, open: false, anomalous: false },
      { windowStart: 60_000, out: 40, in: 0, open: false, anomalous: true },
      { windowStart: 120_000, out: 1, in: 0, open: true, anomalous: false },
    ]);
    expect(profileSeries(profile, 'bytes').map((s) => s.out)).toEqual([300, 4000, 100]);
  });

  it('formats volumes and feature rows', () => {
    expect(fmtVolume(950)).toBe('950B');
    expect(fmtVolume(12_345)).toBe('12.3kB');
    expect(describeFeatures([1200, 3, 30, 2, 1])).toBe('bytes 1.20kB · flows 3 · packets 30 · destinations 2 · dest. ports 1');
  });

  it('routes #/flows with the picked host', () => {
    expect(parseRoute('#/flows?host=10.1.0.7')).toEqual({ view: 'flows', params: { host: '10.1.0.7' } });
    expect(formatRoute({ view: 'flows', params: { host: '10.1.0.7' } })).toBe('#/flows?host=10.1.0.7');
    expect(formatRoute({ view: 'flows', params: { host: undefined } })).toBe('#/flows');
  });
});
