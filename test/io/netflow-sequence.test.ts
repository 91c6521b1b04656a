/**
 * Sequence accounting against a simulated exporter: the exporter numbers its datagrams under one
 * convention, the network drops, reorders and duplicates some, and the oracle is the exporter's own
 * list of what it sent and what arrived.
 */
import { describe, expect, it } from 'vitest';
import { SequenceTracker, type SequenceConvention } from '../../src/io/netflow-sequence.js';

interface Sent {
  sequence: number;
  records: number;
  flowRecords: number;
  uptimeMs: number;
}

/** An exporter numbering `counts.length` datagrams of `counts[i]` flow records (plus `options[i]` options records) from `first`. */
function exporter(convention: SequenceConvention, counts: number[], first = 0, options: number[] = []): Sent[] {
  let position = first;
  return counts.map((n, i) => {
    const records = n + (options[i] ?? 0);
    const unit = convention === 'packets' ? 1 : convention.startsWith('flows') ? n : records;
    let sequence: number;
    if (convention === 'packets' || convention.endsWith('-before')) {
      sequence = position;
      position += unit;
    } else {
      position += unit;
      sequence = position;
    }
    return { sequence: sequence % 0x1_0000_0000, records, flowRecords: n, uptimeMs: 1_000_000 + i * 100 };
  });
}

function track(version: number, datagrams: Sent[]): SequenceTracker {
  const t = new SequenceTracker(version);
  for (const d of datagrams) t.observe({ ...d, flows: d.flowRecords });
  return t;
}

/** Deterministic counts between 1 and 30, like a real exporter's last datagram of each export. */
function counts(n: number, seed = 3): number[] {
  let s = seed;
  return Array.from({ length: n }, (_, i) => (i % 7 === 6 ? 1 + ((s = (s * 1103515245 + 12345) >>> 0) % 29) : 30));
}

const lostFlows = (sent: Sent[], kept: Sent[]) => sent.reduce((n, d) => n + d.flowRecords, 0) - kept.reduce((n, d) => n + d.flowRecords, 0);

