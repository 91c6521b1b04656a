/**
 * Alert retention, pure: which kept alerts go when a count or an age bound is passed, and the
 * setting clamped to its limits. The worker's alert store (worker/alert-store.ts) applies it.
 */
import { ALERT_RETENTION_LIMITS, DEFAULT_ALERT_RETENTION, type AlertRetention } from '../../src/runtime/worker/protocol.js';

const DAY_MS = 86_400_000;

/** A setting from user input: missing or non-numeric parts take the current value, the rest is clamped and rounded. */
export function clampRetention(input: Partial<AlertRetention>, current: AlertRetention = DEFAULT_ALERT_RETENTION): AlertRetention {
  const pick = (value: unknown, fallback: number, [lo, hi]: readonly [number, number]) => {
    const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
    return Number.isFinite(n) ? Math.min(hi, Math.max(lo, Math.round(n))) : fallback;
  };
  return {
    maxAlerts: pick(input.maxAlerts, current.maxAlerts, ALERT_RETENTION_LIMITS.maxAlerts),
    maxDays: pick(input.maxDays, current.maxDays, ALERT_RETENTION_LIMITS.maxDays),
  };
}

/**
 * How many of the oldest rows to drop so that at most `maxAlerts` remain and none is older than
 * `maxDays` before `now`. `times` are the rows' processing times, oldest first (ids grow with time).
 */
export function retentionCut(times: readonly number[], retention: AlertRetention, now: number): number {
  const byCount = Math.max(0, times.length - retention.maxAlerts);
  const oldestKept = now - retention.maxDays * DAY_MS;
  let byAge = 0;
  while (byAge < times.length && times[byAge]! < oldestKept) byAge++;
  return Math.max(byCount, byAge);
}
