/**
 * SUPPRESS FOR period [BY fields]: a detection that repeats (a sliding window firing every
 * second, a brute force matching every attempt) is raised once per period and key. Inside the
 * period an alert is raised again only when its count is higher than the last one raised; that
 * alert says by how much (`suppression.growth`) and how many alerts were held back since.
 *
 * The period starts with the alert that opens it and is not extended by later ones, so a
 * detection that never stops is raised at least once per period. Time is the alert's own time
 * (window end, or the event's USING time), else processing time: on event time the outcome does
 * not depend on batch sizes or on when the input is replayed.
 */
import { groupKeyText } from '../lang/fields.js';

export interface SuppressionEntry {
  /** The period ends at this time (exclusive). */
  until: number;
  /** The count of the last alert raised for the key. */
  count: number;
  /** Alerts held back since the last one raised. */
  held: number;
}

/** What `admit` decides for one alert. */
export type SuppressionVerdict =
  /** `untracked`: a new key raised without opening a period, `maxKeys` periods running already. */
  | { raise: true; note?: SuppressionNote; untracked?: boolean }
  | { raise: false };

/** Added to an alert raised again inside its period. */
export interface SuppressionNote {
  count: number;
  previousCount: number;
  growth: number;
  /** Alerts of this key held back since the last one raised. */
  suppressed: number;
  /** When the period of this key ends. */
  until: number;
}

const UNTRACKED: SuppressionVerdict = Object.freeze({ raise: true, untracked: true });

export class Suppressor {
  private readonly entries = new Map<string, SuppressionEntry>();
  /** The latest time seen; entries whose period ended before it are swept now and then. */
  private latest = -Infinity;
  private sweptAt = -Infinity;

  constructor(readonly periodMs: number) {}

  admit(keyValues: readonly unknown[], time: number, count: number, maxKeys = Infinity): SuppressionVerdict {
    const key = groupKeyText(keyValues);
    if (time > this.latest) this.latest = time;
    this.sweep();
    const entry = this.entries.get(key);
    if (!entry || time >= entry.until) {
      // Raised, not held back: a bound that held new keys' alerts back would let a flood of keys hide a detection.
      if (!entry && this.entries.size >= maxKeys && !this.dropEndedOldest()) return UNTRACKED;
      // Deleted first, so the map stays in order of the periods' starts (dropEndedOldest reads it so).
      if (entry) this.entries.delete(key);
      this.entries.set(key, { until: time + this.periodMs, count, held: 0 });
      return { raise: true };
    }
    if (count > entry.count) {
      const note: SuppressionNote = { count, previousCount: entry.count, growth: count - entry.count, suppressed: entry.held, until: entry.until };
      entry.count = count;
      entry.held = 0;
      return { raise: true, note };
    }
    entry.held++;
    return { raise: false };
  }

  snapshot(): { entries: [string, SuppressionEntry][] } {
    return { entries: [...this.entries].map(([k, e]) => [k, { ...e }]) };
  }

  restore(saved: { entries: [string, SuppressionEntry][] }): void {
    this.entries.clear();
    for (const [key, entry] of saved.entries) {
      this.entries.set(key, { ...entry });
      if (entry.until - this.periodMs > this.latest) this.latest = entry.until - this.periodMs;
    }
  }

  /** Keys whose period runs (or ended and is not yet swept). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Forgets the oldest keys while their period is over; true when that made room. The map is in
   * order of the periods' starts, so this reads only what it forgets and the first key still in its
   * period: at the bound, a new key's alert costs O(1), where a sweep of the whole map cost every
   * such alert all the keys (a flood of new keys against a full map: keys × alerts). Alert times out
   * of order can leave an ended period behind a running one; the sweep once per period takes it.
   */
  private dropEndedOldest(): boolean {
    let dropped = false;
    for (const [key, entry] of this.entries) {
      if (entry.until > this.latest) break;
      this.entries.delete(key);
      dropped = true;
    }
    return dropped;
  }

  /** Forgets keys whose period is over, at most once per period, so the map stays as small as the live keys. */
  private sweep(): void {
    if (this.latest - this.sweptAt < this.periodMs) return;
    this.sweptAt = this.latest;
    for (const [key, entry] of this.entries) if (entry.until <= this.latest) this.entries.delete(key);
  }
}