describe('sequence accounting', () => {
  it.each<[number, SequenceConvention]>([
    [5, 'records-before'],
    [9, 'packets'],
    [9, 'flows-through'],
    [10, 'records-before'],
    [10, 'flows-through'],
  ])('v%s numbered %s: finds the convention and counts exactly the flows of dropped datagrams', (version, convention) => {
    const sent = exporter(convention, counts(400));
    const kept = sent.filter((_, i) => !(i % 37 === 5 || i % 53 === 9 || (i >= 200 && i < 210)));
    const stats = track(version, kept).stats;
    // without options records, counting records or flow records is the same thing
    expect(stats.convention.replace('records', 'flows')).toBe(convention.replace('records', 'flows'));
    const truth = lostFlows(sent, kept);
    if (convention === 'packets') {
      // datagrams are counted exactly; flows are estimated from the flows per datagram seen
      expect(stats.lostUnits).toBe(sent.length - kept.length);
      expect(Math.abs(stats.estimatedFlowsLost - truth)).toBeLessThanOrEqual(truth * 0.1);
    } else {
      expect(stats.estimatedFlowsLost).toBe(truth);
    }
    expect(stats.restarts).toBe(0);
  });

  it('nothing lost, nothing reported, over the 32-bit wrap', () => {
    const sent = exporter('records-before', counts(300), 0x1_0000_0000 - 2000);
    expect(sent.some((d) => d.sequence < 1000)).toBe(true);
    const stats = track(5, sent).stats;
    expect(stats).toMatchObject({ gaps: 0, lostUnits: 0, estimatedFlowsLost: 0, restarts: 0, outOfSequence: 0 });
  });

  it('a loss across the 32-bit wrap counts the flows lost, not 4 billion', () => {
    const sent = exporter('records-before', counts(300), 0x1_0000_0000 - 2000);
    const wrapAt = sent.findIndex((d) => d.sequence < 1000);
    const kept = sent.filter((_, i) => i !== wrapAt && i !== wrapAt - 1);
    expect(track(10, kept).stats.estimatedFlowsLost).toBe(lostFlows(sent, kept));
  });

  it('reordering: a late datagram fills its gap and is not counted lost', () => {
    const sent = exporter('records-before', counts(100));
    const reordered = [...sent];
    // 20 arrives after 23, 50 after 52
    reordered.splice(23, 0, reordered.splice(20, 1)[0]);
    reordered.splice(52, 0, reordered.splice(50, 1)[0]);
    const stats = track(5, reordered).stats;
    expect(stats).toMatchObject({ estimatedFlowsLost: 0, lostUnits: 0, reordered: 2, gaps: 2 });
  });

  it('a late datagram among real losses: only the ones that never came count', () => {
    const sent = exporter('flows-through', counts(100));
    const arrived = sent.filter((_, i) => i !== 30 && i !== 31 && i !== 60);
    arrived.splice(arrived.indexOf(sent[29]) + 3, 0, ...arrived.splice(arrived.indexOf(sent[29]), 1)); // 29 comes 3 later
    const stats = track(10, arrived).stats;
    expect(stats.estimatedFlowsLost).toBe(sent[30].flowRecords + sent[31].flowRecords + sent[60].flowRecords);
  });

  it('duplicates are out of sequence, not lost and not found', () => {
    const sent = exporter('packets', counts(50));
    const doubled = [...sent.slice(0, 20), sent[10], ...sent.slice(20)];
    const stats = track(9, doubled).stats;
    expect(stats).toMatchObject({ lostUnits: 0, outOfSequence: 1, restarts: 0 });
  });

  it('an exporter restart (sysUptime goes back, the sequence starts over) is a restart, not a loss', () => {
    const before = exporter('packets', counts(50), 5000);
    const after = exporter('packets', counts(50), 0).map((d) => ({ ...d, uptimeMs: d.uptimeMs - 900_000 }));
    const stats = track(9, [...before, ...after]).stats;
    expect(stats).toMatchObject({ restarts: 1, lostUnits: 0, estimatedFlowsLost: 0 });
  });

  it('an IPFIX restart (no uptime) is believed once three datagrams agree', () => {
    const before = exporter('records-before', counts(50), 90_000);
    const after = exporter('records-before', counts(50), 0);
    const stats = track(10, [...before, ...after]).stats;
    expect(stats).toMatchObject({ restarts: 1, lostUnits: 0, outOfSequence: 0 });
  });

  it('one forged datagram far ahead is not a loss of millions; a real jump that persists is counted', () => {
    const sent = exporter('records-before', counts(60));
    const forged = { ...sent[30], sequence: sent[30].sequence + 50_000_000 };
    const stats = track(10, [...sent.slice(0, 30), forged, ...sent.slice(30)]).stats;
    expect(stats).toMatchObject({ lostUnits: 0, outOfSequence: 1 });
    // an exporter that really skips 2 million records: three datagrams in a row confirm it
    const jumped = [...sent.slice(0, 30), ...exporter('records-before', counts(30), sent[30].sequence + 2_000_000)];
    expect(track(10, jumped).stats).toMatchObject({ lostUnits: 2_000_000, resyncs: 1 });
  });

  it('IPFIX counting options records too (RFC 7011) or not (softflowd): either is recognised', () => {
    const options = Array.from({ length: 120 }, (_, i) => (i % 16 === 0 ? 1 : 0));
    for (const convention of ['records-before', 'flows-through'] as const) {
      const sent = exporter(convention, counts(120), 0, options);
      const kept = sent.filter((_, i) => i !== 40 && i !== 77);
      const stats = track(10, kept).stats;
      expect(stats.convention).toBe(convention);
      expect(stats.lostUnits).toBe(convention === 'records-before' ? sent[40].records + sent[77].records : sent[40].flowRecords + sent[77].flowRecords);
    }
  });

  it('a datagram whose records cannot be counted (no template) is not checked, and does not make a loss', () => {
    const sent = exporter('records-before', counts(40));
    const t = new SequenceTracker(10);
    sent.forEach((d, i) => t.observe({ ...d, records: i === 10 ? undefined : d.records, flowRecords: i === 10 ? undefined : d.flowRecords, flows: d.flowRecords }));
    expect(t.stats).toMatchObject({ lostUnits: 0, unchecked: 1 });
  });
});
