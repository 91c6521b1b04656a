/** How well alerts found the injected anomalies. */
import type { SimulatedEvent } from './generator.js';

export interface Score {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** truePositives / (truePositives + falsePositives); 1 when there are no alerts. */
  precision: number;
  /** truePositives / (truePositives + falseNegatives); 1 when there are no anomalies. */
  recall: number;
}

/**
 * Scores alerts against ground truth by key, ignoring time and counting each key once:
 *
 * - the **truth keys** are the distinct `truthKey`s of the anomalies in `truth` (events with
 *   `anomaly: false` are ignored);
 * - the **alert keys** are the distinct `keyOf(alert)` values that are not undefined;
 * - truePositives = alert keys that are truth keys;
 * - falsePositives = alert keys that are not truth keys, plus one per alert whose key is undefined
 *   (an alert that names no key is a false alarm);
 * - falseNegatives = truth keys no alert has, plus one per anomaly without a truthKey (nothing can
 *   find it by key).
 *
 * So several alerts for one key (sliding windows, repeated attacks) count once, and several
 * attacks on one key are found by one alert. Keys compare as strings, exactly: `keyOf` must build
 * them the way the generator does (see {@link keyOfFields}).
 */
export function scoreAlerts(
  alerts: readonly Record<string, unknown>[],
  truth: readonly SimulatedEvent[],
  keyOf: (alert: Record<string, unknown>) => string | undefined,
): Score {
  const truthKeys = new Set<string>();
  let keyless = 0;
  for (const t of truth) {
    if (!t.anomaly) continue;
    if (t.truthKey === undefined) keyless++;
    else truthKeys.add(t.truthKey);
  }
  const alertKeys = new Set<string>();
  let unnamed = 0;
  for (const alert of alerts) {
    const key = keyOf(alert);
    if (key === undefined) unnamed++;
    else alertKeys.add(key);
  }
  let truePositives = 0;
  for (const key of alertKeys) if (truthKeys.has(key)) truePositives++;
  const falsePositives = alertKeys.size - truePositives + unnamed;
  const falseNegatives = truthKeys.size - truePositives + keyless;
  return {
    truePositives,
    falsePositives,
    falseNegatives,
    precision: truePositives + falsePositives === 0 ? 1 : truePositives / (truePositives + falsePositives),
    recall: truePositives + falseNegatives === 0 ? 1 : truePositives / (truePositives + falseNegatives),
  };
}

/**
 * A `keyOf` for {@link scoreAlerts}: the named fields of the alert, read from its `key` object
 * (aggregation alerts) or else from the alert itself, joined by `separator`; undefined when one is
 * missing. `keyOfFields(['user', 'server'])` gives the `user@server` keys of `bruteforce`,
 * `keyOfFields(['sourceAddress'])` the source IPs of `network` and `portscan`.
 */
export function keyOfFields(fields: readonly string[], separator = '@'): (alert: Record<string, unknown>) => string | undefined {
  return (alert) => {
    const key = alert.key !== null && typeof alert.key === 'object' ? (alert.key as Record<string, unknown>) : undefined;
    const parts: string[] = [];
    for (const field of fields) {
      const value = key && field in key ? key[field] : alert[field];
      if (value === undefined || value === null) return undefined;
      parts.push(String(value));
    }
    return parts.join(separator);
  };
}
