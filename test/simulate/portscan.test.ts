import { describe, expect, it } from 'vitest';
import { CLIENT_MAX_PORTS, CLIENT_MAX_SERVERS, createGenerator, SCAN_MIN_TARGETS } from '../../src/simulate/index.js';
import { groupBy, incidents, time } from './helpers.js';

const MINUTE = 60_000;

describe('portscan generator', () => {
  it('every scan touches ≥ 20 ports of one host, or one port of ≥ 20 hosts, from one source within 60 s', () => {
    let vertical = 0;
    let horizontal = 0;
    for (const seed of [1, 2, 3]) {
      const stream = createGenerator('portscan', { seed, errorProbability: 0.05 }).take(100_000);
      const scans = incidents(stream, true);
      expect(scans.size).toBeGreaterThan(30);
      for (const events of scans.values()) {
        const source = events[0].event.sourceAddress;
        for (const s of events) {
          expect(s.event.sourceAddress).toBe(source);
          expect(s.truthKey).toBe(source);
          expect(['S', 'SR']).toContain(s.event.tcpFlags);
        }
        expect(time(events[events.length - 1]) - time(events[0])).toBeLessThan(MINUTE);
        expect(Math.floor(time(events[0]) / MINUTE)).toBe(Math.floor(time(events[events.length - 1]) / MINUTE));
        const hosts = new Set(events.map((s) => s.event.destinationAddress));
        const ports = new Set(events.map((s) => s.event.destinationPort));
        if (hosts.size === 1) {
          vertical++;
          expect(ports.size).toBeGreaterThanOrEqual(SCAN_MIN_TARGETS);
          expect(ports.size).toBe(events.length);
        } else {
          horizontal++;
          expect(ports.size).toBe(1);
          expect(hosts.size).toBeGreaterThanOrEqual(SCAN_MIN_TARGETS);
          expect(hosts.size).toBe(events.length);
        }
      }
    }
    expect(vertical).toBeGreaterThan(10);
    expect(horizontal).toBeGreaterThan(10);
  });

  it('regular sources never look like scanners, and never share an address with one', () => {
    const stream = createGenerator('portscan', { seed: 4, rate: 1000, errorProbability: 0.02 }).take(200_000);
    const regular = stream.filter((s) => !s.anomaly);
    const scanners = new Set(stream.filter((s) => s.anomaly).map((s) => s.truthKey));
    for (const [source, events] of groupBy(regular, (s) => s.event.sourceAddress as string)) {
      expect(scanners.has(source)).toBe(false);
      expect(new Set(events.map((s) => s.event.destinationAddress)).size).toBeLessThanOrEqual(CLIENT_MAX_SERVERS);
      for (const perHost of groupBy(events, (s) => s.event.destinationAddress as string).values()) {
        expect(new Set(perHost.map((s) => s.event.destinationPort)).size).toBeLessThanOrEqual(CLIENT_MAX_PORTS);
      }
      expect(events.every((s) => ['SAPF', 'SAF', 'SAR'].includes(s.event.tcpFlags as string))).toBe(true);
    }
  });

  it('inject(n) starts n scans now', () => {
    const g = createGenerator('portscan', { seed: 5, errorProbability: 0 });
    g.take(100);
    g.inject(2);
    expect(incidents(g.take(10_000)).size).toBe(2);
  });
});
