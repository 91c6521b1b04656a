/**
 * The reference correlation evaluator against hand-worked examples and, for temporal_ordered, a
 * brute-force oracle (does some increasing choice of matches spell the sequence?) over every
 * permutation of arrival.
 */
import { describe, expect, it } from 'vitest';
import { loadSigma, referenceCorrelation, type CorrelationHit, type SigmaCorrelation } from '../../src/sigma/index.js';
import { rng } from './helpers.js';

function correlation(body: string): SigmaCorrelation {
  const stand = ['a', 'b', 'c'].map((n) => ({ file: `${n}.yml`, text: `title: ${n}\nname: ${n}\nlogsource:\n    product: x\ndetection:\n    s:\n        A: 1\n    condition: s\n` }));
  const c = loadSigma([...stand, { file: 'c.yml', text: `title: Corr\ncorrelation:\n${body}` }]);
  expect(c.diagnostics).toEqual([]);
  return c.correlations[0];
}

const hit = (time: number, rule: string, event: Record<string, unknown> = {}): CorrelationHit => ({ time, rule, event });

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('event_count and value_count', () => {
  const ec = () => correlation('    type: event_count\n    rules: [a]\n    group-by: [User]\n    timespan: 10s\n    condition:\n        gte: 3\n');
  it('counts per group within [t - timespan, t], boundary included', () => {
    const hits = [hit(0, 'a', { User: 'u' }), hit(5000, 'a', { User: 'u' }), hit(6000, 'a', { User: 'v' }), hit(10_000, 'a', { User: 'u' }), hit(10_001, 'a', { User: 'u' }), hit(25_000, 'a', { User: 'u' })];
    const fired = referenceCorrelation(ec(), hits);
    // At 10,000: events at 0, 5,000, 10,000 (0 is exactly 10 s before: inside). At 10,001: 5,000, 10,000, 10,001.
    expect(fired.map((f) => [f.time, f.group, f.value])).toEqual([
      [10_000, ['u'], 3],
      [10_001, ['u'], 3],
    ]);
  });

  it('orders by time whatever the arrival order (late arrivals within the list count)', () => {
    const hits = [hit(10_000, 'a', { User: 'u' }), hit(0, 'a', { User: 'u' }), hit(5000, 'a', { User: 'u' })];
    expect(referenceCorrelation(ec(), hits).map((f) => [f.time, f.index])).toEqual([[10_000, 0]]);
  });

  it('ignores rules the correlation does not reference', () => {
    expect(referenceCorrelation(ec(), [hit(0, 'b', { User: 'u' }), hit(1, 'b', { User: 'u' }), hit(2, 'a', { User: 'u' })])).toEqual([]);
  });

  it('value_count counts distinct values of the field', () => {
    const vc = correlation('    type: value_count\n    rules: [a]\n    group-by: [Host]\n    timespan: 1m\n    condition:\n        field: User\n        gte: 2\n');
    const hits = [hit(0, 'a', { Host: 'h', User: 'x' }), hit(1, 'a', { Host: 'h', User: 'x' }), hit(2, 'a', { Host: 'h' }), hit(3, 'a', { Host: 'h', User: 'y' })];
    expect(referenceCorrelation(vc, hits).map((f) => [f.time, f.value])).toEqual([[3, 2]]);
  });

  it('value_sum, value_avg, value_percentile', () => {
    const sum = correlation('    type: value_sum\n    rules: [a]\n    group-by: [Src]\n    timespan: 1h\n    condition:\n        field: bytes\n        gt: 100\n');
    const hits = [hit(0, 'a', { Src: 's', bytes: 60 }), hit(1, 'a', { Src: 's', bytes: '50' }), hit(2, 'a', { Src: 't', bytes: 500 })];
    expect(referenceCorrelation(sum, hits).map((f) => [f.time, f.value])).toEqual([[1, 110], [2, 500]]);
    const avg = correlation('    type: value_avg\n    rules: [a]\n    group-by: [Src]\n    timespan: 1h\n    condition:\n        field: bytes\n        gt: 55\n');
    expect(referenceCorrelation(avg, hits).map((f) => [f.time, f.value])).toEqual([[0, 60], [2, 500]]);
    const pct = correlation('    type: value_percentile\n    rules: [a]\n    group-by: [Host]\n    timespan: 1h\n    condition:\n        field: Image\n        lte: 25\n');
    const images = ['x', 'x', 'x', 'rare', 'x'].map((image, i) => hit(i, 'a', { Host: 'h', Image: image }));
    // At the rare one: 1 of 4 = 25 %.
    expect(referenceCorrelation(pct, images).map((f) => [f.time, f.value])).toEqual([[3, 25]]);
  });

  it('a range condition (gt and lte together)', () => {
    const range = correlation('    type: event_count\n    rules: [a]\n    timespan: 1h\n    condition:\n        gt: 1\n        lte: 2\n');
    expect(referenceCorrelation(range, [hit(0, 'a'), hit(1, 'a'), hit(2, 'a')]).map((f) => f.value)).toEqual([2]);
  });
});

