import { describe, expect, it } from 'vitest';
import { keyOfFields, scoreAlerts, type SimulatedEvent } from '../../src/simulate/index.js';

const normal: SimulatedEvent = { event: { timestamp: 0 }, anomaly: false };
const anomaly = (truthKey?: string): SimulatedEvent => ({ event: { timestamp: 0 }, anomaly: true, truthKey });
const byUser = keyOfFields(['user']);

describe('scoreAlerts', () => {
  it('counts keys once: duplicate alerts and repeated anomalies do not inflate', () => {
    const truth = [normal, anomaly('a'), anomaly('a'), anomaly('b'), anomaly('c'), normal];
    const alerts = [{ user: 'a' }, { user: 'a' }, { user: 'b' }, { user: 'x' }, { user: 'x' }, { user: 'y' }];
    expect(scoreAlerts(alerts, truth, byUser)).toEqual({ truePositives: 2, falsePositives: 2, falseNegatives: 1, precision: 0.5, recall: 2 / 3 });
  });

  it('a perfect detector scores 1 and 1', () => {
    expect(scoreAlerts([{ user: 'a' }, { user: 'b' }], [anomaly('a'), anomaly('b'), normal], byUser)).toMatchObject({ precision: 1, recall: 1, truePositives: 2 });
  });

  it('no alerts and no anomalies: precision and recall are 1', () => {
    expect(scoreAlerts([], [normal], byUser)).toEqual({ truePositives: 0, falsePositives: 0, falseNegatives: 0, precision: 1, recall: 1 });
    expect(scoreAlerts([], [anomaly('a')], byUser)).toMatchObject({ falseNegatives: 1, precision: 1, recall: 0 });
    expect(scoreAlerts([{ user: 'z' }], [normal], byUser)).toMatchObject({ falsePositives: 1, precision: 0, recall: 1 });
  });

  it('alerts without a key are false positives; anomalies without a truthKey are false negatives', () => {
    expect(scoreAlerts([{ other: 1 }, { other: 2 }, { user: 'a' }], [anomaly('a'), anomaly(undefined)], byUser)).toEqual({
      truePositives: 1,
      falsePositives: 2,
      falseNegatives: 1,
      precision: 1 / 3,
      recall: 1 / 2,
    });
  });

  it('keyOfFields reads the aggregation key first, then the alert, and joins with @', () => {
    const keyOf = keyOfFields(['user', 'server']);
    expect(keyOf({ rule: 'r', key: { user: 'root', server: 'srv-01' } })).toBe('root@srv-01');
    expect(keyOf({ user: 'root', server: 'srv-02' })).toBe('root@srv-02');
    expect(keyOf({ user: 'root' })).toBeUndefined();
    expect(keyOfFields(['sourceAddress'])({ key: { sourceAddress: '10.0.0.1' } })).toBe('10.0.0.1');
  });
});