describe('temporal and temporal_ordered', () => {
  const ordered = () => correlation('    type: temporal_ordered\n    rules: [a, b, c]\n    group-by: [User]\n    timespan: 5m\n');
  const unordered = () => correlation('    type: temporal\n    rules: [a, b, c]\n    group-by: [User]\n    timespan: 5m\n');

  /** Oracle: is there i < j < k in time order with rules a, b, c, all within [t - span, t] of the last match t, same group? */
  function bruteForceOrderedFires(hits: CorrelationHit[], span: number): number[] {
    const sorted = hits.map((h, index) => ({ h, index })).sort((x, y) => x.h.time - y.h.time || x.index - y.index);
    const out: number[] = [];
    for (let k = 0; k < sorted.length; k++) {
      const end = sorted[k].h;
      const inWindow = sorted.slice(0, k + 1).filter(({ h }) => h.event.User === end.event.User && h.time >= end.time - span);
      let found = false;
      for (let x = 0; x < inWindow.length && !found; x++)
        for (let y = x + 1; y < inWindow.length && !found; y++)
          for (let z = y + 1; z < inWindow.length && !found; z++)
            if (inWindow[x].h.rule === 'a' && inWindow[y].h.rule === 'b' && inWindow[z].h.rule === 'c') found = true;
      if (found) out.push(sorted[k].index);
    }
    return out;
  }

  it('every arrival permutation of a, b, c (same time order): fires only for the ordered one', () => {
    for (const perm of permutations(['a', 'b', 'c'])) {
      const hits = perm.map((r, i) => hit(i * 1000, r, { User: 'u' }));
      const fired = referenceCorrelation(ordered(), hits);
      const want = perm.join('') === 'abc' ? [2] : [];
      expect(fired.map((f) => f.index), perm.join('')).toEqual(want);
      expect(bruteForceOrderedFires(hits, 300_000)).toEqual(want);
      // temporal ignores the order.
      expect(referenceCorrelation(unordered(), hits).map((f) => f.index)).toEqual([2]);
    }
  });

  it('arrival order differs from time order: time decides', () => {
    for (const arrival of permutations([0, 1, 2])) {
      const hits = arrival.map((i) => hit(i * 1000, 'abc'[i], { User: 'u' }));
      const fired = referenceCorrelation(ordered(), hits);
      expect(fired.map((f) => f.time)).toEqual([2000]);
    }
  });

  it('random streams agree with the brute-force oracle', () => {
    const random = rng(77);
    for (let round = 0; round < 300; round++) {
      const n = 1 + Math.floor(random() * 9);
      const hits = Array.from({ length: n }, () => hit(Math.floor(random() * 600_000), 'abc'[Math.floor(random() * 3)], { User: random() < 0.8 ? 'u' : 'v' }));
      const fired = referenceCorrelation(ordered(), hits).map((f) => f.index);
      expect(fired).toEqual(bruteForceOrderedFires(hits, 300_000));
    }
  });

  it('outside the timespan, in another group: no firing', () => {
    expect(referenceCorrelation(ordered(), [hit(0, 'a', { User: 'u' }), hit(1, 'b', { User: 'u' }), hit(300_001, 'c', { User: 'u' })])).toEqual([]);
    expect(referenceCorrelation(ordered(), [hit(0, 'a', { User: 'u' }), hit(1, 'b', { User: 'v' }), hit(2, 'c', { User: 'u' })])).toEqual([]);
  });

  it('aliases resolve group-by per rule', () => {
    const c = correlation('    type: temporal\n    rules: [a, b]\n    group-by: [ip]\n    timespan: 10s\n    aliases:\n        ip:\n            a: destination.ip\n            b: source.ip\n');
    const fired = referenceCorrelation(c, [hit(0, 'a', { destination: { ip: '10.0.0.1' } }), hit(1, 'b', { source: { ip: '10.0.0.1' } }), hit(2, 'b', { source: { ip: '10.0.0.2' } })]);
    expect(fired.map((f) => [f.index, f.group])).toEqual([[1, ['10.0.0.1']]]);
  });
});

describe('group-by through the rules pipeline', () => {
  it('fieldPaths of the referenced rule maps a Sigma name onto evtx_dump paths', () => {
    const text = `title: Failed
name: failed
logsource:
    product: windows
    service: security
detection:
    s:
        EventID: 4625
    condition: s
---
title: Many failed
correlation:
    type: event_count
    rules: [failed]
    group-by: [TargetUserName]
    timespan: 1m
    condition:
        gte: 2
`;
    const c = loadSigma([{ file: 'f.yml', text }], { pipeline: 'evtx-json' });
    expect(c.diagnostics).toEqual([]);
    const rule = c.rules[c.correlations[0].targets![0].index];
    expect(rule.fieldPaths('TargetUserName')).toEqual(['Event.EventData.TargetUserName']);
    const ev = (user: string) => ({ Event: { System: { Channel: 'Security', EventID: 4625 }, EventData: { TargetUserName: user } } });
    const hits = [ev('bob'), ev('alice'), ev('bob')].map((event, i) => ({ time: i * 1000, rule: 'failed', event }));
    expect(hits.every((h) => rule.match(h.event))).toBe(true);
    const fired = referenceCorrelation(c.correlations[0], hits, { field: (name) => rule.fieldPaths(name) });
    expect(fired.map((f) => [f.time, f.group, f.value])).toEqual([[2000, ['bob'], 2]]);
  });
});
